#!/usr/bin/env bash
# ParamSweeper: ours (examples/sweeper_bench.rs) and Python execo 2.8.2's
# (benches/ref/execo_sweeper_ref.py) side by side in one run: P processes share one
# directory, each looping get_next + done until none is left, on tmpfs (/dev/shm) and
# on ext4 (under target/), with 1 and 4 processes. Both check that every combination was
# done exactly once. Each figure is the median of 3 runs. Same durability: each done is
# fsync'd before it returns in both (execo fsyncs its files on every operation).
#
# Python's ParamSweeper does O(sweep) work per operation, so the side-by-side rows use
# 2,000 combinations; ours also runs 10,000 alone.
# Usage: bash benches/sweeper_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "building..." >&2
cargo build --release -q --example sweeper_bench
ours=target/release/examples/sweeper_bench
venv=target/bench-venv
py=""
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo_engine' 2>/dev/null; then
  py="$venv/bin/python"
elif python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q execo==2.8.2 >/dev/null 2>&1; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 with pip: its columns are empty" >&2
fi
ref=benches/ref/execo_sweeper_ref.py

tmpfs=/dev/shm/execo-sweeper-bench-$$
ext4=$PWD/target/execo-sweeper-bench-$$
trap 'rm -rf "$tmpfs" "$ext4"' EXIT
mkdir -p "$tmpfs" "$ext4"
for d in "$tmpfs" "$ext4"; do
  echo "$d: $(df -T "$d" | awk 'NR==2 {print $2}')" >&2
done

# median3 CMD...: runs CMD 3 times (it prints `wall loop ops ok`); prints the median
# wall and the median ops/s, or `nan nan` if a run failed or found a duplicate/loss.
median3() {
  python3 - "$@" <<'PY'
import statistics, subprocess, sys
walls, ops = [], []
for _ in range(3):
    r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=1800)
    f = r.stdout.split()
    if r.returncode != 0 or len(f) < 4 or f[3] != "ok":
        print(f"FAILED: {' '.join(sys.argv[1:])}: {r.stderr.strip()[-300:]}", file=sys.stderr)
        print("nan nan")
        sys.exit(0)
    walls.append(float(f[0]))
    ops.append(float(f[2]))
print(f"{statistics.median(walls):.3f} {statistics.median(ops):.0f}")
PY
}

printf "\n%-6s %5s %6s | %9s %9s | %9s %9s | %8s %8s\n" \
  fs procs combs "ours s" "ours op/s" "execo s" "execo op/s" "x wall" "x op/s"
printf -- "------------------------------------------------------------------------------------------\n"
for fs in tmpfs ext4; do
  dir=$tmpfs; [ "$fs" = ext4 ] && dir=$ext4
  for procs in 1 4; do
    read -r ow oo < <(median3 "$ours" --dir "$dir/ours" --combs 2000 --procs "$procs")
    pw=nan; po=nan
    if [ -n "$py" ]; then
      read -r pw po < <(median3 "$py" "$ref" --dir "$dir/execo" --combs 2000 --procs "$procs")
    fi
    python3 - "$fs" "$procs" 2000 "$ow" "$oo" "$pw" "$po" <<'PY'
import sys
fs, procs, combs, ow, oo, pw, po = sys.argv[1:]
ow, oo, pw, po = map(float, (ow, oo, pw, po))
print(f"{fs:<6} {procs:>5} {combs:>6} | {ow:>9.3f} {oo:>9.0f} | {pw:>9.3f} {po:>9.0f} | "
      f"{pw / ow:>7.1f}x {oo / po:>7.1f}x")
PY
    read -r ow oo < <(median3 "$ours" --dir "$dir/ours" --combs 10000 --procs "$procs")
    printf "%-6s %5s %6s | %9s %9s | %9s %9s |\n" "$fs" "$procs" 10000 "$ow" "$oo" - -
  done
done
echo
echo "s: wall seconds, process starts included; op/s: combinations per second over the"
echo "workers' loops; x: execo's time / ours, our op/s / execo's (higher is better for us)."
