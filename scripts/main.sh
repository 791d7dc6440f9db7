#!/usr/bin/env bash
# The main job on a fresh machine: installs the pinned environment, then runs the closed-loop
# blimp simulation (SNN vs PID in MuJoCo), printing the metrics and writing plots to results/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/snn-control" run blimp "$@"
