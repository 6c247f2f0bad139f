//! What `#[experiment]` expands to relies on: the context an experiment function gets
//! ([`Experiment`]), the registry of the experiments linked into a binary
//! ([`ExperimentEntry`], through `inventory`), and the generated `main`
//! ([`main`]): the engine's command line, `--dry-run`, `--list`, and the sweep loop.
//!
//! The expansion itself stays small (a registration and two thin wrappers): the loop,
//! the command line and the messages live here, compiled once with the runtime rather
//! than in every experiment crate.
//!
//! A binary with one experiment runs it: `prog -C DIR`. With several, each is a
//! subcommand: `prog NAME -C DIR`. `prog --list` prints the experiments a binary holds;
//! the `execo` command cannot list them, since it holds none (an experiment is listed by
//! the binary it is linked into).
//!
//! A whole experiment, not only its loop: `#[experiment(setup = .., teardown = ..,
//! finish = ..)]` hands [`Hooks`] to the runtime, which runs them around the sweep
//! ([`run_async`]). The set-up builds what the combinations need (a testbed, servers, a
//! reservation) and is not called when nothing is left to do; its value is the
//! context's [`Experiment::setup`]. The tear-down gets it back and runs on success, on
//! error and on SIGINT/SIGTERM/SIGHUP (the signal's exit waits for it, bounded by
//! [`TEARDOWN_WAIT`]). What a `kill -9` leaves behind is the next run's set-up's to
//! clear: [`Experiment::unfinished_runs`] says that an earlier run on this host died
//! before its tear-down. The finish step (a plot, a summary) runs after the tear-down,
//! unless a signal stopped the run, with the whole result directory to read
//! ([`Experiment::results`]). A quick sweep declared beside the full one
//! (`#[params(quick, ..)]`) gives the binary `--quick`.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use serde::Serialize;

use super::params::{EmptyLevels, ParamSpace};
use super::{Engine, EngineArgs, Outcome};
use crate::sweep::{ResultEntry, SweepStatus, read_results};

#[doc(hidden)]
pub use inventory;

/// No command-line arguments of the experiment's own: the default of [`Experiment`].
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NoArgs {}

/// The context of an `#[experiment]` function, one per run: the [`Engine`] (result
/// directory, run record), the experiment's own command-line arguments `A` (a
/// `clap::Args` struct, flattened beside the engine's; write `&mut Experiment<MyArgs>`
/// in the function's signature), what its set-up built, `S` (`&mut Experiment<MyArgs,
/// MySetup>` with `#[experiment(setup = my_setup)]`), and the combination being run.
///
/// The set-up, tear-down and finish steps get it without the set-up's value:
/// `&Experiment<MyArgs>`.
pub struct Experiment<A = NoArgs, S = ()> {
    engine: Arc<Engine>,
    args: A,
    setup: S,
    quick: bool,
    unfinished: Vec<UnfinishedRun>,
    combination: Option<String>,
}

/// An earlier run of the experiment on this host, in this result directory, that set
/// up and died before its tear-down (a `kill -9`, a power cut): what it set up outside
/// the program may still be there. See [`Experiment::unfinished_runs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRun {
    /// Its process id.
    pub pid: u32,
}

impl<A, S> Experiment<A, S> {
    /// The engine of this run.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The experiment's name (its function's, unless `#[experiment(name = "..")]`).
    pub fn name(&self) -> &str {
        self.engine.name()
    }

    /// The experiment's own command-line arguments.
    pub fn args(&self) -> &A {
        &self.args
    }

    /// What the set-up built (`#[experiment(setup = ..)]`).
    pub fn setup(&self) -> &S {
        &self.setup
    }

    /// What the set-up built, to change.
    pub fn setup_mut(&mut self) -> &mut S {
        &mut self.setup
    }

    /// Whether this run sweeps the quick sweep (`--quick`, with `#[params(quick, ..)]`).
    pub fn is_quick(&self) -> bool {
        self.quick
    }

