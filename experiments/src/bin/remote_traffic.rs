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
//!
//! An `#[experiment]` whose sweep is the volume each client sends (`blocks`, 125 blocks
//! of 50 kB, `--quick` 20), recorded in the result directory (`-C DIR`); [`setup`] makes
//! the testbed with as many hosts as `--hosts` names.

use std::time::Duration;

use execo::prelude::*;
use execo_experiments::{NetcatArgs, Testbed, TestbedArgs, TestbedError, not_ready};

/// The experiment's own flags, beside the engine's.
#[derive(clap::Args, Debug)]
struct Args {
    #[command(flatten)]
    testbed: TestbedArgs,
    #[command(flatten)]
    netcat: NetcatArgs,
}

/// Every host of `--hosts` (two of this machine without it).
fn setup(xp: &Experiment<Args>) -> Result<Testbed, TestbedError> {
    let args = &xp.args().testbed;
    let n = match &args.hosts {
        Some(spec) => Testbed::ssh(spec, 0)?.hosts().len().max(2),
        None => g5k_nodes(args).unwrap_or(2),
    };
    let tb = Testbed::for_experiment(xp.name(), xp.result_dir(), args, n, None)?;
    let hosts: Vec<String> = tb.hosts().iter().map(Host::to_string).collect();
    println!("hosts: {} ({})", hosts.join(", "), tb.kind());
    Ok(tb)
}

/// With `--g5k`, every node it asks for (at least 2).
#[cfg(feature = "g5k")]
fn g5k_nodes(args: &TestbedArgs) -> Option<usize> {
    args.g5k.as_ref().map(|r| (r.nodes() as usize).max(2))
}

#[cfg(not(feature = "g5k"))]
fn g5k_nodes(_: &TestbedArgs) -> Option<usize> {
    None
}

/// What the servers received, in bytes, all together.
#[derive(serde::Serialize, Debug)]
struct Received {
    bytes: u64,
}

/// The user guide's Remote example: netcat servers and clients on every host, traffic in
/// both directions, and the Report.
#[experiment(setup = setup)]
#[params(blocks = [125])]
#[params(quick, blocks = [20])]
fn remote_traffic(xp: &mut Experiment<Args, Testbed>, p: Params) -> execo::Result<Received> {
    traffic(xp.setup(), &xp.args().netcat, p.blocks)
}

/// How long servers and clients may run, whatever happens.
const LIMIT: Duration = Duration::from_secs(60);

fn traffic(tb: &Testbed, netcat: &NetcatArgs, count: u64) -> execo::Result<Received> {
    let hosts = tb.hosts();
    let nc = &netcat.nc;
    // Each host listens on its own port (they differ only on loopback, where every host
    // is this machine), and each client sends to the hosts in reverse order.
    let ports = tb.ports(netcat.port, hosts.len())?;
    let targets: Vec<&str> = hosts.iter().rev().map(|h| h.address.as_str()).collect();
    let target_ports: Vec<u16> = ports.iter().rev().copied().collect();

    let limit =
        |p: Process, _: usize, _: &Host| p.timeout(LIMIT).expect_timeout(Duration::from_secs(10));
    let servers = remote!("<<nc>> -n -vlp <<ports>> 2>&1 >/dev/null" on hosts)
        .params(tb.params())
        .name("servers")
        .configure(limit)
        .start()?;
    let ready = servers.blocking_expect("^[Ll]istening on")?;
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
    .blocking_run()?;
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
    if !(servers.ok() && clients.ok()) {
        return Err("some processes failed (see the report above)".into());
    }
    Ok(Received {
        bytes: 50_000 * count * hosts.len() as u64,
    })
}
