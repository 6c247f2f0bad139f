//! execo's flagship experiment (the user guide's `g5k_tcp_congestion`): TCP throughput
//! against the number of parallel flows, for the cubic and reno congestion controls.
//!
//! 30 combinations: `num_flows = igeom(1, 20, 5)` (1, 2, 4, 9, 20), `cc = ["cubic",
//! "reno"]`, `repeat = 0..3`. For each, an iperf3 server on the first host (its
//! readiness awaited with `expect`, not a sleep), an iperf3 client on the second with
//! `-P num_flows -C cc -J`, and the throughput the server received, parsed from the
//! client's JSON report (`end.sum_received.bits_per_second`). Results go to the result
//! directory's `results.yaml` and `results.jsonl`; at the end the box plot
//! `tcp_congestion.png` (one box per number of flows and congestion control, as in the
//! guide's figure).
//!
//! ```text
//! tcp_congestion -C results/tcp_congestion            # on this machine
//! tcp_congestion -C results/tcp_congestion --quick    # 6 combinations, about 20 s
//! tcp_congestion -C DIR --hosts server,client         # on two machines over ssh
//! tcp_congestion -C DIR --g5k 'taurus:2,walltime=1:00' # on two Grid'5000 nodes
//! ```
//!
//! Where it runs ([`execo_experiments::testbed`]): with `--hosts`, on those machines over
//! ssh (iperf3 installed there; as in the guide, the congestion control must be allowed
//! for the user: root, or `net.ipv4.tcp_allowed_congestion_control`). With none, on this
//! machine: as root in two network namespaces it creates (`execo-xp-a`, 10.215.0.1, the
//! server; `execo-xp-b`, 10.215.0.2, the client) on a bridge, else both ends over
//! loopback.
//!
//! The namespaces' link is shaped with netem, `delay 10ms rate 1gbit` on each side by
//! default (`--netem`): a 20 ms round trip and a 1 Gbit/s bottleneck with a queue, the
//! kind of long fat pipe between two sites where congestion control shows (reno regrows
//! its window by one segment per round trip after a loss, cubic much faster, and more
//! flows share the recovery). A bare veth, or loopback, is limited by the CPU, not by a
//! congested queue, and there cubic and reno look the same. A kernel without netem
//! (sch_netem) gets a warning and the bare veth; each result records the link it was
//! measured on.
//!
//! With `--g5k` (feature `g5k`) it gets its own nodes: the request is planned, reserved
//! in a job named after the experiment and its result directory, waited for (and
//! deployed with `deploy=ENV`); the sweep runs on the first two nodes, each result
//! records the site, cluster, job and nodes, and the tear-down releases the job unless
//! the request says `keep`. Each combination first checks that the job still runs: a
//! job deleted by someone else stops the sweep with an error naming it.
//!
//! Interrupt it (Ctrl-C, or `kill -9`) and run it again with `-C DIR`: only the
//! combinations not yet done run, the namespaces a killed run left are replaced, and a
//! Grid'5000 job a killed run left is reused.
//!
//! The whole experiment is one `#[experiment]`: [`setup`] builds the testbed and checks
//! iperf3 (not called when nothing is left to do), [`tcp_congestion`] measures one
//! combination, [`teardown`] deletes the namespaces (on success, error and Ctrl-C; after
//! a `kill -9`, the next run's set-up does), and [`finish`] draws the plot from every
//! result. The runtime writes `main`: the engine's flags, these [`Args`], `--quick`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use execo::engine::Outcome;
use execo::plot::BoxPlot;
use execo::prelude::*;
use execo_experiments::{G5kRecord, Kind, Testbed, TestbedArgs, TestbedError};
use serde::Serialize;

/// The experiment's own flags, beside the engine's.
#[derive(clap::Args, Debug)]
struct Args {
    #[command(flatten)]
    testbed: TestbedArgs,
    /// How long each iperf3 test lasts.
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    seconds: u32,
    /// The namespace hosts' link: netem options applied on each host's eth0 (so the
    /// round trip is twice the delay), or `none` for the bare veth.
    #[arg(long, value_name = "OPTIONS", default_value = "delay 10ms rate 1gbit")]
    netem: String,
    /// iperf3's port on namespace and ssh hosts (loopback takes a free one).
    #[arg(long, value_name = "PORT", default_value_t = 5201)]
    port: u16,
}

