#!/usr/bin/env bash
# Planning over the fixtures' three sites (lyon, lille, nancy), ours against Python
# execo 2.8.2's get_planning + compute_slots on the same data, side by side: over HTTP
# (the tests' stand-in API server on loopback) and without it (the sites' answers read
# once: planning's own work). Median of N runs each (default 50), in one process per
# side, the reference loaded before timing. Target: ours 10x faster.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
venv=target/bench-venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo_g5k' 2>/dev/null; then
  py="$venv/bin/python"
elif { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } >/dev/null 2>&1 &&
  "$venv/bin/pip" install -q execo==2.8.2 requests >/dev/null 2>&1 &&
  "$venv/bin/python" -c 'import execo_g5k' 2>/dev/null; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 (and requests) with pip: its column is empty" >&2
  py=
fi
cargo run -q --release --features g5k --example planning_bench -- "$runs" ${py:+"$(realpath "$py")"}
