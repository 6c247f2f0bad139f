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

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use serde::Serialize;

use super::params::ParamSpace;
use super::{Engine, EngineArgs};
use crate::sweep::{ResultEntry, SweepStatus, read_results};

#[doc(hidden)]
pub use inventory;

/// No command-line arguments of the experiment's own: the default of [`Experiment`].
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NoArgs {}

/// The context of an `#[experiment]` function, one per run: the [`Engine`] (result
/// directory, run record), the experiment's own command-line arguments `A` (a
/// `clap::Args` struct, flattened beside the engine's; write `&mut Experiment<MyArgs>`
/// in the function's signature), and the combination being run.
pub struct Experiment<A = NoArgs> {
    engine: Arc<Engine>,
    args: A,
    combination: Option<String>,
}

impl<A> Experiment<A> {
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

    /// The result directory (absolute): `-C DIR`, or a new `<name>_<timestamp>`.
    pub fn result_dir(&self) -> &Path {
        self.engine.result_dir()
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
}

impl<A: std::fmt::Debug> std::fmt::Debug for Experiment<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Experiment")
            .field("engine", &self.engine)
            .field("args", &self.args)
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

/// The type an `#[experiment]` function takes by `&mut` first: [`Experiment<A>`], which
/// says what `A`, the experiment's own arguments, is.
#[diagnostic::on_unimplemented(
    message = "the first parameter of an `#[experiment]` must be `&mut Experiment`, not `&mut {Self}`",
    label = "not an experiment's context",
    note = "write `xp: &mut Experiment`, or `xp: &mut Experiment<MyArgs>` with a `clap::Args` struct of your own"
)]
pub trait ExperimentContext: Sized {
    /// The experiment's own command-line arguments.
    type Args: clap::Args + FromArgMatches + Send + 'static;

    #[doc(hidden)]
    fn __new(engine: Arc<Engine>, args: Self::Args) -> Self;

    #[doc(hidden)]
    fn __set_combination(&mut self, key: Option<String>);
}

impl<A: clap::Args + FromArgMatches + Send + 'static> ExperimentContext for Experiment<A> {
    type Args = A;

    fn __new(engine: Arc<Engine>, args: A) -> Self {
        Experiment {
            engine,
            args,
            combination: None,
        }
    }

    fn __set_combination(&mut self, key: Option<String>) {
        self.combination = key;
    }
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
    mut f: F,
) -> ExitCode
where
    C: ExperimentContext,
    P: ParamSpace,
    R: Serialize,
    E: std::fmt::Display,
    F: FnMut(&mut C, P) -> Result<R, E>,
{
    drive::<C, P, R, E>(name, matches, out, &mut |xp, p| f(xp, p.clone()))
}

/// Runs an async experiment function, each call driven to completion by the process
/// kernel: for [`ExperimentEntry::run`].
pub fn run_async<C, P, R, E, F>(
    name: &str,
    matches: &ArgMatches,
    out: &mut dyn Write,
    f: F,
) -> ExitCode
where
    C: ExperimentContext,
    P: ParamSpace,
    R: Serialize,
    E: std::fmt::Display,
    F: AsyncFn(&mut C, P) -> Result<R, E>,
{
    drive::<C, P, R, E>(name, matches, out, &mut |xp, p| {
        block_on(f(xp, p.clone())).unwrap_or_else(|| {
            panic!("an experiment cannot run from a process handler (the kernel thread)")
        })
    })
}

fn block_on<F: Future>(fut: F) -> Option<F::Output> {
    crate::kernel::block_on(fut)
}

type Call<'a, C, P, R, E> = dyn FnMut(&mut C, &P) -> Result<R, E> + 'a;

fn drive<C, P, R, E>(
    name: &str,
    matches: &ArgMatches,
    out: &mut dyn Write,
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
    let sweep = match P::try_sweep() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if matches.get_flag("dry_run") {
        // JSON texts (the serializer `run_sweep` instantiates anyway) to a non-generic
        // function: what is compiled in each experiment crate stays small.
        let keys: Result<Vec<String>, _> = sweep.iter().map(serde_json::to_string).collect();
        return dry_run_exit(name, &engine_args, keys, out);
    }
    let engine = match Engine::start(name, &engine_args) {
        Ok(e) => Arc::new(e),
        Err(e) => return fail(&e),
    };
    let sweeper = match engine.sweeper(sweep) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut xp = C::__new(engine.clone(), args);
    let outcome = engine.run_sweep(&sweeper, |p| {
        xp.__set_combination(serde_json::to_string(p).ok());
        let r = call(&mut xp, p);
        xp.__set_combination(None);
        r
    });
    match outcome {
        Ok(outcome) => ExitCode::from(engine.finish(&outcome).clamp(0, 255) as u8),
        Err(e) => fail(&e),
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
