//! The experiment engine: execo's `Engine`, the frame of an experiment's life.
//!
//! It gives a run its result directory (a new `<name>_<timestamp>`, or the one `-C DIR`
//! continues in), its logs (a log file there; `-L`, `-R`, `-M` for stdout and stderr),
//! a record of the run (argv, start, machine, versions), and the loop that walks a
//! checkpointed sweep: each combination in turn, its result recorded, failures skipped
//! and retried by the next run, a progress bar on a terminal. Like execo's, it imposes no
//! workflow beyond that: [`Engine::blocking_run_sweep`] (or [`Engine::run_sweep`] in async code) is a convenience; the sweeper and the
//! result directory are there for any other loop.
//!
//! Several workers. Processes on one or several hosts may run the same experiment with
//! `-C` on one directory (shared over NFS across hosts): each takes the combinations
//! nobody holds. A worker that finds nothing left for it while others still run some
//! says which processes hold them (host, pid) and ends with 0: its part is done, the
//! rest is theirs. Failures of its own still end it with 1.
//!
//! Interruptions. On SIGINT, SIGTERM or SIGHUP the kernel terminates every process the
//! experiment started. The engine marks the run interrupted first, so the combination
//! whose processes died goes back to todo instead of being recorded as failed; every
//! item this run has in progress goes back to todo; and the program dies of the signal,
//! so that its exit status (128 + n) says it was interrupted. A `kill -9` leaves stale
//! in-progress entries, which the next run on the same directory puts back itself.
//!
//! `#[experiment]` and `#[params]` (the `execo` facade) write what follows for you: see
//! [`experiment`] for the command line and the context they give. By hand:
//!
//! ```no_run
//! use clap::Parser;
//! use execo_runtime::engine::{Engine, EngineArgs};
//! use execo_runtime::sweep::Sweep;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     engine: EngineArgs,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let args = Args::parse();
//! let engine = Engine::start("demo", &args.engine)?;
//! let combs = Sweep::new().param("n", [1, 2, 3]).combinations();
//! let sweeper = engine.sweeper(combs)?;
//! let outcome = engine.blocking_run_sweep(&sweeper, |c| -> Result<u64, String> {
//!     Ok(c.get("n").map(|n| n.to_string().len() as u64).unwrap_or(0))
//! })?;
//! std::process::exit(engine.finish(&outcome));
//! # }
//! ```

pub mod experiment;
mod meta;
mod outputs;
pub mod params;
mod progress;

use std::fmt::Display;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::sweep::{InProgressEntry, ParamSweeper, SweepError, SweepItem};

pub use experiment::{Experiment, ExperimentEntry, NoArgs, UnfinishedRun};
pub use meta::RunRecord;
pub use params::{EmptyLevels, ParamSpace};

/// The engine's part of an experiment's command line; `#[command(flatten)]` it into the
/// experiment's own clap arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct EngineArgs {
    /// Use, or continue in, this result directory (created when missing). Combinations
    /// already done there are not run again.
    #[arg(
        short = 'C',
        long = "continue",
        visible_short_alias = 'c',
        value_name = "DIR"
    )]
    pub continue_dir: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace (or execo's numbers: 40, 30, 20, 10),
    /// or a tracing filter such as `info,execo_runtime=debug`.
    #[arg(
        short = 'l',
        long = "log-level",
        value_name = "LEVEL",
        default_value = "info"
    )]
    pub log_level: String,
    /// Copy stdout and stderr to the files `stdout` and `stderr` in the result directory.
    #[arg(
        short = 'L',
        long = "copy-outputs",
        conflicts_with = "redirect_outputs"
    )]
    pub copy_outputs: bool,
    /// Redirect stdout and stderr to the files `stdout` and `stderr` in the result
    /// directory.
    #[arg(short = 'R', long = "redirect-outputs")]
    pub redirect_outputs: bool,
    /// With -L or -R: one file, `stdout+stderr`, for both.
    #[arg(short = 'M', long = "merge-outputs")]
    pub merge_outputs: bool,
}

