#!/usr/bin/env bash
# The main job, for now: a tour of the process kernel on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo run --release --bin execo -- demo "$@"
