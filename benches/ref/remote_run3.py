"""run3 of benches/remote_compare.sh: runs one tool's command RUNS times and prints one line
`<wall median s> <cpu median s> <self median s or nan> <own cpu median s or nan> <verdict>`.

    remote_run3.py LABEL RUNS SSHD_LOG CONNECTIONS COUNT -- CMD...

- wall: the whole command, start to exit (program start-up included).
- cpu: user + sys of the client side: getrusage(RUSAGE_CHILDREN) deltas around the run.
  This process is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so daemons the tool
  leaves behind (ssh ControlPersist masters, which fork away from their ssh) come back to
  it when they exit and their CPU is counted too; it waits up to 10 s for them after the
  command exits (not in the wall time), then kills what is left (by pid) and says so.
- self: the second field of the command's output when it prints
  `remote_bench <seconds> <ok_count> <own_cpu>` (self-timed, start-up excluded).
- own: the fourth field of that line: the program's own user + sys CPU seconds
  (RUSAGE_SELF, its ssh children excluded).
- verdict: `ok`, or `FAILED(...)` when a run exited non-zero, or when the number of ssh
  connections sshd accepted during the run (`Accepted publickey` lines added to
  SSHD_LOG) is not CONNECTIONS, or when the output count is wrong. COUNT is `-` (no
  output check), `self=N` (the third field of the self-timed line must be N), or
  `lines=N:REGEX` (N distinct stdout lines must match REGEX).
"""
import ctypes, os, re, resource, signal, statistics, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36


def accepted(log):
    try:
        with open(log, "rb") as f:
            return f.read().count(b"Accepted publickey")
    except OSError:
        return -1


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def my_children():
    me, kids = os.getpid(), []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            kids.append(int(pid))
    return kids


def reap_orphans(label):
    """Waits for the daemons adopted from the run (up to 10 s), then kills the rest."""
    deadline = time.monotonic() + 10
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            continue
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    left = my_children()
    print("%s: killing %d processes left behind after 10 s: %s"
          % (label, len(left), left), file=sys.stderr)
    for pid in left:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main():
    label, runs, log, conns, count = sys.argv[1:6]
    assert sys.argv[6] == "--"
    cmd = sys.argv[7:]
    runs, conns = int(runs), int(conns)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    walls, cpus, selfs, owns, failures = [], [], [], [], []
    for i in range(runs):
        a0, c0 = accepted(log), children_cpu()
        t = time.monotonic()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            rc, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", e.stdout or "", e.stderr or ""
            out = out.decode() if isinstance(out, bytes) else out
            err = err.decode() if isinstance(err, bytes) else err
        wall = time.monotonic() - t
        reap_orphans(label)
        cpu = children_cpu() - c0
        time.sleep(0.05)  # sshd's last log lines
        got = accepted(log) - a0
        walls.append(wall)
        cpus.append(cpu)
        why = []
        if rc != 0:
            why.append("rc=%s" % rc)
        if got != conns:
            why.append("conns=%d/%d" % (got, conns))
        fields = out.split()
        if len(fields) >= 3 and fields[0] == "remote_bench":
            selfs.append(float(fields[1]))
            if len(fields) >= 4:
                owns.append(float(fields[3]))
        if count.startswith("self="):
            want = int(count[5:])
            n = int(fields[2]) if len(fields) >= 3 and fields[2].isdigit() else -1
            if n != want:
                why.append("ok=%d/%d" % (n, want))
        elif count.startswith("lines="):
            want, pattern = count[6:].split(":", 1)
            n = len({m.group(0) for m in map(re.compile(pattern).search, out.splitlines()) if m})
            if n != int(want):
                why.append("lines=%d/%s" % (n, want))
        if why:
            failures.append(",".join(why))
            tail = err.strip().splitlines()[-3:]
            print("%s run %d FAILED (%s): %s" % (label, i + 1, ", ".join(why), " | ".join(tail)),
                  file=sys.stderr)
    verdict = "ok" if not failures else "FAILED(%d/%d:%s)" % (len(failures), runs, failures[0])
    s = "%.4f" % statistics.median(selfs) if len(selfs) == runs else "nan"
    o = "%.4f" % statistics.median(owns) if len(owns) == runs else "nan"
    print("%.4f %.4f %s %s %s" % (statistics.median(walls), statistics.median(cpus), s, o, verdict))


if __name__ == "__main__":
    main()
