#!/usr/bin/env bash
# `execo nodeset` against ClusterShell's `nodeset` (Debian's clustershell, see
# scripts/deps.sh) on 100,000 names, side by side in one run, 3 times each: the medians
# (wall seconds, the whole command) and the ratio. Both outputs are checked equal.
# Usage: bash benches/nodeset_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nodeset >/dev/null || { echo "ClusterShell's nodeset is missing: run scripts/deps.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building..." >&2
cargo build --release -q --workspace --all-features
dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
ours="$dir/release/execo"

# The inputs, one name a line, in a shuffled order (seeded, so every run is the same).
seq 1 100000 | sed 's/^/node-/' | shuf --random-source=<(yes) > "$work/flat"
seq 1 100000 | sed 's/^\(.*\)$/taurus-\1.lyon.grid5000.fr/' | shuf --random-source=<(yes) > "$work/g5k"
for r in $(seq 1 100); do seq 1 1000 | sed "s/^/r${r}n/"; done | shuf --random-source=<(yes) > "$work/grid"

# median3 CMD...: runs CMD 3 times (stdout to $work/out), prints the median wall time.
median3() {
  local t=()
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N)
    "$@" > "$work/out"
    e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc)")
  done
  printf '%s\n' "${t[@]}" | sort -g | sed -n 2p
}

printf '%-44s %10s %10s %8s\n' "workload (100,000 names)" "nodeset s" "execo s" "ratio"
row() {
  local label=$1 input=$2; shift 2
  local a b
  a=$(median3 sh -c "nodeset $* < $input")
  cp "$work/out" "$work/theirs"
  b=$(median3 sh -c "$ours nodeset $* < $input")
  cmp -s "$work/out" "$work/theirs" || { echo "$label: outputs differ" >&2; exit 1; }
  printf '%-44s %10.3f %10.3f %7.1fx\n' "$label" "$a" "$b" "$(echo "$a / $b" | bc -l)"
}
row "fold node-N (stdin, shuffled)" "$work/flat" -f
row "fold taurus-N.lyon.grid5000.fr (2 dims)" "$work/g5k" -f
row "fold rR nN, 100 x 1000 (2 varying dims)" "$work/grid" -f
row "expand node-[1-100000]" /dev/null -e "'node-[1-100000]'"
row "count node-N (stdin)" "$work/flat" -c
