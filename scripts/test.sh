#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then runs them with nextest
# (installed by cargo when missing; each test in its own process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# The OAR tests start the test OAR once (scripts/oar-testbed.sh up); stop it at the end.
trap 'bash scripts/oar-testbed.sh down >/dev/null 2>&1 || true' EXIT
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
cargo test --workspace --all-features --doc
cargo nextest run --workspace --all-features --no-fail-fast "$@"
