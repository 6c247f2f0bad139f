"""Python execo 2.8.2 on the workloads of examples/kernel_bench.rs, for benches/compare.sh.
Prints one line: `<workload> <seconds> [extra]`. Every wait has a timeout (execo's expect
can hang)."""
import sys, time
import execo
from execo.process import ProcessOutputHandler

execo.configuration['log_level'] = 50  # quiet

def main():
    w = sys.argv[1]
    t = time.monotonic()
    extra = ""
    if w == "spawn":
        n = int(sys.argv[2])
        ps = [execo.Process("true") for _ in range(n)]
        for p in ps:
            p.start()
        for p in ps:
            p.wait(timeout=600)
        ok = all(p.ok for p in ps)
    elif w == "capture-mem":
        n = int(sys.argv[2])
        p = execo.Process("head -c %d /dev/zero" % n, timeout=600).run()
        ok = p.ok and len(p.stdout) == n
    elif w == "lines":
        n = int(sys.argv[2])
        class Count(ProcessOutputHandler):
            def __init__(self):
                super().__init__()
                self.count = 0
            def read_line(self, process, stream, line):
                self.count += 1
        h = Count()
        p = execo.Process("seq %d" % n, stdout_handlers=[h], default_stdout_handler=False, timeout=600).run()
        ok = p.ok and h.count == n
        extra = "lines_per_s=%.0f" % (n / (time.monotonic() - t))
    elif w == "roundtrip":
        n = int(sys.argv[2])
        p = execo.Process("cat").start()
        t = time.monotonic()
        ok = True
        for _ in range(n):
            p.write("x\n")
            idx, _m = p.expect("x\n", timeout=10)
            ok = ok and idx == 0
        extra = "roundtrips_per_s=%.0f" % (n / (time.monotonic() - t))
        p.kill()
    else:
        sys.exit("unknown workload " + w)
    print("%s %.4f %s" % (w, time.monotonic() - t, extra))
    sys.exit(0 if ok else 1)

main()