    /// The earlier runs on this host, in this result directory, that died between their
    /// set-up and their tear-down (killed with `kill -9`): a set-up clears what they may
    /// have left (servers, namespaces, files) before it builds its own. Empty in a new
    /// directory and after runs that ended any other way.
    pub fn unfinished_runs(&self) -> &[UnfinishedRun] {
        &self.unfinished
    }

    /// The result directory (absolute): `-C DIR`, or a new `<name>_<timestamp>`.
    pub fn result_dir(&self) -> &Path {
        self.engine.result_dir()
    }

    /// Every result recorded in the result directory so far, by this run and the
    /// earlier ones, in the order they were done: the combination as `P` (the
    /// experiment's parameters), what the function returned as JSON.
    pub fn results<P: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<Vec<ResultEntry<P, serde_json::Value>>, crate::sweep::SweepError> {
        let file = self.result_dir().join("results.jsonl");
        if !file.exists() {
            return Ok(Vec::new());
        }
        read_results(file)
    }

    /// The combination being run, as the logs show it (its JSON text).
    pub fn combination(&self) -> Option<&str> {
        self.combination.as_deref()
    }

    /// A directory for the files of the combination being run (logs gathered from the
    /// hosts, raw outputs), created if needed: `<result_dir>/combinations/<a=1,b=x>`,
    /// named after its levels so that a continued run finds it again. Left as it is
    /// when the combination fails and is retried.
    pub fn combination_dir(&self) -> std::io::Result<PathBuf> {
        let key = self.combination.as_deref().ok_or_else(|| {
            std::io::Error::other("no combination is being run (combination_dir outside the sweep)")
        })?;
        let dir = self
            .engine
            .result_dir()
            .join("combinations")
            .join(dir_name(key));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn with_setup<T>(self, setup: T) -> (Experiment<A, T>, S) {
        let Experiment {
            engine,
            args,
            setup: old,
            quick,
            unfinished,
            combination,
        } = self;
        (
            Experiment {
                engine,
                args,
                setup,
                quick,
                unfinished,
                combination,
            },
            old,
        )
    }
}

impl<A: std::fmt::Debug, S> std::fmt::Debug for Experiment<A, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Experiment")
            .field("engine", &self.engine)
            .field("args", &self.args)
            .field("quick", &self.quick)
            .field("unfinished", &self.unfinished)
            .field("combination", &self.combination)
            .finish()
    }
}

/// `{"a":1,"b":"x y"}` → `a=1,b=x_y`: a file name that says which combination it is.
fn dir_name(key: &str) -> String {
    let pairs = match serde_json::from_str::<serde_json::Value>(key) {
        Ok(serde_json::Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => key.to_string(),
    };
    let name: String = pairs
        .chars()
        .map(|c| match c {
            '/' | '\0' | ' ' | '\n' | '\t' => '_',
            c => c,
        })
        .collect();
    match name.as_str() {
        "" | "." | ".." => format!("_{name}"),
        _ => name,
    }
}

/// The type an `#[experiment]` function takes by `&mut` first: [`Experiment<A, S>`],
/// which says what `A`, the experiment's own arguments, and `S`, what its set-up builds,
/// are.
#[diagnostic::on_unimplemented(
    message = "the first parameter of an `#[experiment]` must be `&mut Experiment`, not `&mut {Self}`",
    label = "not an experiment's context",
    note = "write `xp: &mut Experiment`, or `xp: &mut Experiment<MyArgs>` with a `clap::Args` struct of your own, or `xp: &mut Experiment<MyArgs, MySetup>` with `#[experiment(setup = ..)]`"
)]
pub trait ExperimentContext: Sized {
    /// The experiment's own command-line arguments.
    type Args: clap::Args + FromArgMatches + Send + 'static;
    /// What the experiment's set-up builds (`()` without one).
    type Setup;

    #[doc(hidden)]
    fn __from(xp: Experiment<Self::Args, Self::Setup>) -> Self;

    #[doc(hidden)]
    fn __into(self) -> Experiment<Self::Args, Self::Setup>;

    #[doc(hidden)]
    fn __set_combination(&mut self, key: Option<String>);
}

