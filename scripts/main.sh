#!/usr/bin/env bash
# The main job on a fresh machine: installs the pinned environment, then runs the closed-loop
# simulation of the embedded default (SNN vs PID in MuJoCo), printing the metrics and writing
# the plot to results/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/snn-control" run "$@"