/// What one combination measured.
#[derive(Serialize, Debug)]
struct Measure {
    /// What the server received, all flows together, in Mbit/s.
    throughput_mbps: f64,
    /// Retransmitted segments, all flows together (the sender's count).
    retransmits: Option<u64>,
    /// The link it was measured on (`veth, netem delay 10ms rate 1gbit`, `loopback`...).
    link: String,
    /// The server's and the client's addresses.
    server: String,
    client: String,
    /// Where on Grid'5000, with `--g5k`.
    #[serde(skip_serializing_if = "Option::is_none")]
    g5k: Option<G5kRecord>,
}

/// What every combination runs with: the hosts, how to reach them, the test's length.
struct Setup {
    /// Where the hosts are; its namespaces go with it.
    testbed: Testbed,
    /// Server, client.
    hosts: [Host; 2],
    /// How to reach them ([`Testbed::params`]).
    params: ConnectionParams,
    /// The link between them, for the record ([`Testbed::link`]).
    link: String,
    /// iperf3's `-t`.
    seconds: u32,
    /// iperf3's `-p`.
    port: u16,
    /// Where on Grid'5000, with `--g5k`.
    g5k: Option<G5kRecord>,
}

/// Sets up the testbed (two hosts: ssh, Grid'5000, network namespaces or loopback) and checks that
/// iperf3 and both congestion controls are there. Namespaces a killed run left are
/// deleted by [`Testbed::new`] (its namespaces are found by their prefix).
fn setup(xp: &Experiment<Args>) -> Result<Setup, TestbedError> {
    let args = xp.args();
    let netem = Some(args.netem.as_str()).filter(|n| *n != "none");
    let testbed = Testbed::for_experiment(xp.name(), xp.result_dir(), &args.testbed, 2, netem)?;
    tracing::info!(
        "server {}, client {} ({}, link {})",
        testbed.hosts()[0],
        testbed.hosts()[1],
        testbed.kind(),
        testbed.link()
    );
    preflight(&testbed, &["cubic", "reno"])?;
    let port = testbed.ports(args.port, 1)?[0];
    // A killed run's iperf3 on remote hosts (a reused Grid'5000 job) would hold the port.
    if !xp.unfinished_runs().is_empty() && matches!(testbed.kind(), Kind::Ssh | Kind::G5k) {
        clear_leftovers(&testbed, port)?;
    }
    Ok(Setup {
        hosts: [testbed.hosts()[0].clone(), testbed.hosts()[1].clone()],
        params: testbed.params(),
        link: testbed.link().to_string(),
        seconds: args.seconds,
        port,
        g5k: testbed.g5k_record(),
        testbed,
    })
}

/// TCP throughput against the number of parallel flows, cubic and reno (execo's
/// g5k_tcp_congestion, on this machine by default).
///
/// One combination: an iperf3 server on the first host, a client with `p.num_flows`
/// flows of congestion control `p.cc` on the second; the throughput received.
#[experiment(setup = setup, teardown = teardown, finish = finish)]
#[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat = 0..3)]
#[params(quick, num_flows = igeom(1, 20, 3), repeat = 0..1)]
async fn tcp_congestion(xp: &mut Experiment<Args, Setup>, p: Params) -> execo::Result<Measure> {
    let s = xp.setup();
    // On Grid'5000, checked meanwhile: the nodes are still ours (a job deleted by
    // someone else fails the combination with an error naming it).
    s.testbed.while_held(measure(s, &p)).await
}

