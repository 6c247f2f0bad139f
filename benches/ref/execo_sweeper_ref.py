"""Python execo 2.8.2's ParamSweeper on the workload of examples/sweeper_bench.rs:
P processes share one directory over M combinations, each looping get_next + done
until nothing is left; then checks that each combination was done exactly once.

    execo_sweeper_ref.py --dir D --combs M --procs P   # prints: wall_s loop_s ops_per_s ok|FAIL
    execo_sweeper_ref.py --worker --dir D --combs M    # one worker (spawned by the above)

Workers are separate Python processes (as several experiment runs sharing a directory
would be); wall_s includes their start, loop_s runs from the first worker's first
get_next to the last worker's end.
"""
import argparse
import os
import pickle
import shutil
import subprocess
import sys
import time


def combinations(m):
    from execo_engine import sweep
    return sweep({"i": list(range(m)), "name": ["x"]})


def worker(a):
    from execo_engine import ParamSweeper
    s = ParamSweeper(a.dir, combinations(a.combs))
    start = time.time()
    n = 0
    while True:
        c = s.get_next()
        if c is None:
            break
        s.done(c)
        n += 1
    print(f"{start:.6f} {time.time():.6f} {n}")


def done_list(path):
    """Every element pickled in execo's append-only `done` file."""
    out = []
    with open(path, "rb") as f:
        while True:
            try:
                out.append(pickle.load(f))
            except EOFError:
                return out


def parent(a):
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    t = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "--dir", a.dir, "--combs", str(a.combs)],
            stdout=subprocess.PIPE, text=True)
        for _ in range(a.procs)
    ]
    first, last, total = float("inf"), 0.0, 0
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            sys.exit(f"a worker failed: {p.returncode}")
        s, e, n = out.split()
        first, last, total = min(first, float(s)), max(last, float(e)), total + int(n)
    wall = time.monotonic() - t
    done = done_list(os.path.join(a.dir, "done"))
    keys = [tuple(sorted(c.items())) for c in done]
    ok = len(keys) == a.combs and len(set(keys)) == a.combs and total == a.combs
    if not ok:
        print(f"FAIL: {len(keys)} done, {len(set(keys))} distinct, {total} by workers",
              file=sys.stderr)
    loop = last - first
    print(f"{wall:.4f} {loop:.4f} {a.combs / loop:.0f} {'ok' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--combs", type=int, default=2000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--worker", action="store_true")
    a = ap.parse_args()
    worker(a) if a.worker else parent(a)