impl<A: clap::Args + FromArgMatches + Send + 'static, S> ExperimentContext for Experiment<A, S> {
    type Args = A;
    type Setup = S;

    fn __from(xp: Experiment<A, S>) -> Self {
        xp
    }

    fn __into(self) -> Experiment<A, S> {
        self
    }

    fn __set_combination(&mut self, key: Option<String>) {
        self.combination = key;
    }
}

/// A step's error, as the logs show it.
pub type HookError = String;

/// What `#[experiment(setup = .., teardown = .., finish = ..)]` and `#[params(quick,
/// ..)]` give the runtime, beside the experiment function (`A` its arguments, `S` what
/// its set-up builds, `P` its parameters).
pub struct Hooks<A, S, P> {
    /// Builds what every combination needs; not called when nothing is left to do. An
    /// error ends the run before any combination (exit status 2).
    pub setup: SetupFn<A, S>,
    /// Undoes it, given it back: after the sweep, whether it succeeded, failed or was
    /// interrupted by a signal. Without one, it is dropped at that point.
    pub teardown: Option<TeardownFn<A, S>>,
    /// After the tear-down, unless a signal stopped the run (and also when there was
    /// nothing left to do): a plot, a summary, from the results of every run.
    pub finish: Option<FinishFn<A>>,
    /// The quick sweep, `--quick`.
    pub quick: Option<QuickFn<P>>,
}

/// A set-up ([`Hooks::setup`]).
pub type SetupFn<A, S> = fn(&Experiment<A>) -> Result<S, HookError>;
/// A tear-down ([`Hooks::teardown`]).
pub type TeardownFn<A, S> = fn(&Experiment<A>, S) -> Result<(), HookError>;
/// A finish step ([`Hooks::finish`]).
pub type FinishFn<A> = fn(&Experiment<A>, &Outcome) -> Result<(), HookError>;
/// A quick sweep ([`Hooks::quick`]).
pub type QuickFn<P> = fn() -> Result<Vec<P>, QuickSweepError>;

/// The set-up of an experiment that has none.
pub fn no_setup<A>(_: &Experiment<A>) -> Result<(), HookError> {
    Ok(())
}

/// A step's result, its error as text: what the generated hooks return.
pub fn hook<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, HookError> {
    r.map_err(|e| e.to_string())
}

/// Why the quick sweep (`#[params(quick, ..)]`) cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum QuickSweepError {
    /// One of its parameters has no levels.
    #[error("quick sweep: {0}")]
    Empty(#[from] EmptyLevels),
    /// A combination of it is not one of the experiment's parameters.
    #[error(
        "quick sweep: combination {combination} is not a combination of the parameters: {cause}"
    )]
    NotAParameter {
        /// The combination, as JSON.
        combination: String,
        /// Why.
        cause: String,
    },
}

/// The quick sweep: the combinations of `Q` (the struct `#[params(quick, ..)]`
/// generates, the full sweep's parameters with the levels it gives) as `P`, the
/// experiment's parameters.
pub fn quick_sweep<Q: ParamSpace, P: ParamSpace>() -> Result<Vec<P>, QuickSweepError> {
    Q::try_sweep()?
        .into_iter()
        .map(|q| {
            let bad = |cause: String| QuickSweepError::NotAParameter {
                combination: serde_json::to_string(&q).unwrap_or_else(|_| format!("{q:?}")),
                cause,
            };
            let v = serde_json::to_value(&q).map_err(|e| bad(e.to_string()))?;
            serde_json::from_value(v).map_err(|e| bad(e.to_string()))
        })
        .collect()
}

/// An experiment linked into the binary, registered by `#[experiment]`.
#[derive(Debug)]
pub struct ExperimentEntry {
    /// Its name: the subcommand that selects it, and the default result directory's
    /// prefix.
    pub name: &'static str,
    /// The first paragraph of its doc comment.
    pub about: &'static str,
    /// Adds its arguments (the engine's and its own) to a command.
    pub command: fn(Command) -> Command,
    /// Runs it (or shows its plan, `--dry-run`) with the parsed command line.
    pub run: fn(&ArgMatches, &mut dyn Write) -> ExitCode,
}