/// Why the engine could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The result directory cannot be created or written to.
    #[error("failed to prepare result directory `{dir}`: {cause}")]
    ResultDir {
        /// The directory.
        dir: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// Stdout or stderr could not be copied or redirected.
    #[error("failed to {what} stdout/stderr to `{file}`: {cause}")]
    Outputs {
        /// `copy` or `redirect`.
        what: &'static str,
        /// The file.
        file: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// The log file or the run record could not be written.
    #[error("failed to write `{file}`: {cause}")]
    Record {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        cause: String,
    },
    /// The checkpointed sweep failed (its error names the file).
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// [`Engine::blocking_run_sweep`] called where it cannot block (async code, a
    /// handler); it becomes `execo::Error::WouldBlock`, as every blocking call's does.
    #[error(transparent)]
    WouldBlock(#[from] crate::blocking::WouldBlock),
}

/// A started experiment: its name and result directory.
#[derive(Debug)]
pub struct Engine {
    name: String,
    result_dir: PathBuf,
    continued: bool,
    run: RunRecord,
}

/// What [`Engine::blocking_run_sweep`] or [`Engine::run_sweep`] did in this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Combinations done (and their results recorded) by this run.
    pub done: usize,
    /// Combinations that failed in this run: skipped, retried by the next run.
    pub failed: usize,
    /// Combinations left to do at the end (failed ones, and those in progress in other
    /// processes, included).
    pub remaining: usize,
    /// Combinations in the sweep.
    pub total: usize,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// At the end, the combinations that other processes sharing the directory still
    /// held, and who holds them: left to them, not to this run.
    pub elsewhere: Vec<InProgressEntry>,
}

/// The signal that interrupted the run, 0 if none.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// The result directory, for the message of an interruption.
static RESULT_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Sweepers whose in-progress items go back to todo when the program is interrupted.
static SWEEPERS: Mutex<Vec<Box<dyn Fn() -> usize + Send>>> = Mutex::new(Vec::new());

/// Whether a SIGINT, SIGTERM or SIGHUP has interrupted the program (once an [`Engine`]
/// started): the signal's number.
pub fn interrupted() -> Option<i32> {
    match INTERRUPTED.load(Ordering::Acquire) {
        0 => None,
        sig => Some(sig),
    }
}

fn on_interrupt(sig: i32) {
    INTERRUPTED
        .compare_exchange(0, sig, Ordering::AcqRel, Ordering::Acquire)
        .ok();
}

/// At exit, and after the processes are gone on a signal: every registered sweeper's
/// in-progress items of this run go back to todo. Runs once, whichever thread (the
/// signal's, or the main one ending) gets there first.
fn release_sweepers() {
    static RELEASED: AtomicBool = AtomicBool::new(false);
    if RELEASED.swap(true, Ordering::AcqRel) {
        return;
    }
    let cancel = std::mem::take(&mut *SWEEPERS.lock().unwrap_or_else(|e| e.into_inner()));
    let returned: usize = cancel.iter().map(|f| f()).sum();
    if let Some(sig) = interrupted() {
        progress::clear();
        let dir = RESULT_DIR
            .get()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        tracing::warn!(
            "interrupted by {}: {returned} combination(s) in progress went back to todo; \
             continue with -C {dir}",
            crate::process::signal_name(sig)
        );
    }
}

impl Engine {
    /// Starts an experiment named `name` (the default result directory is
    /// `<name>_<YYYYmmdd_HHMMSS_zone>` in the current directory): makes sure the result
    /// directory exists and is writable before anything runs, sets up logging (stderr and
    /// `<result_dir>/experiment.log`) and `-L`/`-R`/`-M`, appends this run to
    /// `<result_dir>/runs.yaml`, and hooks interruptions.
    pub fn start(name: &str, args: &EngineArgs) -> Result<Engine, EngineError> {
        let started = meta::now();
        let (dir, continued) = match &args.continue_dir {
            Some(d) => (d.clone(), d.exists()),
            None => (PathBuf::from(format!("{name}_{}", started.stamp)), false),
        };
        let result_dir = prepare_dir(&dir)?;
        if args.copy_outputs || args.redirect_outputs {
            outputs::setup(&result_dir, args.copy_outputs, args.merge_outputs)?;
        }
        let log_file = result_dir.join("experiment.log");
        crate::log::init_logging(&level_filter(&args.log_level), Some(&log_file)).map_err(|e| {
            EngineError::Record {
                file: log_file.clone(),
                cause: e.to_string(),
            }
        })?;
        let run = meta::RunRecord::new(name, &started, continued);
        run.append_to(&result_dir.join("runs.yaml"))?;
        RESULT_DIR.set(result_dir.clone()).ok();
        crate::kernel::on_interrupt(on_interrupt);
        crate::kernel::on_exit(release_sweepers);
        tracing::info!(
            "experiment {name}: {} result directory {}",
            if continued { "continuing in" } else { "new" },
            result_dir.display()
        );
        Ok(Engine {
            name: name.to_string(),
            result_dir,
            continued,
            run,
        })
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The result directory (absolute).
    pub fn result_dir(&self) -> &Path {
        &self.result_dir
    }

    /// Whether this run continues in a directory that existed before.
    pub fn is_continuation(&self) -> bool {
        self.continued
    }

    /// What was recorded about this run in `runs.yaml`.
    pub fn run_record(&self) -> &RunRecord {
        &self.run
    }

    /// The checkpointed sweeper of this experiment, in `<result_dir>/sweeper`, writing
    /// results to `<result_dir>/results.yaml` and `results.jsonl`. Its in-progress items
    /// go back to todo if the program is interrupted.
    pub fn sweeper<T>(&self, sweep: Vec<T>) -> Result<Arc<ParamSweeper<T>>, EngineError>
    where
        T: SweepItem,
    {
        let sweeper = Arc::new(
            ParamSweeper::open(self.result_dir.join("sweeper"), sweep)?
                .results_to(&self.result_dir)?,
        );
        let weak: Weak<ParamSweeper<T>> = Arc::downgrade(&sweeper);
        SWEEPERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(move || {
                weak.upgrade()
                    .and_then(|s| s.cancel_mine().ok())
                    .unwrap_or(0)
            }));
        Ok(sweeper)
    }

    /// Walks `sweeper` until nothing is left to do or a signal comes: for each
    /// combination calls `f`; an `Ok` result is recorded with the combination (done), an
    /// `Err` or a panic is logged and skipped (it is retried by the next run).
    ///
    /// It blocks the calling thread while `f` runs: [`EngineError::WouldBlock`] from
    /// async code or a handler, where [`run_sweep`](Self::run_sweep) is the one to use.
    pub fn blocking_run_sweep<T, R, E, F>(
        &self,
        sweeper: &ParamSweeper<T>,
        mut f: F,
    ) -> Result<Outcome, EngineError>
    where
        T: SweepItem,
        R: Serialize,
        E: Display,
        F: FnMut(&T) -> Result<R, E>,
    {
        crate::blocking::check("Engine::blocking_run_sweep")?;
        let mut walk = self.walk_start(sweeper);
        while let Some(c) = self.walk_next(sweeper, &mut walk)? {
            let t = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| f(&c)));
            if !self.walk_record(sweeper, &mut walk, &c, t, result)? {
                break;
            }
        }
        Ok(self.walk_end(sweeper, walk))
    }

    /// [`blocking_run_sweep`](Self::blocking_run_sweep) for async code and an async
    /// function: each call is awaited in turn on the caller's runtime (the sweeper's
    /// files are small and written in place between calls). From a plain `fn main`:
    /// `execo::process::block_on(engine.run_sweep(&sweeper, f))`.
    pub async fn run_sweep<T, R, E, F, Fut>(
        &self,
        sweeper: &ParamSweeper<T>,
        mut f: F,
    ) -> Result<Outcome, EngineError>
    where
        T: SweepItem,
        R: Serialize,
        E: Display,
        F: FnMut(T) -> Fut,
        Fut: Future<Output = Result<R, E>>,
    {
        let mut walk = self.walk_start(sweeper);
        while let Some(c) = self.walk_next(sweeper, &mut walk)? {
            let t = Instant::now();
            let result = CatchUnwind(std::pin::pin!(f(c.clone()))).await;
            if !self.walk_record(sweeper, &mut walk, &c, t, result)? {
                break;
            }
        }
        Ok(self.walk_end(sweeper, walk))
    }

    /// What a run that has nothing to do ends with, without walking the sweep (so that
    /// nothing is set up for it): says so, and what is left to others.
    pub fn idle<T: SweepItem>(&self, sweeper: &ParamSweeper<T>) -> Result<Outcome, EngineError> {
        let now = sweeper.stats();
        if now.in_progress == 0 {
            tracing::info!(
                "nothing left to do: all {} combinations are done ({})",
                now.total,
                self.result_dir.display()
            );
        } else {
            tracing::info!("nothing left for this run: {now}");
        }
        Ok(Outcome {
            done: 0,
            failed: 0,
            remaining: now.todo + now.skipped + now.in_progress,
            total: now.total,
            interrupted: interrupted().is_some(),
            elsewhere: sweeper.in_progress_elsewhere(),
        })
    }

    fn walk_start<T: SweepItem>(&self, sweeper: &ParamSweeper<T>) -> Walk {
        let at_start = sweeper.stats();
        if at_start.todo == 0 && at_start.in_progress == 0 {
            tracing::info!(
                "nothing left to do: all {} combinations are done ({})",
                at_start.total,
                self.result_dir.display()
            );
        } else {
            tracing::info!("sweep: {at_start}");
        }
        Walk {
            outcome: Outcome {
                total: at_start.total,
                ..Outcome::default()
            },
            bar: progress::Bar::start(at_start.done, at_start.total),
        }
    }

    /// The next combination to run, or `None` when nothing is left or a signal came.
    fn walk_next<T: SweepItem>(
        &self,
        sweeper: &ParamSweeper<T>,
        walk: &mut Walk,
    ) -> Result<Option<T>, EngineError> {
        if interrupted().is_some() {
            walk.outcome.interrupted = true;
            return Ok(None);
        }
        let c = sweeper.get_next()?;
        if let Some(c) = &c {
            tracing::debug!("{}: started", key(c));
        }
        Ok(c)
    }

    /// Records how combination `c`, started at `t`, went; whether to go on.
    fn walk_record<T, R, E>(
        &self,
        sweeper: &ParamSweeper<T>,
        walk: &mut Walk,
        c: &T,
        t: Instant,
        result: std::thread::Result<Result<R, E>>,
    ) -> Result<bool, EngineError>
    where
        T: SweepItem,
        R: Serialize,
        E: Display,
    {
        let outcome = &mut walk.outcome;
        if interrupted().is_some() {
            // Its processes were killed by the signal: not a failure, back to todo.
            sweeper.cancel(c)?;
            outcome.interrupted = true;
            return Ok(false);
        }
        let key = key(c);
        let took = t.elapsed();
        match result {
            Ok(Ok(r)) => {
                sweeper.done_with(c, &r)?;
                outcome.done += 1;
                tracing::info!("{key}: done in {}", secs(took));
            }
            Ok(Err(e)) => {
                sweeper.skip(c)?;
                outcome.failed += 1;
                tracing::warn!(
                    "{key}: failed after {}: {e}; skipped, retried by the next run",
                    secs(took)
                );
            }
            Err(panic) => {
                sweeper.skip(c)?;
                outcome.failed += 1;
                tracing::error!(
                    "{key}: panicked after {}: {}; skipped, retried by the next run",
                    secs(took),
                    panic_message(&panic)
                );
            }
        }
        let now = sweeper.stats();
        walk.bar.update(now.done, now.total, outcome.failed);
        Ok(true)
    }

    fn walk_end<T: SweepItem>(&self, sweeper: &ParamSweeper<T>, walk: Walk) -> Outcome {
        let Walk { mut outcome, bar } = walk;
        bar.finish();
        let end = sweeper.stats();
        outcome.remaining = end.todo + end.skipped + end.in_progress;
        outcome.total = end.total;
        outcome.elsewhere = sweeper.in_progress_elsewhere();
        outcome
    }

    /// Logs how the run ended and returns the exit status the program should end with:
    /// 0 when every combination is done, or when all that is left is in progress in
    /// other processes (named in the message); 1 when some are left to run again (failed
    /// in this run); 128 + n after signal n (unless the signal ends the program first).
    pub fn finish(&self, outcome: &Outcome) -> i32 {
        let dir = self.result_dir.display();
        if let Some(sig) = interrupted() {
            release_sweepers();
            tracing::warn!(
                "interrupted by {} after {} done; continue with -C {dir}",
                crate::process::signal_name(sig),
                outcome.done
            );
            return 128 + sig;
        }
        let elsewhere = outcome.elsewhere.len();
        if outcome.remaining == 0 {
            tracing::info!(
                "all {} combinations done ({} by this run); results in {dir}/results.yaml",
                outcome.total,
                outcome.done
            );
            0
        } else if outcome.failed == 0 && outcome.remaining == elsewhere {
            tracing::info!(
                "nothing left for this worker ({} done by this run): {} in progress \
                 elsewhere ({}); their results go to {dir}/results.yaml",
                outcome.done,
                combinations(elsewhere),
                holders(&outcome.elsewhere)
            );
            0
        } else {
            let others = if elsewhere == 0 {
                String::new()
            } else {
                format!(
                    ", {} in progress elsewhere ({})",
                    combinations(elsewhere),
                    holders(&outcome.elsewhere)
                )
            };
            tracing::warn!(
                "{} of {} combinations left ({} failed in this run{others}); run again \
                 with -C {dir}",
                outcome.remaining,
                outcome.total,
                outcome.failed
            );
            1
        }
    }
}

