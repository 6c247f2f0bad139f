//! K successive [`Remote`] actions running `true` on N ssh host aliases, timed inside one
//! program, for `benches/remote_compare.sh` (multiplexed masters live only as long as the
//! program: successive actions with `--multiplex` must run in one process). Prints one
//! line: `remote_bench <seconds> <ok_count> <own_cpu>`, `ok_count` summed over the K
//! actions (K × N when all went well), `own_cpu` this process's user + sys seconds over
//! its whole life (getrusage RUSAGE_SELF: the ssh children excluded); exits 1 if any
//! process failed. With `REMOTE_BENCH_EACH` set, each action's time goes to stderr.
//!
//! ```text
//! remote_bench --config SSH_CONFIG --hosts N --actions K [--multiplex]
//! ```
//!
//! Hosts are the aliases `host-1` … `host-N` of `SSH_CONFIG`. As `execo run` does, ssh
//! gets no `-tt` (the command needs no terminal).

use std::path::PathBuf;
use std::time::Instant;

use execo::prelude::*;

fn usage(msg: &str) -> ! {
    eprintln!(
        "remote_bench: {msg}\nusage: remote_bench --config SSH_CONFIG --hosts N --actions K [--multiplex]"
    );
    std::process::exit(2)
}

fn main() {
    let (mut config, mut hosts, mut actions, mut multiplex) = (None, None, 1usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |what: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{what} needs a value")))
        };
        match a.as_str() {
            "--config" => config = Some(PathBuf::from(value("--config"))),
            "--hosts" => {
                hosts = Some(
                    value("--hosts")
                        .parse::<usize>()
                        .unwrap_or_else(|_| usage("bad --hosts")),
                )
            }
            "--actions" => {
                actions = value("--actions")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --actions"))
            }
            "--multiplex" => multiplex = true,
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let config = config.unwrap_or_else(|| usage("--config is required"));
    let n = hosts.unwrap_or_else(|| usage("--hosts is required"));
    execo::init_logging("warn");

    let mut params = ConnectionParams {
        ssh_config: Some(config),
        multiplex,
        ..ConnectionParams::default()
    };
    params.ssh_options.retain(|o| o != "-tt");
    let hosts: Vec<Host> = (1..=n).map(|i| Host::new(format!("host-{i}"))).collect();

    let t = Instant::now();
    let mut ok_count = 0;
    for _ in 0..actions {
        let ta = Instant::now();
        let run = Remote::new("true", hosts.clone())
            .params(params.clone())
            .blocking_run()
            .expect("`true` has no substitutions");
        ok_count += run.ok_hosts().len();
        if std::env::var_os("REMOTE_BENCH_EACH").is_some() {
            eprintln!("action: {:.3} s", ta.elapsed().as_secs_f64());
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("remote_bench {secs:.4} {ok_count} {:.4}", own_cpu());
    if ok_count != n * actions {
        eprintln!(
            "remote_bench: {} of {} processes failed",
            n * actions - ok_count,
            n * actions
        );
        std::process::exit(1);
    }
}

/// User + sys CPU seconds of this process alone, its whole life so far.
fn own_cpu() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given and has no other effect.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
