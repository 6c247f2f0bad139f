//! `execo sweep status DIR` and `execo sweep reset DIR [--in-progress]`: look at a
//! checkpointed sweep, and tidy it, without the experiment's program (the sweeper's
//! directory holds the whole sweep, not only what is done).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use execo::sweep::{SweepStatus, reset_dir};

#[derive(Subcommand)]
pub enum SweepCommand {
    /// Counts (total, done, in progress, remaining), per-parameter stats, and what is in
    /// progress where.
    Status {
        /// A sweeper directory, or an experiment's result directory (its `sweeper/`).
        dir: PathBuf,
    },
    /// Put in-progress combinations back to todo: those of dead processes on this host,
    /// or, with --in-progress, all of them (after a crash on another host).
    Reset {
        /// A sweeper directory, or an experiment's result directory (its `sweeper/`).
        dir: PathBuf,
        /// Every in-progress combination, whoever holds it. Make sure no experiment is
        /// running on this sweep.
        #[arg(long)]
        in_progress: bool,
    },
}

pub fn sweep(command: SweepCommand) -> ExitCode {
    let printed = match command {
        SweepCommand::Status { dir } => {
            SweepStatus::read(sweeper_dir(&dir)).map(|status| super::out(format_args!("{status}")))
        }
        SweepCommand::Reset { dir, in_progress } => reset_dir(sweeper_dir(&dir), in_progress)
            .map(|n| outln!("{n} in-progress combination(s) back to todo")),
    };
    match printed {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => super::stdout_failed("sweep", &e),
        Err(e) => {
            errln!("execo sweep: {e}");
            ExitCode::from(2)
        }
    }
}

/// `dir` itself, or its `sweeper/` when `dir` is an experiment's result directory.
fn sweeper_dir(dir: &Path) -> PathBuf {
    let inner = dir.join("sweeper");
    if !dir.join("format").exists() && inner.join("format").exists() {
        inner
    } else {
        dir.to_path_buf()
    }
}
