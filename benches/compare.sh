#!/usr/bin/env bash
# Runs the kernel's workloads through our kernel, the machine's limit (a C program or a
# shell pipeline) and Python execo 2.8.2, side by side in one run, 3 times each, and
# prints the medians and ratios. Usage: bash benches/compare.sh [--slow]
#   --slow  also runs Python execo on 5,000 spawns (about 2.5 minutes a run).
set -euo pipefail
cd "$(dirname "$0")/.."
slow=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work" /dev/shm/execo-bench.out' EXIT

echo "building..." >&2
cargo build --release -q --example kernel_bench
ours=target/release/examples/kernel_bench
cc -O2 -o "$work/spawn" benches/ref/spawn.c
cc -O2 -o "$work/roundtrip" benches/ref/roundtrip.c
cc -O2 -o "$work/touch" benches/ref/touch.c

venv=target/bench-venv
py=""
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import execo' 2>/dev/null; then
  py="$venv/bin/python"
elif python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q execo==2.8.2 >/dev/null 2>&1; then
  py="$venv/bin/python"
else
  echo "NOTE: could not install Python execo 2.8.2 with pip: its column is empty" >&2
fi
pyref=benches/ref/execo_ref.py

# run3 LABEL CMD...: runs CMD 3 times; each run's time is the second field of its output
# line if it prints one (self-timed), else the wall time. Prints the median seconds and
# the last extra field.
run3() {
  local label=$1; shift
  python3 - "$label" "$@" <<'PY'
import subprocess, sys, time, statistics
label, cmd = sys.argv[1], sys.argv[2:]
times, extra = [], ""
for _ in range(3):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wall = time.monotonic() - t
    if r.returncode != 0:
        print(f"{label} FAILED rc={r.returncode}: {r.stderr.strip()[-300:]}", file=sys.stderr)
        print("nan")
        sys.exit(0)
    fields = r.stdout.split()
    try:
        times.append(float(fields[1]))
        extra = " ".join(fields[2:])
    except (IndexError, ValueError):
        times.append(wall)
print(f"{statistics.median(times):.4f} {extra}")
PY
}

G=1073741824
rows=()
row() { rows+=("$*"); }

measure() { # name target ours-cmd -- limit-cmd -- python-cmd
  local name=$1 target=$2; shift 2
  local ours_cmd=() limit_cmd=() py_cmd=() part=0
  for a in "$@"; do
    if [ "$a" = "--" ]; then part=$((part + 1)); continue; fi
    case $part in 0) ours_cmd+=("$a");; 1) limit_cmd+=("$a");; 2) py_cmd+=("$a");; esac
  done
  echo "running $name..." >&2
  local o l p="nan"
  o=$(run3 "$name/ours" "${ours_cmd[@]}")
  l=$(run3 "$name/limit" "${limit_cmd[@]}")
  if [ -n "$py" ] && [ ${#py_cmd[@]} -gt 0 ]; then p=$(run3 "$name/python" "${py_cmd[@]}"); fi
  row "$name|$target|$o|$l|$p"
}

measure "spawn 1000" "ours <= 1.3x limit" "$ours" spawn 1000 -- "$work/spawn" 1000 -- "$py" "$pyref" spawn 1000
if [ "$slow" = "--slow" ]; then
  measure "spawn 5000" "ours <= 1.3x limit" "$ours" spawn 5000 -- "$work/spawn" 5000 -- "$py" "$pyref" spawn 5000
else
  measure "spawn 5000" "ours <= 1.3x limit" "$ours" spawn 5000 -- "$work/spawn" 5000 --
fi
measure "capture 1 GiB to memory" "ours <= limit/0.6" "$ours" capture-mem $G -- sh -c "head -c $G /dev/zero | cat > /dev/null" -- "$py" "$pyref" capture-mem 67108864
measure "(floor: touch 1 GiB, twice)" "-" "$work/touch" $G -- "$work/touch" $G --
measure "capture 1 GiB, file handler" "ours <= limit/0.6, RSS < 64 MiB" "$ours" capture-file $G /dev/null -- sh -c "head -c $G /dev/zero | cat > /dev/null" --
measure "  same, to a tmpfs file" "ours <= limit/0.6, RSS < 64 MiB" "$ours" capture-file $G /dev/shm/execo-bench.out -- sh -c "head -c $G /dev/zero | cat > /dev/shm/execo-bench.out" --
measure "2,000,000 lines" "lines/s" "$ours" lines 2000000 -- sh -c "seq 2000000 | wc -l" -- "$py" "$pyref" lines 2000000
measure "20,000 round trips" ">= 20,000/s" "$ours" roundtrip 20000 -- "$work/roundtrip" 20000 -- "$py" "$pyref" roundtrip 5000

python3 - "${rows[@]}" <<'PY'
import sys, math
print()
print(f"{'workload':<26} {'ours s':>9} {'limit s':>9} {'ours/limit':>10} {'python s':>9} {'python/ours':>11}  target / extra")
for row in sys.argv[1:]:
    name, target, o, l, p = row.split("|")
    def split(v):
        f = v.split(" ", 1)
        return float(f[0]), (f[1] if len(f) > 1 else "")
    (ot, oe), (lt, le), (pt, pe) = split(o), split(l), split(p)
    ratio = ot / lt if lt and not math.isnan(lt) else float("nan")
    note = ""
    if "python" in name or name.startswith("capture 1 GiB to memory"):
        pass
    if name.startswith("capture 1 GiB to memory") and not math.isnan(pt):
        note = f" (python: 64 MiB only: it never finishes 1 GiB)"
        speed = f"{(67108864 / pt) / (1073741824 / ot):.3f}x tput" if ot else ""
        speed = f"{(1073741824 / ot) / (67108864 / pt):.0f}x tput"
    elif name.startswith("20,000 round trips") and not math.isnan(pt):
        speed = f"{float(oe.split('=')[1]) / float(pe.split('=')[1]):.1f}x rate"
    else:
        speed = f"{pt / ot:.1f}x" if not math.isnan(pt) else "-"
    if target.startswith("ours <= 1.3x"):
        met = "met" if ratio <= 1.3 else "MISSED"
    elif target.startswith("ours <= limit/0.6"):
        met = "met" if ot <= lt / 0.6 else "MISSED"
        if "RSS" in target and "peak_rss_kib=" in oe:
            rss = int(oe.split("peak_rss_kib=")[1].split()[0])
            met += f", RSS {rss/1024:.1f} MiB " + ("met" if rss < 65536 else "MISSED")
    elif target.startswith(">= 20,000"):
        rate = float(oe.split("=")[1])
        met = "met" if rate >= 20000 else "MISSED"
    else:
        met = ""
    print(f"{name:<26} {ot:>9.3f} {lt:>9.3f} {ratio:>10.2f} {pt:>9.3f} {speed:>11}  {target}: {met} {oe} {('| limit ' + le) if le else ''}{note}")
PY
