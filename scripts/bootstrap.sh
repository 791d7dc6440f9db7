#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv with pinned versions.
# Idempotent: does nothing when .venv already matches requirements.txt and setup.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SNN_CONTROL_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.snn_control_stamp"
want="$(cat "$root/requirements.txt" "$root/requirements-core.txt" "$root/requirements-rockpool.txt" \
  "$root/setup.py" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[bootstrap] creating $venv" >&2
# MuJoCo renders the generated gesture dataset offscreen through Mesa's software EGL
# (Debian: libegl1, libegl-mesa0, libgl1-mesa-dri). Install them where they are missing and
# we may; otherwise say what the gesture dataset will lack.
if ! ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so'; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { apt-get install -y -q libegl1 libegl-mesa0 libgl1-mesa-dri \
      || { apt-get update -q && apt-get install -y -q libegl1 libegl-mesa0 libgl1-mesa-dri; }; } >&2
  else
    echo "[bootstrap] warning: Mesa EGL (Debian libegl1 libegl-mesa0 libgl1-mesa-dri) is missing:" \
         "the gesture dataset cannot be rendered" >&2
  fi
fi
# ament_xmllint (test/test_ros_lint.py) runs the xmllint binary (Debian libxml2-utils).
if ! command -v xmllint >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { apt-get install -y -q libxml2-utils \
      || { apt-get update -q && apt-get install -y -q libxml2-utils; }; } >&2
  else
    echo "[bootstrap] warning: xmllint (Debian libxml2-utils) is missing:" \
         "test_xmllint will fail" >&2
  fi
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip==25.3" >&2
# lava-nc's own dependencies first (numpy<2, scipy<2, networkx<=2.8.7, asteval<0.10 are pinned
# in requirements.txt), then lava-nc without its metadata's Python<3.11 cap.
"$venv/bin/python" -m pip install --quiet -r "$root/requirements.txt" >&2
"$venv/bin/python" -m pip install --quiet --no-deps --ignore-requires-python "lava-nc==0.10.0" >&2
# Packages whose declared dependencies we must not take (the "# no-deps:" lines of
# requirements-core.txt say why); what they really need is pinned there.
mapfile -t nodeps < <(sed -n 's/^# no-deps: *//p' "$root/requirements-core.txt")
if [ "${#nodeps[@]}" -gt 0 ]; then
  "$venv/bin/python" -m pip install --quiet --no-deps "${nodeps[@]}" >&2
fi
# Rockpool needs nir <= 1.0.4 (we pin 1.0.8): it goes with its own nir and nirtorch into a
# directory of its own, which only its NIR driver's subprocess puts on its path
# (requirements-rockpool.txt says why). --target does not replace an existing directory.
rm -rf "$venv/nir-consumers/rockpool"
"$venv/bin/python" -m pip install --quiet --no-deps --target "$venv/nir-consumers/rockpool" \
  -r "$root/requirements-rockpool.txt" >&2
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$root" >&2
echo "$want" > "$stamp"
echo "[bootstrap] ready: $venv" >&2