/// `1 combination`, `2 combinations`.
fn combinations(n: usize) -> String {
    format!("{n} combination{}", if n == 1 { "" } else { "s" })
}

/// Who holds `entries`: `host a, pid 1; host b, pid 2 (3 combinations)`, the first
/// few holders, oldest first.
fn holders(entries: &[InProgressEntry]) -> String {
    const SHOWN: usize = 3;
    let mut by: Vec<(&str, u32, usize)> = Vec::new();
    for e in entries {
        match by.iter_mut().find(|(h, p, _)| *h == e.host && *p == e.pid) {
            Some(slot) => slot.2 += 1,
            None => by.push((&e.host, e.pid, 1)),
        }
    }
    let mut parts: Vec<String> = by
        .iter()
        .take(SHOWN)
        .map(|(h, p, n)| match n {
            1 => format!("host {h}, pid {p}"),
            _ => format!("host {h}, pid {p} ({})", combinations(*n)),
        })
        .collect();
    if by.len() > SHOWN {
        parts.push(format!("and {} more processes", by.len() - SHOWN));
    }
    parts.join("; ")
}

/// Creates `dir` if needed and checks that files can be created in it; returns it
/// absolute.
fn prepare_dir(dir: &Path) -> Result<PathBuf, EngineError> {
    let err = |cause: String| EngineError::ResultDir {
        dir: dir.to_path_buf(),
        cause,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(err("exists and is not a directory".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create it: {e}")))?;
    let probe = dir.join(format!(".execo-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| err(format!("not writable: {e}")))?;
    std::fs::remove_file(&probe).ok();
    std::path::absolute(dir).map_err(|e| err(e.to_string()))
}

/// execo's `-l` takes Python's numeric levels too.
fn level_filter(level: &str) -> String {
    match level.trim() {
        "" => "info".into(),
        "10" => "debug".into(),
        "20" => "info".into(),
        "30" => "warn".into(),
        "40" | "50" => "error".into(),
        l => l.to_lowercase().replace("warning", "warn"),
    }
}

/// A sweep being walked: what it did so far, and its progress bar.
struct Walk {
    outcome: Outcome,
    bar: progress::Bar,
}

/// A combination as a log key.
fn key<T: SweepItem>(c: &T) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| format!("{c:?}"))
}

/// A future whose panic is caught, as `catch_unwind` does for a call.
struct CatchUnwind<'a, F: Future>(std::pin::Pin<&'a mut F>);

impl<F: Future> Future for CatchUnwind<'_, F> {
    type Output = std::thread::Result<F::Output>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(out)) => std::task::Poll::Ready(Ok(out)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