inventory::collect!(ExperimentEntry);

/// The experiments linked into this binary, by name.
pub fn registered() -> Vec<&'static ExperimentEntry> {
    let mut v: Vec<_> = inventory::iter::<ExperimentEntry>.into_iter().collect();
    v.sort_by_key(|e| e.name);
    v
}

/// [`command`], and `--quick`: for an experiment with a quick sweep. An experiment's
/// own `quick` flag, if it has one, is that flag (one argument, not two that clap
/// refuses).
pub fn command_quick<C: ExperimentContext>(cmd: Command) -> Command {
    let cmd = command::<C>(cmd);
    if cmd.get_arguments().any(|a| a.get_id() == "quick") {
        return cmd;
    }
    cmd.arg(
        Arg::new("quick")
            .long("quick")
            .action(ArgAction::SetTrue)
            .help("Sweep the quick sweep (#[params(quick, ..)]) instead of the full one"),
    )
}

/// The engine's and the experiment's own arguments, beside `--dry-run`; for
/// [`ExperimentEntry::command`].
pub fn command<C: ExperimentContext>(cmd: Command) -> Command {
    let cmd = <EngineArgs as clap::Args>::augment_args(cmd);
    let cmd = <C::Args as clap::Args>::augment_args(cmd);
    cmd.arg(
        Arg::new("dry_run")
            .long("dry-run")
            .action(ArgAction::SetTrue)
            .help(
                "Print the combinations this run would do (those not done yet in the -C \
                 directory, or all), and do nothing",
            ),
    )
}

fn with_about(cmd: Command, about: &'static str) -> Command {
    if about.is_empty() {
        cmd
    } else {
        cmd.about(about)
    }
}

fn list_arg() -> Arg {
    Arg::new("list")
        .long("list")
        .action(ArgAction::SetTrue)
        .exclusive(true)
        .help("List the experiments this program holds")
}

/// The `main` that `#[experiment]` generates: parses the command line and runs the
/// selected experiment.
pub fn main() -> ExitCode {
    main_with(std::env::args_os(), &mut std::io::stdout())
}