/// One combination's measure on the set-up's hosts.
async fn measure(s: &Setup, p: &Params) -> execo::Result<Measure> {
    let [server, client] = &s.hosts;
    let (target, port, seconds) = (&server.address, s.port, s.seconds);
    let limit = Duration::from_secs(u64::from(seconds) + 30);
    let grace = limit.as_secs() + 5; // the server goes by itself, even after a kill -9

    let srv = remote!("timeout <<grace>> iperf3 -s -1 -p <<port>> --forceflush" on [server])
        .params(s.params.clone())
        .configure(move |p, _, _| p.timeout(limit).expect_timeout(Duration::from_secs(15)))
        .start()?;
    // iperf3 prints this once its socket listens: no sleep, no race.
    if let Some(Err(e)) = srv.expect("^Server listening").await?.pop() {
        return Err(format!("iperf3 server on {server} not ready: {e}").into());
    }
    let run = remote!(
        "iperf3 -c <<target>> -p <<port>> -t <<seconds>> -P <<p.num_flows>> -C <<p.cc>> -J"
        on [client]
    )
    .params(s.params.clone())
    .configure(move |p, _, _| {
        p.timeout(limit).nolog_exit_code(true) // its JSON says why it failed
    })
    .run()
    .await?;
    // `-1`: the server ends after its one test; killed if it has not within 5 s.
    if !srv.wait_timeout(Duration::from_secs(5)).await {
        srv.kill();
    }
    let iperf = run.process(0).ok_or("the iperf3 client never started")?;
    let (throughput_mbps, retransmits) = parse_iperf3(&iperf.stdout(), &p.cc)
        .map_err(|e| format!("iperf3 client on {client}: {e}; {}", iperf.dump()))?;
    Ok(Measure {
        throughput_mbps,
        retransmits,
        link: s.link.clone(),
        server: server.to_string(),
        client: client.to_string(),
        g5k: s.g5k.clone(),
    })
}

/// Throughput (Mbit/s) and retransmits from iperf3's `-J` report; its `error` when it
/// failed.
fn parse_iperf3(json: &str, cc: &str) -> Result<(f64, Option<u64>), String> {
    let v: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("no JSON report ({e}) in its output {:?}", tail(json)))?;
    if let Some(err) = v["error"].as_str() {
        return Err(err.to_string());
    }
    let end = &v["end"];
    let bps = end["sum_received"]["bits_per_second"]
        .as_f64()
        .ok_or("no end.sum_received.bits_per_second in its report")?;
    // The flows really used the congestion control asked for.
    if let Some(used) = end["sender_tcp_congestion"].as_str()
        && used != cc
    {
        return Err(format!(
            "asked for congestion control {cc}, the flows used {used}"
        ));
    }
    Ok((
        (bps / 1e4).round() / 100.0,
        end["sum_sent"]["retransmits"].as_u64(),
    ))
}

fn tail(s: &str) -> String {
    let n = s.chars().count();
    s.chars().skip(n.saturating_sub(200)).collect()
}

/// Before any combination: iperf3 is on every host, and each congestion control of the
/// sweep is available there (and allowed, for a user who is not root).
fn preflight(tb: &Testbed, ccs: &[&str]) -> Result<(), TestbedError> {
    let probe = "command -v iperf3 >/dev/null || { echo 'iperf3: not found'; exit 3; }; \
                 echo available $(cat /proc/sys/net/ipv4/tcp_available_congestion_control); \
                 echo allowed $(cat /proc/sys/net/ipv4/tcp_allowed_congestion_control); \
                 echo uid $(id -u)";
    let run = Remote::new(probe, tb.hosts())
        .params(tb.params())
        .configure(|p, _, _| p.timeout(Duration::from_secs(30)).nolog_exit_code(true))
        .blocking_run()
        .map_err(|e| TestbedError(e.to_string()))?;
    let mut problems = Vec::new();
    for (host, p) in run.entries() {
        let Some(p) = p else {
            problems.push(format!("{host}: never started"));
            continue;
        };
        let out = p.stdout();
        if p.exit_code() == Some(3) {
            problems.push(format!(
                "iperf3 is not installed on {host}: install it with `apt-get install iperf3` \
                 (scripts/deps.sh does)"
            ));
            continue;
        }
        if !p.ok() {
            problems.push(format!("failed to probe {host}: {}", p.dump()));
            continue;
        }
        let line = |key: &str| -> Vec<String> {
            out.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|l| l.split_whitespace().map(String::from).collect())
                .unwrap_or_default()
        };
        let (available, allowed) = (line("available "), line("allowed "));
        let root = line("uid ").first().is_some_and(|u| u == "0");
        for cc in ccs {
            if !available.iter().any(|a| a == cc) {
                problems.push(format!(
                    "congestion control {cc} is not available on {host} (available: {}): load \
                     it with `modprobe tcp_{cc}`",
                    available.join(" ")
                ));
            } else if !root && !allowed.iter().any(|a| a == cc) {
                problems.push(format!(
                    "congestion control {cc} is not allowed for non-root users on {host} \
                     (allowed: {}): as root, `sysctl -w \
                     net.ipv4.tcp_allowed_congestion_control=\"{} {cc}\"`, or run as root",
                    allowed.join(" "),
                    allowed.join(" ")
                ));
            }
        }
    }
    // Loopback hosts are one machine: one message each.
    problems.dedup();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(TestbedError(problems.join("\n")))
    }
}

