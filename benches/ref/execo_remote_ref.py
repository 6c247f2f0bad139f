"""Python execo 2.8.2 running `true` on N ssh host aliases, K successive Remote actions,
for benches/remote_compare.sh. Prints one line: `remote_bench <seconds> <ok_count>
<own_cpu>` (ok_count summed over the K actions; own_cpu: this process's user + sys seconds
over its whole life, interpreter start-up and imports included, the ssh children
excluded) and exits 1 if any process failed.

    execo_remote_ref.py --config SSH_CONFIG --hosts N --actions K [--multiplex DIR]

Hosts are the aliases host-1 .. host-N of SSH_CONFIG. ssh gets execo's default options
without -tt (as `execo run`, pdsh, clush and parallel-ssh: `true` needs no terminal),
then `-F SSH_CONFIG`. execo 2.8.2's Remote has no fanout: it starts every host's ssh at
once. --multiplex DIR adds OpenSSH ControlMaster options (execo has no multiplexing of
its own): one master per host alias (ControlPath DIR/%n: %C would hash the HostName, the
same 127.0.0.1 for every alias), kept by ControlPersist; the masters are told to exit
(`ssh -O exit`) after the timed actions, inside this program."""
import argparse, resource, subprocess, sys, time
import execo
from execo.config import default_connection_params

execo.configuration['log_level'] = 40  # errors only


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--hosts", type=int, required=True)
    ap.add_argument("--actions", type=int, default=1)
    ap.add_argument("--multiplex", metavar="DIR")
    a = ap.parse_args()
    hosts = ["host-%d" % i for i in range(1, a.hosts + 1)]
    opts = tuple(o for o in default_connection_params['ssh_options'] if o != '-tt')
    mux = ()
    if a.multiplex:
        mux = ('-o', 'ControlMaster=auto', '-o', 'ControlPath=%s/%%n' % a.multiplex,
               '-o', 'ControlPersist=60')
    params = {'ssh_options': opts + ('-F', a.config) + mux}
    t = time.monotonic()
    ok_count = 0
    for _ in range(a.actions):
        r = execo.Remote("true", hosts, connection_params=params,
                         process_args={'timeout': 120}).run()
        ok_count += sum(1 for p in r.processes if p.ok)
    secs = time.monotonic() - t
    if a.multiplex:
        exits = [subprocess.Popen(['ssh', '-F', a.config] + list(mux) + ['-O', 'exit', h],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for h in hosts]
        for p in exits:
            p.wait()
    own = resource.getrusage(resource.RUSAGE_SELF)
    print("remote_bench %.4f %d %.4f" % (secs, ok_count, own.ru_utime + own.ru_stime))
    if ok_count != a.hosts * a.actions:
        print("execo_remote_ref: %d of %d processes failed"
              % (a.hosts * a.actions - ok_count, a.hosts * a.actions), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
