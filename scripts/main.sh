#!/usr/bin/env bash
# The main job on a fresh machine: installs the pinned environment, then flies the embedded
# default (the blimp's evolved SNN, then the PID, in MuJoCo) over real ROS 2 topics, printing
# the metrics and writing the plot and an MCAP bag per flight to results/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/snn-control" run "$@"