/// [`main`] with its arguments given (the program first) and what `--list` and
/// `--dry-run` print sent to `out`.
pub fn main_with(
    argv: impl IntoIterator<Item = impl Into<OsString>>,
    out: &mut dyn Write,
) -> ExitCode {
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let prog = argv
        .first()
        .map(|p| {
            Path::new(p)
                .file_name()
                .unwrap_or(p.as_os_str())
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_else(|| "experiment".into());
    // clap wants a `'static` name (its `string` feature is off); one per run of `main`.
    let prog: &'static str = Box::leak(prog.into_boxed_str());
    let entries = registered();
    let cmd = match entries.as_slice() {
        [] => {
            eprintln!(
                "{prog}: no experiment in this program: mark a function `#[experiment]` (see \
                 execo's docs)"
            );
            return ExitCode::from(2);
        }
        // The about is set last: a `clap::Args` struct's doc comment would replace it.
        [one] => with_about((one.command)(Command::new(prog)), one.about).arg(list_arg()),
        several => several
            .iter()
            .fold(
                Command::new(prog)
                    .about("Experiments written with execo: choose one")
                    .arg_required_else_help(true)
                    .args_conflicts_with_subcommands(true),
                |cmd, e| cmd.subcommand(with_about((e.command)(Command::new(e.name)), e.about)),
            )
            .arg(list_arg()),
    };
    let matches = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            e.print().ok();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    if matches.get_flag("list") {
        for e in &entries {
            writeln!(out, "{}\t{}", e.name, e.about).ok();
        }
        return ExitCode::SUCCESS;
    }
    match entries.as_slice() {
        [one] => (one.run)(&matches, out),
        several => match matches
            .subcommand()
            .and_then(|(name, sub)| Some((several.iter().find(|e| e.name == name)?, sub)))
        {
            Some((e, sub)) => (e.run)(sub, out),
            None => {
                let names: Vec<&str> = several.iter().map(|e| e.name).collect();
                eprintln!(
                    "{prog}: choose an experiment: `{prog} NAME [OPTIONS]`, NAME one of {} \
                     (`{prog} --help`)",
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        },
    }
}

/// Runs a plain experiment function: for [`ExperimentEntry::run`].
pub fn run_blocking<C, P, R, E, F>(
    name: &str,
    matches: &ArgMatches,
    out: &mut dyn Write,
    hooks: Hooks<C::Args, C::Setup, P>,
    mut f: F,
) -> ExitCode
where
    C: ExperimentContext,
    P: ParamSpace,
    R: Serialize,
    E: std::fmt::Display,
    F: FnMut(&mut C, P) -> Result<R, E>,
{
    drive::<C, P, R, E>(name, matches, out, hooks, &mut |xp, p| f(xp, p.clone()))
}

/// Runs an async experiment function, each call driven to completion by the process
/// kernel: for [`ExperimentEntry::run`].
pub fn run_async<C, P, R, E, F>(
    name: &str,
    matches: &ArgMatches,
    out: &mut dyn Write,
    hooks: Hooks<C::Args, C::Setup, P>,
    f: F,
) -> ExitCode
where
    C: ExperimentContext,
    P: ParamSpace,
    R: Serialize,
    E: std::fmt::Display,
    F: AsyncFn(&mut C, P) -> Result<R, E>,
{
    drive::<C, P, R, Failed<E>>(name, matches, out, hooks, &mut |xp, p| {
        match crate::blocking::block_on_for(
            f(xp, p.clone()),
            "execo::engine::experiment::run_async",
        ) {
            Ok(r) => r.map_err(Failed::Own),
            Err(w) => Err(Failed::WouldBlock(w)),
        }
    })
}

/// Why one call of an async experiment failed: its own error, or the kernel could not
/// drive it on this thread.
enum Failed<E> {
    Own(E),
    WouldBlock(crate::blocking::WouldBlock),
}

impl<E: std::fmt::Display> std::fmt::Display for Failed<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Own(e) => e.fmt(f),
            Failed::WouldBlock(w) => w.fmt(f),
        }
    }
}

type Call<'a, C, P, R, E> = dyn FnMut(&mut C, &P) -> Result<R, E> + 'a;

fn drive<C, P, R, E>(
    name: &str,
    matches: &ArgMatches,
    out: &mut dyn Write,
    hooks: Hooks<C::Args, C::Setup, P>,
    call: &mut Call<'_, C, P, R, E>,
) -> ExitCode
where
    C: ExperimentContext,
    P: ParamSpace,
    R: Serialize,
    E: std::fmt::Display,
{
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("{name}: {e}");
        ExitCode::from(2)
    };
    let (engine_args, args) = match (
        EngineArgs::from_arg_matches(matches),
        C::Args::from_arg_matches(matches),
    ) {
        (Ok(e), Ok(a)) => (e, a),
        (Err(e), _) | (_, Err(e)) => {
            e.print().ok();
            return ExitCode::from(2);
        }
    };
    let quick = matches!(matches.try_get_one::<bool>("quick"), Ok(Some(true)));
    let sweep = match (quick, hooks.quick) {
        (true, Some(q)) => q().map_err(|e| e.to_string()),
        _ => P::try_sweep().map_err(|e| e.to_string()),
    };
    let sweep = match sweep {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if matches.get_flag("dry_run") {
        // JSON texts (the serializer `run_sweep` instantiates anyway) to a non-generic
        // function: what is compiled in each experiment crate stays small.
        let keys: Result<Vec<String>, _> = sweep.iter().map(serde_json::to_string).collect();
        return dry_run_exit(name, &engine_args, keys, out);
    }
    // The experiment runs on this thread, each combination in turn: not from a handler
    // or an async task (refused before anything is set up).
    if let Err(e) = crate::blocking::check("execo::engine::experiment::main") {
        return fail(&e);
    }
    let engine = match Engine::start(name, &engine_args) {
        Ok(e) => Arc::new(e),
        Err(e) => return fail(&e),
    };
    let sweeper = match engine.sweeper(sweep) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let base = Experiment {
        engine: engine.clone(),
        args,
        setup: (),
        quick,
        unfinished: Vec::new(),
        combination: None,
    };
    let (outcome, base, mut code) = if sweeper.stats().todo == 0 {
        // Nothing for this run to do: nothing to set up (the engine says why).
        (engine.idle(&sweeper), base, 0)
    } else {
        let mut base = base;
        let mut marker = match SetupMarker::create(engine.result_dir()) {
            Ok(m) => m,
            Err(e) => return fail(&e),
        };
        base.unfinished = std::mem::take(&mut marker.unfinished);
        if !base.unfinished.is_empty() {
            let pids: Vec<String> = base.unfinished.iter().map(|u| u.pid.to_string()).collect();
            tracing::warn!(
                "an earlier run (pid {}) died before its tear-down: the set-up clears what it \
                 left",
                pids.join(", ")
            );
        }
        let pending = TeardownPending::start();
        let setup = match (hooks.setup)(&base) {
            Ok(s) => s,
            Err(e) => {
                marker.remove();
                return fail(&format!("failed to set up `{name}`: {e}"));
            }
        };
        let (xp, ()) = base.with_setup(setup);
        let mut xp = C::__from(xp);
        let outcome = engine.blocking_run_sweep(&sweeper, |p| {
            xp.__set_combination(serde_json::to_string(p).ok());
            let r = call(&mut xp, p);
            xp.__set_combination(None);
            r
        });
        let (base, setup) = xp.__into().with_setup(());
        let mut code = 0;
        match hooks.teardown {
            Some(teardown) => {
                let t = std::time::Instant::now();
                match teardown(&base, setup) {
                    Ok(()) => {
                        tracing::info!("{name}: torn down in {:.2} s", t.elapsed().as_secs_f64())
                    }
                    Err(e) => {
                        tracing::error!("failed to tear down `{name}`: {e}");
                        code = 1;
                    }
                }
            }
            None => drop(setup),
        }
        marker.remove();
        drop(pending);
        (outcome, base, code)
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return fail(&e),
    };
    if !outcome.interrupted
        && let Some(finish) = hooks.finish
        && let Err(e) = finish(&base, &outcome)
    {
        tracing::error!("failed to finish `{name}`: {e}");
        code = 1;
    }
    code = code.max(engine.finish(&outcome));
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// How long a signal's exit waits for the tear-down of the run it interrupts (the
/// combination's processes are gone by then: the experiment function returns, and the
/// tear-down runs on its thread).
pub const TEARDOWN_WAIT: Duration = Duration::from_secs(60);

/// Whether a set-up's tear-down is still to run.
static PENDING: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// A set-up whose tear-down has not run yet: while it lives, a signal's exit (the
/// kernel's exit hooks, on the signal's thread) waits for it to go, so that the
/// tear-down, which runs where the set-up's value is, on the main thread, gets to run
/// before the program dies of the signal. Dropped after the tear-down, or on a panic.
struct TeardownPending;

impl TeardownPending {
    fn start() -> TeardownPending {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| crate::kernel::on_exit(wait_for_teardown));
        *PENDING.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        TeardownPending
    }
}

impl Drop for TeardownPending {
    fn drop(&mut self) {
        *PENDING.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
        PENDING.1.notify_all();
    }
}

/// The exit hook: waits, at most [`TEARDOWN_WAIT`], for a pending tear-down.
fn wait_for_teardown() {
    let guard = PENDING.0.lock().unwrap_or_else(|e| e.into_inner());
    let (guard, timeout) = PENDING
        .1
        .wait_timeout_while(guard, TEARDOWN_WAIT, |pending| *pending)
        .unwrap_or_else(|e| e.into_inner());
    if timeout.timed_out() && *guard {
        tracing::error!(
            "the tear-down did not end within {TEARDOWN_WAIT:?} of the signal: exiting \
             without it (the next run's set-up clears what is left)"
        );
    }
}

/// `<result_dir>/setups/<host>.<pid>`: this run has set up and not torn down yet. One
/// left by a process of this host that is gone is an [`UnfinishedRun`].
struct SetupMarker {
    file: PathBuf,
    unfinished: Vec<UnfinishedRun>,
}

impl SetupMarker {
    fn create(result_dir: &Path) -> Result<SetupMarker, String> {
        let dir = result_dir.join("setups");
        let err = |what: &str, path: &Path, e: std::io::Error| {
            format!("failed to {what} `{}`: {e}", path.display())
        };
        std::fs::create_dir_all(&dir).map_err(|e| err("create", &dir, e))?;
        let host = crate::sweep::this_hostname();
        let mut unfinished = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| err("read", &dir, e))?;
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some((h, pid)) = file_name.to_str().and_then(|n| n.rsplit_once('.')) else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if h == host && pid != std::process::id() && !alive(pid) {
                unfinished.push(UnfinishedRun { pid });
                std::fs::remove_file(entry.path()).ok();
            }
        }
        let file = dir.join(format!("{host}.{}", std::process::id()));
        std::fs::write(&file, b"").map_err(|e| err("write", &file, e))?;
        Ok(SetupMarker { file, unfinished })
    }

    fn remove(&self) {
        std::fs::remove_file(&self.file).ok();
    }
}

