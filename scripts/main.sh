#!/usr/bin/env bash
# The main job: execo's flagship experiment, tcp_congestion, end to end on this machine.
# Installs what is missing (iperf3, iproute2, fonts-dejavu-core...), builds it in
# release, and runs the guide's sweep (30 combinations: 1 to 20 flows, cubic and reno,
# 3 repeats) in results/tcp_congestion with -C: run again after an interruption
# (Ctrl-C, kill -9), it does only what is left; once all is done, it says there is
# nothing left to do. Arguments go to the experiment: --quick, --hosts a,b, --help...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo build --release -p execo-experiments --bin tcp_congestion
exec "${CARGO_TARGET_DIR:-target}/release/tcp_congestion" -C results/tcp_congestion "$@"
