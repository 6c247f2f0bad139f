//! The guide's "deploy then run" example (execo_g5k's `deploy(Deployment(nodes,
//! env_name=...))` then a `Remote` as root on the deployed nodes): deploys the hosts
//! given, skipping those already deployed and retrying the others, then runs a command as
//! root on every deployed host, and prints the deployment's outcome, execo's Report and
//! what each host printed.
//!
//! ```text
//! # on a Grid'5000 frontend, in a deploy job:
//! g5k_deploy_run --env debian12-min 'taurus-[1-4].lyon.grid5000.fr'
//! # here, against the kadeploy3 stand-in and a test frontend:
//! g5k_deploy_run --frontend fe --kadeploy3 'KADEPLOY3_STANDIN_DIR=/tmp/s tests/stand-ins/kadeploy3' ...
//! ```
//!
//! Everything else (how frontends and nodes are reached, the already-deployed check)
//! comes from the execo configuration file, as for any execo program. Exits 0 when every
//! host was deployed and the command succeeded on all of them.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use execo::action::{Action, Remote, Report};
use execo::config::Config;
use execo::g5k::frontend::frontend_params;
use execo::g5k::kadeploy::{DeployOptions, Deployment, blocking_deploy, describe_try};
use execo::g5k::{Frontend, G5kError};
use execo::host::Host;
use execo::nodeset::NodeSet;

/// Deploy Grid'5000 nodes with kadeploy, then run a command on them as root.
#[derive(Parser, Debug)]
#[command(name = "g5k_deploy_run")]
struct Args {
    /// The nodes, as node sets (`taurus-[1-4].lyon.grid5000.fr`); several sites at once.
    #[arg(required = true)]
    hosts: Vec<String>,
    /// The registered environment to deploy (else the configured default).
    #[arg(long, conflicts_with = "env_file")]
    env: Option<String>,
    /// An environment description file to deploy instead.
    #[arg(long)]
    env_file: Option<String>,
    /// How many kadeploy3 runs at most.
    #[arg(long, default_value_t = 2)]
    num_tries: usize,
    /// Seconds a kadeploy3 run may take.
    #[arg(long, default_value_t = 3600.0)]
    deploy_timeout: f64,
    /// The command run as root on the deployed hosts.
    #[arg(long, default_value = "uname -a")]
    command: String,
    /// Run every site's kadeploy3 on this host instead of the site's frontend.
    #[arg(long)]
    frontend: Option<String>,
    /// The kadeploy3 command (a path, or a stand-in's command line).
    #[arg(long)]
    kadeploy3: Option<String>,
}

fn main() -> ExitCode {
    execo::init_logging("info");
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("g5k_deploy_run: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> execo::Result<bool> {
    let mut hosts = Vec::new();
    for spec in &args.hosts {
        let set = NodeSet::parse(spec).map_err(|e| G5kError::new("read", spec, e.to_string()))?;
        hosts.extend(set.iter().map(Host::new));
    }
    let mut settings = Config::global().g5k.clone();
    if let Some(k) = &args.kadeploy3 {
        settings.kadeploy3 = k.clone();
    }
    let mut d = Deployment::new(hosts);
    if let Some(e) = &args.env {
        d = d.env_name(e);
    }
    if let Some(f) = &args.env_file {
        d = d.env_file(f);
    }
    let timeout = execo::config::timeout_from_secs(args.deploy_timeout).map_err(|why| {
        G5kError::new(
            "use",
            format!("--deploy-timeout {}", args.deploy_timeout),
            why,
        )
    })?;
    let mut opts = DeployOptions::new()
        .num_tries(args.num_tries)
        .deploy_timeout(timeout)
        .check_timeout(Duration::from_secs(30));
    if let Some(f) = &args.frontend {
        for site in d.by_site(&settings)?.keys() {
            opts = opts.frontend(Frontend::at(
                site,
                Host::new(f),
                frontend_params(&settings),
            )?);
        }
    }
    let opts = opts.settings(settings);
    let outcome = blocking_deploy(&d, &opts)?;
    for t in &outcome.tries {
        println!("{}", describe_try(t, opts.num_tries));
    }
    let list = |hs: &[Host]| {
        hs.iter()
            .map(|h| h.address.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("already deployed: {}", list(&outcome.already_deployed));
    println!("deployed: {}", list(&outcome.deployed));
    println!("undeployed: {}", list(&outcome.undeployed));
    for (host, why) in &outcome.reasons {
        println!("  {host}: {why}");
    }
    if outcome.deployed.is_empty() {
        println!("no host deployed: nothing to run");
        return Ok(false);
    }
    let remote = Remote::new(&args.command, outcome.deployed.clone())
        .params(opts.node_params.clone())
        .name("command")
        .configure(|p, _, _| p.timeout(Duration::from_secs(600)))
        .blocking_run()?;
    println!("{}", Report::of("deploy then run", [&remote]));
    for (host, p) in remote.entries() {
        if let Some(p) = p {
            for line in p.stdout().lines() {
                println!("{}: {line}", host.address);
            }
        }
    }
    Ok(outcome.undeployed.is_empty() && remote.ok())
}
