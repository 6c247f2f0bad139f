//! The user guide's first remote example: a netcat receiver on one host, a sender on
//! another; wait for the sender, then for the receiver, and print what it received.
//!
//! As the guide recommends, the receiver's readiness is read from its verbose output
//! (`expect("^[Ll]istening on")`), not guessed with a sleep: the sender starts the moment
//! the socket listens. netcat-traditional (`nc.traditional`, Debian's
//! `netcat-traditional`) prints `listening on [any] 6543 ...` with `-v`, on stderr: the
//! receiver's `2>&1` puts it on stdout, where expect reads (as the guide's ssh `-tt`
//! did), before `connect to ...` and the message received.
//!
//! ```text
//! netcat                      # this machine: network namespaces as root, else loopback
//! netcat --hosts host1,host2  # over ssh
//! netcat --quick              # one round instead of three
//! ```
//!
//! An `#[experiment]`: the rounds are its sweep (`round = 1..=3`, `--quick` one), each
//! recorded in the result directory (`-C DIR`); [`setup`] makes the testbed, [`finish`]
//! says how many rounds went well. Each round reads top to bottom as the guide's Python
//! does, with blocking calls; the receiver's handle kills it if a round leaves early
//! (execo's `with ... as receiver`).

use std::time::{Duration, Instant};

use execo::engine::Outcome;
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

/// The two hosts, and the receiver's port.
struct Setup {
    testbed: Testbed,
    port: u16,
}

/// How long a round may take, whatever happens.
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// Two hosts of the testbed, and the port the receiver listens on.
fn setup(xp: &Experiment<Args>) -> Result<Setup, TestbedError> {
    let args = xp.args();
    let testbed = Testbed::for_experiment(xp.name(), xp.result_dir(), &args.testbed, 2, None)?;
    let port = testbed.ports(args.netcat.port, 1)?[0];
    println!(
        "hosts: {} and {} ({})",
        testbed.hosts()[0],
        testbed.hosts()[1],
        testbed.kind()
    );
    Ok(Setup { testbed, port })
}

/// The user guide's netcat pair: a receiver, awaited with expect, then a sender.
///
/// One round: receiver, expect, sender, wait; what the receiver got.
#[experiment(setup = setup, finish = finish)]
#[params(round = 1..=3)]
#[params(quick, round = 1..=1)]
fn netcat(xp: &mut Experiment<Args, Setup>, p: Params) -> execo::Result<String> {
    let (tb, port, nc) = (&xp.setup().testbed, xp.setup().port, &xp.args().netcat.nc);
    let got = round(tb, nc, port)?;
    if got != "hi there!" {
        return Err(format!("round {}: received {got:?}, not \"hi there!\"", p.round).into());
    }
    Ok(got)
}

/// How many rounds went well.
fn finish(xp: &Experiment<Args>, o: &Outcome) -> Result<(), String> {
    let rounds = o.total;
    let ok = o.total - o.remaining;
    if ok == rounds {
        println!("{ok} of {rounds} rounds ok");
    } else {
        eprintln!(
            "netcat: {} of {rounds} rounds failed (see {})",
            o.remaining,
            xp.result_dir().join("experiment.log").display()
        );
    }
    Ok(())
}

/// One round: receiver, expect, sender, wait; what the receiver got.
fn round(tb: &Testbed, nc: &str, port: u16) -> execo::Result<String> {
    let [host1, host2] = [&tb.hosts()[0], &tb.hosts()[1]];
    let target = &host1.address;
    let t = Instant::now();
    let receiver = remote!("<<nc>> -n -vlp <<port>> 2>&1" on [host1])
        .params(tb.params())
        .configure(|p, _, _| {
            p.timeout(ROUND_LIMIT)
                .expect_timeout(Duration::from_secs(10))
        })
        .start()?;
    for ready in receiver.blocking_expect("^[Ll]istening on")? {
        ready.map_err(|e| {
            let p = receiver.process(0);
            not_ready(nc, "netcat-traditional", host1, p.as_ref(), &e)
        })?;
    }
    let ready_after = t.elapsed();
    let sender = remote!("echo 'hi there!' | <<nc>> -q 0 <<target>> <<port>>" on [host2])
        .params(tb.params())
        .configure(|p, _, _| p.timeout(ROUND_LIMIT))
        .blocking_run()?;
    if !receiver.blocking_wait_timeout(Duration::from_secs(10)) {
        receiver.kill();
        return Err(
            format!("netcat receiver on {host1} did not end after the sender's EOF").into(),
        );
    }
    for (host, p) in sender.entries().into_iter().chain(receiver.entries()) {
        match p {
            Some(p) if !p.ok() => return Err(format!("on {host}: {}", p.dump()).into()),
            None => return Err(format!("on {host}: never started").into()),
            _ => {}
        }
    }
    let got = receiver.process(0).map(|p| p.stdout()).unwrap_or_default();
    // After netcat's own lines (`listening on`, `connect to`), what was sent.
    let got = got.lines().last().unwrap_or("").to_string();
    println!(
        "{host1} listening after {:.1} ms; {host2} sent, {host1} received {:?} after {:.1} ms",
        ready_after.as_secs_f64() * 1e3,
        got,
        t.elapsed().as_secs_f64() * 1e3
    );
    Ok(got)
}
