//! The user guide's `Remote` example: a netcat server and a client on every host, each
//! client sending to another host (the hosts' list reversed, round robin), so traffic
//! flows in both directions at once; then execo's `Report` of both actions, and what
//! each process printed.
//!
//! ```text
//! remote_traffic                        # this machine: two network namespaces as root,
//!                                       # else two ends over loopback
//! remote_traffic --hosts 'node-[1-4]'   # over ssh, any number of hosts from 2
//! remote_traffic --quick                # 1 MB per client instead of 6.25 MB
//! ```
//!
//! The servers are awaited with `expect` on every host at once (netcat-traditional's
//! `listening on`, which `2>&1` brings to stdout while the data goes to `/dev/null`)
//! instead of the guide's `sleep(1)`. The substitutions are
//! Rust values checked at compile time: `<<targets>>` and `<<target_ports>>` are lists,
//! host `i` gets element `i % len`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use execo::prelude::*;
use execo_experiments::{NetcatArgs, Testbed, TestbedArgs, not_ready};

/// The user guide's Remote example: netcat servers and clients on every host, traffic in
/// both directions, and the Report.
#[derive(Parser, Debug)]
#[command(name = "remote_traffic")]
struct Cli {
    #[command(flatten)]
    testbed: TestbedArgs,
    /// 20 blocks of 50 kB per client instead of the guide's 125.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    netcat: NetcatArgs,
}

/// How long servers and clients may run, whatever happens.
const LIMIT: Duration = Duration::from_secs(60);

fn traffic(tb: &Testbed, cli: &Cli) -> Result<bool, String> {
    let hosts = tb.hosts();
    let nc = &cli.netcat.nc;
    let count = if cli.quick { 20 } else { 125 };
    // Each host listens on its own port (they differ only on loopback, where every host
    // is this machine), and each client sends to the hosts in reverse order.
    let ports = tb
        .ports(cli.netcat.port, hosts.len())
        .map_err(|e| e.to_string())?;
    let targets: Vec<&str> = hosts.iter().rev().map(|h| h.address.as_str()).collect();
    let target_ports: Vec<u16> = ports.iter().rev().copied().collect();

    let limit = |p: &mut Process, _: usize, _: &Host| {
        p.timeout(LIMIT).expect_timeout(Duration::from_secs(10));
    };
    let servers = remote!("<<nc>> -n -vlp <<ports>> 2>&1 >/dev/null" on hosts)
        .params(tb.params())
        .name("servers")
        .configure(limit)
        .start()
        .map_err(|e| e.to_string())?;
    let ready = servers
        .blocking_expect("^[Ll]istening on")
        .map_err(|e| e.to_string())?;
    for (i, (host, ready)) in hosts.iter().zip(ready).enumerate() {
        ready.map_err(|e| {
            let p = servers.process(i);
            not_ready(nc, "netcat-traditional", host, p.as_ref(), &e)
        })?;
    }
    let clients = remote!(
        "dd if=/dev/zero bs=50000 count=<<count>> | <<nc>> -q 0 <<targets>> <<target_ports>>"
        on hosts
    )
    .params(tb.params())
    .name("clients")
    .configure(limit)
    .blocking_run()
    .map_err(|e| e.to_string())?;
    if !servers.blocking_wait_timeout(Duration::from_secs(20)) {
        servers.kill();
        servers.blocking_wait_timeout(Duration::from_secs(5));
    }

    println!("{}", Report::of("remote traffic", [&servers, &clients]));
    for p in servers.processes().iter().chain(clients.processes().iter()) {
        println!(
            "{}\nstdout:\n{}\nstderr:\n{}",
            p.name(),
            p.stdout().trim_end(),
            p.stderr().trim_end()
        );
    }
    Ok(servers.ok() && clients.ok())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    execo::init_logging(&cli.netcat.log_level);
    let n = cli.testbed.hosts.as_deref().map_or(2, count_hosts).max(2);
    let mut tb = match Testbed::new(&cli.testbed, n, None) {
        Ok(tb) => tb,
        Err(e) => {
            eprintln!("remote_traffic: {e}");
            return ExitCode::from(2);
        }
    };
    let hosts: Vec<String> = tb.hosts().iter().map(Host::to_string).collect();
    println!("hosts: {} ({})", hosts.join(", "), tb.kind());
    let result = traffic(&tb, &cli);
    tb.tear_down();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("remote_traffic: some processes failed (see the report above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("remote_traffic: {e}");
            ExitCode::from(2)
        }
    }
}

/// How many hosts `--hosts` names (the testbed checks the spelling).
fn count_hosts(spec: &str) -> usize {
    Testbed::ssh(spec, 0).map_or(2, |tb| tb.hosts().len())
}
