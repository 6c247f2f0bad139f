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
//! A plain `fn main` script: every call blocks, and reads top to bottom as the guide's
//! Python does. The receiver's handle kills it if the script leaves early (execo's
//! `with ... as receiver`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use execo::prelude::*;
use execo_experiments::{NetcatArgs, Testbed, TestbedArgs, not_ready};

/// The user guide's netcat pair: a receiver, awaited with expect, then a sender.
#[derive(Parser, Debug)]
#[command(name = "netcat")]
struct Cli {
    #[command(flatten)]
    testbed: TestbedArgs,
    /// One round instead of three.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    netcat: NetcatArgs,
}

/// How long a round may take, whatever happens.
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// One round: receiver, expect, sender, wait; what the receiver got.
fn round(tb: &Testbed, nc: &str, port: u16) -> Result<String, String> {
    let [host1, host2] = [&tb.hosts()[0], &tb.hosts()[1]];
    let target = &host1.address;
    let t = Instant::now();
    let receiver = remote!("<<nc>> -n -vlp <<port>> 2>&1" on [host1])
        .params(tb.params())
        .configure(|p, _, _| {
            p.timeout(ROUND_LIMIT)
                .expect_timeout(Duration::from_secs(10));
        })
        .start()
        .map_err(|e| e.to_string())?;
    for ready in receiver
        .blocking_expect("^[Ll]istening on")
        .map_err(|e| e.to_string())?
    {
        ready.map_err(|e| {
            let p = receiver.process(0);
            not_ready(nc, "netcat-traditional", host1, p.as_ref(), &e)
        })?;
    }
    let ready_after = t.elapsed();
    let sender = remote!("echo 'hi there!' | <<nc>> -q 0 <<target>> <<port>>" on [host2])
        .params(tb.params())
        .configure(|p, _, _| {
            p.timeout(ROUND_LIMIT);
        })
        .blocking_run()
        .map_err(|e| e.to_string())?;
    if !receiver.blocking_wait_timeout(Duration::from_secs(10)) {
        receiver.kill();
        return Err(format!(
            "netcat receiver on {host1} did not end after the sender's EOF"
        ));
    }
    for (host, p) in sender.entries().into_iter().chain(receiver.entries()) {
        match p {
            Some(p) if !p.ok() => return Err(format!("on {host}: {}", p.dump())),
            None => return Err(format!("on {host}: never started")),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    execo::init_logging(&cli.netcat.log_level);
    let mut tb = match Testbed::new(&cli.testbed, 2, None) {
        Ok(tb) => tb,
        Err(e) => {
            eprintln!("netcat: {e}");
            return ExitCode::from(2);
        }
    };
    let port = match tb.ports(cli.netcat.port, 1) {
        Ok(p) => p[0],
        Err(e) => {
            eprintln!("netcat: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "hosts: {} and {} ({})",
        tb.hosts()[0],
        tb.hosts()[1],
        tb.kind()
    );
    let rounds = if cli.quick { 1 } else { 3 };
    let mut failed = 0;
    for i in 1..=rounds {
        match round(&tb, &cli.netcat.nc, port) {
            Ok(got) if got == "hi there!" => {}
            Ok(got) => {
                failed += 1;
                eprintln!("netcat: round {i}: received {got:?}, not \"hi there!\"");
            }
            Err(e) => {
                failed += 1;
                eprintln!("netcat: round {i}: {e}");
            }
        }
    }
    tb.tear_down();
    if failed == 0 {
        println!("{rounds} of {rounds} rounds ok");
        ExitCode::SUCCESS
    } else {
        eprintln!("netcat: {failed} of {rounds} rounds failed");
        ExitCode::FAILURE
    }
}
