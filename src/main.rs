//! The `execo` command: `run` a command on many hosts (pdsh / clush style), `put` and
//! `get` files, fold and expand node sets (`nodeset`, as ClusterShell's), look at an
//! experiment's `sweep`, and `demo`, a tour of the process kernel.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "execo",
    version,
    about = "Control many local and remote unix processes"
)]
struct Cli {
    /// Log level: error, warn, info, debug, trace (or EXECO_LOG).
    #[arg(long = "log-level", default_value = "warn", global = true)]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A tour of the process kernel: a dialogue with expect, a fan-out of local
    /// processes, a timeout, a failure seen as data.
    Demo {
        /// How many processes the fan-out starts at once.
        #[arg(short = 'n', long, default_value_t = 1000)]
        processes: usize,
    },
    /// Run a command on many hosts over ssh: `execo run -H 'node-[1-10]' uname -r`.
    Run(cli::run::RunArgs),
    /// Copy local files to many hosts: `execo put -H NODESET FILE... DEST`.
    Put(cli::copy::PutArgs),
    /// Copy files from many hosts, into one subdirectory per host:
    /// `execo get -H NODESET REMOTE... LOCALDIR`.
    Get(cli::copy::GetArgs),
    /// A serial console: `execo console /dev/ttyS0`, `execo console HOST:/dev/ttyS0`,
    /// `execo console --kaconsole NODE` (interactive on a terminal, Ctrl-] quits).
    Console(cli::console::ConsoleArgs),
    /// Fold, expand, count and combine node sets, as ClusterShell's `nodeset`:
    /// `execo nodeset -f 'n[1-9]' -x n5`.
    Nodeset(cli::nodeset::NodesetArgs),
    /// Look at or tidy an experiment's checkpointed sweep: `execo sweep status DIR`.
    #[command(subcommand)]
    Sweep(cli::sweep::SweepCommand),
    /// A box plot (PNG or SVG) of an experiment's results: `execo plot results.jsonl
    /// --x num_flows --group cc --metric throughput_bps`.
    #[cfg(feature = "plot")]
    Plot(cli::plot::PlotArgs),
    /// What Grid'5000's reference API knows: `execo g5k hosts taurus --attr
    /// architecture.nb_cores`.
    #[cfg(feature = "g5k")]
    #[command(subcommand)]
    G5k(cli::g5k::G5kCommand),
    /// OAR jobs on Grid'5000 frontends: `execo oar sub -f lyon -l nodes=2 -w 1:00`,
    /// `execo oar nodes -f lyon JOB_ID`, `execo oar del -f lyon JOB_ID`.
    #[cfg(feature = "g5k")]
    #[command(subcommand)]
    Oar(cli::oar::OarCommand),
    /// The remote side of `put --chain` (ChainPut's relay), started over ssh.
    #[command(hide = true)]
    Relay(cli::copy::RelayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    execo::init_logging(&cli.log_level);
    match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Put(args) => cli::copy::put(args),
        Command::Get(args) => cli::copy::get(args),
        Command::Sweep(command) => cli::sweep::sweep(command),
        Command::Nodeset(args) => cli::nodeset::nodeset(args),
        Command::Console(args) => cli::console::console(args),
        #[cfg(feature = "plot")]
        Command::Plot(args) => cli::plot::plot(args),
        #[cfg(feature = "g5k")]
        Command::G5k(command) => cli::g5k::g5k(command),
        #[cfg(feature = "g5k")]
        Command::Oar(command) => cli::oar::oar(command),
        Command::Demo { processes } => cli::demo::demo(processes),
        Command::Relay(args) => cli::copy::relay(args),
    }
}
