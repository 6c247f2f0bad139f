//! The user guide's first Grid'5000 example: reserve nodes with OAR, wait for them, run
//! a command on each, release them.
//!
//! ```text
//! g5k_reserve_run --frontend lyon            # on Grid'5000 (or from outside, with
//!                                            # `through_access = true` in [g5k])
//! g5k_reserve_run --frontend testsite        # against the test OAR (scripts/oar-testbed.sh),
//!                                            # EXECO_CONFIG giving its ssh_config
//! ```
//!
//! Everything else comes from the execo configuration file, as for any experiment: how
//! frontends and nodes are reached (`[connection]`, `[g5k]`). The job is named, so a
//! second run while the first job lives reuses it (`reserve`) instead of queueing a new
//! one; `--keep` leaves it for the next run. The job is deleted on every way out but
//! `--keep`, a failure included, so that no node stays reserved for nothing.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use execo::action::{Action, Remote};
use execo::config::Config;
use execo::g5k::frontend::through_access;
use execo::g5k::oar::{self, OarJob, OarSubmission};
use execo::g5k::{Frontend, Settings};
use execo::host::ConnectionParams;

/// Reserve nodes, run a command on each, release them.
#[derive(Parser, Debug)]
struct Args {
    /// The site whose frontend takes the job (default: `default_frontend`, else this
    /// machine's site).
    #[arg(long, value_name = "SITE")]
    frontend: Option<String>,
    /// How many nodes.
    #[arg(long, default_value_t = 2)]
    nodes: u32,
    /// Walltime, `H:M:S` or `H:M`.
    #[arg(long, default_value = "0:10:00")]
    walltime: String,
    /// The command run on each node.
    #[arg(long, default_value = "hostname")]
    command: String,
    /// The job's name (a living job of this name is reused).
    #[arg(long, default_value = "execo-reserve-run")]
    name: String,
    /// Seconds to wait for the job to start, at most.
    #[arg(long, default_value_t = 3600)]
    wait: u64,
    /// Keep the job at the end (for the next run to reuse).
    #[arg(long)]
    keep: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    execo::init_logging("info");
    let settings = Config::global().g5k.clone();
    let frontend = match &args.frontend {
        Some(site) => Frontend::of(site, &settings),
        None => Frontend::default_one(&settings),
    };
    let frontend = match frontend {
        Ok(f) => f,
        Err(e) => {
            eprintln!("g5k_reserve_run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let spec = OarSubmission::new(format!("nodes={}", args.nodes))
        .walltime(args.walltime.as_str())
        .name(&args.name);
    let t0 = Instant::now();
    let (job, reused) = match oar::blocking_reserve(&spec, &frontend, &settings) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("g5k_reserve_run: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{} {job}", if reused { "reusing" } else { "submitted" });
    let code = run_on_job(&job, &args, &settings, t0);
    if !args.keep {
        for r in oar::blocking_oardel(std::slice::from_ref(&job), &settings) {
            match r {
                Ok(()) => println!("released {job}"),
                Err(e) => eprintln!("g5k_reserve_run: {e}"),
            }
        }
    }
    code
}

fn run_on_job(job: &OarJob, args: &Args, settings: &Settings, t0: Instant) -> ExitCode {
    let nodes =
        match oar::blocking_oar_job_nodes(job, Some(Duration::from_secs(args.wait)), settings) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("g5k_reserve_run: {e}");
                return ExitCode::FAILURE;
            }
        };
    println!(
        "nodes known after {:.1} s: {}",
        t0.elapsed().as_secs_f64(),
        nodes
            .iter()
            .map(|h| h.address.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    // the nodes as the configuration reaches them, through the access host from outside
    let mut params = ConnectionParams::configured();
    through_access(&mut params, settings);
    let run = match Remote::new(&args.command, nodes)
        .params(params)
        .blocking_run()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("g5k_reserve_run: {e}");
            return ExitCode::FAILURE;
        }
    };
    for p in run.processes() {
        let host = p.host().map(|h| h.address.clone()).unwrap_or_default();
        if p.ok() {
            println!("{host}: {}", p.stdout().trim());
        } else {
            eprintln!("g5k_reserve_run: {host}: {}", p.dump());
        }
    }
    if run.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