/// Whether process `pid` of this host exists.
fn alive(pid: u32) -> bool {
    match i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        Some(p) => !matches!(
            rustix::process::test_kill_process(p),
            Err(rustix::io::Errno::SRCH)
        ),
        None => false,
    }
}

/// `--dry-run`: the combinations not done yet in the `-C` directory (all of them for a
/// new one), one JSON line each, after a summary. Reads the directory, changes nothing.
fn dry_run_exit(
    name: &str,
    args: &EngineArgs,
    keys: Result<Vec<String>, serde_json::Error>,
    out: &mut dyn Write,
) -> ExitCode {
    match keys
        .map_err(Into::into)
        .and_then(|k| dry_run(name, args, k, out))
    {
        Ok(()) => ExitCode::SUCCESS,
        // `| head`: the reader has what it wanted.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(2)
        }
    }
}

fn dry_run(
    name: &str,
    args: &EngineArgs,
    sweep: Vec<String>,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    // Sorted keys, as the sweeper knows a combination.
    let key = |v: &serde_json::Value| v.to_string();
    let mut done = HashSet::new();
    let mut in_progress = HashMap::new();
    let mut where_ = "a new result directory".to_string();
    if let Some(dir) = args.continue_dir.as_deref().filter(|d| d.exists()) {
        where_ = format!("{}", dir.display());
        let results = dir.join("results.jsonl");
        if results.exists() {
            let entries: Vec<ResultEntry<serde_json::Value, serde::de::IgnoredAny>> =
                read_results(&results)?;
            done.extend(entries.iter().map(|e| key(&e.params)));
        }
        if let Ok(status) = SweepStatus::read(dir.join("sweeper")) {
            for e in status.in_progress.into_iter().filter(|e| !e.stale) {
                in_progress.insert(key(&e.comb), format!("{} pid {}", e.host, e.pid));
            }
        }
    }
    let mut todo = Vec::new();
    let mut all = HashSet::new();
    for text in sweep {
        let k = key(&serde_json::from_str(&text)?);
        if all.insert(k.clone()) && !done.contains(&k) {
            let holder = in_progress.remove(&k);
            todo.push((text, holder));
        }
    }
    writeln!(
        out,
        "{name}: {} of {} combinations to do in {where_} (dry run: nothing runs)",
        todo.len(),
        all.len(),
    )?;
    for (line, holder) in todo {
        match holder {
            Some(h) => writeln!(out, "{line}\t(in progress on {h})")?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::dir_name;

    #[test]
    fn combination_dirs_are_named_after_their_levels() {
        assert_eq!(dir_name(r#"{"a":1,"b":"x y/z"}"#), "a=1,b=x_y_z");
        assert_eq!(dir_name(r#"{"f":0.5,"t":true}"#), "f=0.5,t=true");
        assert_eq!(dir_name(".."), "_..");
    }
}