/// Ends the iperf3 servers on `port` that a killed run left on the hosts (only the user's,
/// only this command line), and waits until they are gone.
fn clear_leftovers(tb: &Testbed, port: u16) -> Result<(), TestbedError> {
    // `[i]`: the pattern does not match this shell's own command line.
    let pattern = format!("[i]perf3 -s -1 -p {port} --forceflush");
    let script = format!(
        "pkill -KILL -u \"$(id -u)\" -f '{pattern}'; \
         while pgrep -u \"$(id -u)\" -f '{pattern}' >/dev/null; do sleep 0.1; done"
    );
    let run = Remote::new(script, tb.hosts())
        .params(tb.params())
        .configure(|p, _, _| p.timeout(Duration::from_secs(20)))
        .blocking_run()
        .map_err(|e| TestbedError(e.to_string()))?;
    if !run.ok() {
        let why: Vec<String> = run
            .processes()
            .iter()
            .filter(|p| !p.ok())
            .map(|p| p.dump())
            .collect();
        return Err(TestbedError(format!(
            "failed to end the iperf3 servers a killed run left: {}",
            why.join("; ")
        )));
    }
    tracing::info!("ended the iperf3 servers a killed run may have left on port {port}");
    Ok(())
}

/// The box plot of `results.jsonl` in `dir`: throughput against flows, per congestion
/// control.
fn plot(dir: &Path) -> execo::Result<PathBuf> {
    let results = dir.join("results.jsonl");
    let links: std::collections::BTreeSet<String> = std::fs::read_to_string(&results)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["result"]["link"].as_str().map(String::from))
        .collect();
    let links: Vec<String> = links.into_iter().collect();
    let mut plot = BoxPlot::new("num_flows", "throughput_mbps");
    plot.group = Some("cc".into());
    plot.title = Some(format!(
        "TCP throughput, cubic and reno ({})",
        links.join("; ")
    ));
    plot.x_label = Some("parallel flows".into());
    plot.y_label = Some("throughput (Mbit/s)".into());
    let out = dir.join("tcp_congestion.png");
    let points = plot.load_points(&results)?;
    plot.render(&points, &out)?;
    Ok(out)
}

/// Deletes the namespaces, or releases the Grid'5000 job, now, before the plot.
fn teardown(_: &Experiment<Args>, mut s: Setup) -> Result<(), TestbedError> {
    s.testbed.tear_down()
}

/// The plot of every result so far, and where the results are.
fn finish(xp: &Experiment<Args>, _: &Outcome) -> execo::Result<()> {
    let dir = xp.result_dir();
    match plot(dir) {
        Ok(png) => tracing::info!("plot: {}", png.display()),
        Err(e) => tracing::warn!("no plot: {e}"),
    }
    println!("results: {}", dir.join("results.yaml").display());
    let png = dir.join("tcp_congestion.png");
    if png.exists() {
        println!("plot:    {}", png.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweeps_are_the_guides_and_a_subset_of_it() {
        let full = Params::sweep();
        assert_eq!(full.len(), 30);
        let quick = Params::quick_sweep().unwrap();
        assert_eq!(quick.len(), 6);
        assert!(quick.iter().all(|q| full.contains(q)));
    }

    #[test]
    fn iperf3_reports_are_read_and_errors_named() {
        let ok = r#"{"end": {"sum_sent": {"retransmits": 7},
            "sum_received": {"bits_per_second": 941234567.0},
            "sender_tcp_congestion": "reno"}}"#;
        assert_eq!(parse_iperf3(ok, "reno").unwrap(), (941.23, Some(7)));
        let wrong = parse_iperf3(ok, "cubic").unwrap_err();
        assert!(wrong.contains("the flows used reno"), "{wrong}");
        let failed = r#"{"start": {}, "error": "unable to connect to server: Connection refused"}"#;
        assert_eq!(
            parse_iperf3(failed, "reno").unwrap_err(),
            "unable to connect to server: Connection refused"
        );
        assert!(
            parse_iperf3("iperf3: error", "reno")
                .unwrap_err()
                .contains("no JSON")
        );
    }
}
