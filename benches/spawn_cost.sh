#!/usr/bin/env bash
# Instructions our kernel spends per spawned process, at two commits side by side, under
# callgrind (an instruction count, so the machine's load does not move it, unlike the
# wall times of compare.sh). Only our process is counted: the children are `true`.
# Usage: bash benches/spawn_cost.sh [OLD_COMMIT] [NEW_COMMIT]   (default: d29854e HEAD)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:-d29854e}
new=${2:-HEAD}
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install valgrind" >&2; exit 1; }
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" 2>/dev/null; git worktree remove --force "$work/new" 2>/dev/null; rm -rf "$work"' EXIT
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/spawn-cost

# instructions COMMIT N: total instructions of `kernel_bench spawn N` at COMMIT.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" spawn "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for side in old new; do
  commit=${!side}
  git worktree add -q --detach "$work/$side" "$commit"
  (cd "$work/$side" && CARGO_TARGET_DIR="$target/$side" cargo build -q --release --example kernel_bench)
  bin="$target/$side/release/examples/kernel_bench"
  small=$(instructions "$bin" 200)
  big=$(instructions "$bin" 1200)
  per=$(( (big - small) / 1000 ))
  printf '%-4s %s  %s instructions per spawn (1200 vs 200 spawns)\n' "$side" "$(git rev-parse --short "$commit")" "$per"
  eval "per_$side=$per"
done
python3 -c "print(f'new/old: {$per_new/$per_old:.3f}')"
