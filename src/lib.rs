//! # execo: control many local and remote unix processes asynchronously
//!
//! execo is for people who run experiments on testbeds and for admins scripting work
//! across many machines: start a server, wait until it listens, run clients, see what
//! happened to each, kill the server. It is a Rust take on Python
//! [execo](https://mimbert.gitlabpages.inria.fr/execo/) that keeps what made it loved —
//! fine-grained asynchronous control, failures as data rather than exceptions — and is
//! typed, fast, and never hangs.
//!
//! ## Processes
//!
//! A [`Process`](process::Process) describes a command; [`start`](process::Process::start)
//! runs it and returns a [`ProcessHandle`](process::ProcessHandle) that records what
//! happens: start error, exit code *or* signal, timeout, kill, expect failure, write
//! error, times, and the output.
//!
//! ```no_run
//! use execo::prelude::*;
//! use std::time::Duration;
//!
//! // A plain script reads top to bottom: start A, start B, wait for B, kill A.
//! let server = Process::sh("echo listening; exec cat").stdin(Stdin::Piped).start();
//! server.blocking_expect("^listening")?;
//! let client = Process::new("echo hello").timeout(Duration::from_secs(5)).blocking_run();
//! server.blocking_write(client.stdout());
//! server.blocking_expect("hello")?;
//! server.kill();
//! assert!(client.ok());
//! # Ok::<(), execo::Error>(())
//! ```
//!
//! Failures are data: a process that fails does not panic or return an error; it is
//! not [`ok`](process::ProcessHandle::ok), its [`dump`](process::ProcessHandle::dump)
//! says why, and a warning is logged (unless `nolog_*`). Opt into errors with
//! [`check`](process::ProcessHandle::check).
//!
//! ## Blocking and async: twins
//!
//! Every waiting call exists twice on the same kernel, with the same result: `wait().await`,
//! `expect(..).await`, `write(..).await`, `run().await` for async code, and
//! `blocking_wait()`, `blocking_expect(..)`, `blocking_write(..)`, `blocking_run()` for
//! plain `fn main` scripts (processes, actions, port forwarders, the engine's sweep loop:
//! [`Engine::run_sweep`](engine::Engine::run_sweep) and
//! [`blocking_run_sweep`](engine::Engine::blocking_run_sweep)). The name says which one
//! blocks: only `blocking_*` ones do.
//!
//! A `blocking_*` call made where it cannot block — in an execo handler (`on_end`,
//! `on_stdout_line`..., on the kernel's thread) or in async code (a task of any tokio
//! runtime, an `async fn` experiment included) — does not block: it reports one error,
//! [`Error::WouldBlock`], which names the call and its async twin. A call that returns a
//! `Result` returns it (`blocking_expect`, `Action::blocking_run`, `blocking_start`,
//! `blocking_run_sweep`); the others (`blocking_wait`, `blocking_write`,
//! `blocking_close_stdin`, `Process::blocking_run`, `blocking_wait_any`...) return at once
//! and record it on the process or action they were called on, failures being data:
//! the handle is no longer [`ok`](process::ProcessHandle::ok), its `would_block()` gives
//! the error back, and [`check`](process::ProcessHandle::check) returns it. Nothing
//! panics or hangs. To run async code from a plain `fn main` without a runtime of your
//! own, [`process::block_on`] drives it on the kernel.
//!
//! ```no_run
//! # async fn f() -> execo::Result<()> {
//! use execo::prelude::*;
//! let p = Process::sh("sleep 0.1; echo ready").start();
//! let m = p.expect(r"^(\w+)$").await?;
//! assert_eq!(m.group(1), Some("ready"));
//! p.wait().await;
//! # Ok(()) }
//! ```
//!
//! ## Many hosts
//!
//! Remote means the OpenSSH binaries, as in execo: `~/.ssh/config`, ProxyJump, agents and
//! keys keep working. [`Process::ssh`](process::Process::ssh) runs one command on one
//! [`Host`](host::Host); an
//! [action] runs many processes with one lifecycle: [`Remote`](action::Remote)
//! (one ssh per host, at most a window of them at once), [`Local`](action::Local),
//! [`Put`](action::Put) and [`Get`](action::Get) (scp), and groups of actions
//! ([`ParallelActions`](action::ParallelActions),
//! [`SequentialActions`](action::SequentialActions)). Hosts can be a
//! [`NodeSet`](nodeset::NodeSet)
//! (`node-[1-100,200]`), and commands and paths take per-host substitutions
//! (`<<host>>`, `<<index>>`, `<<name>>` from a list, see [`substitution`]).
//!
//! ```no_run
//! use execo::prelude::*;
//! let nodes = NodeSet::parse("node-[1-3]")?;
//! let server = Remote::new("iperf3 -s -1", ["srv"]).start()?;
//! server.blocking_expect("Server listening")?;
//! let clients = Remote::new("iperf3 -c srv -t 5", &nodes).blocking_run()?;
//! server.blocking_wait();
//! println!("{}", Report::of("iperf", [&server, &clients]));
//! println!("ok on {} of {} nodes", clients.ok_hosts().len(), clients.len());
//! # Ok::<(), execo::Error>(())
//! ```
//!
//! [`ConnectionParams`](host::ConnectionParams) hold how hosts are reached (programs,
//! options with execo's defaults, user, key, port, ssh multiplexing); they start from
//! execo's defaults with the user's [configuration file](config) over them.
//! [`PortForwarder`](process::PortForwarder) opens
//! `ssh -L` tunnels that are handed over once ssh listens on their local end (no probe
//! connection reaches the remote service).
//!
//! ## Templates checked at compile time: `remote!`
//!
//! [`remote!`], [`local!`], [`put!`] and [`get!`] build the same actions from a template
//! whose `<<x>>` are Rust values of the caller, read when the program is built: a typo
//! in a name is a compile error on the template, not a failure on the testbed. For host
//! `i`, `<<x>>` is `x[i % len]` when `x` is a sequence (slice, array, `Vec`, range,
//! [`NodeSet`](nodeset::NodeSet)...) and `x` itself otherwise (anything `Display`); `<<host>>` and
//! `<<index>>` are the host's address and position. Builder calls follow the macro.
//!
//! ```no_run
//! use execo::prelude::*;
//! let nodes = NodeSet::parse("node-[1-6]")?;
//! let targets = ["srv-a", "srv-b", "srv-c", "srv-d"]; // node-5 gets srv-a again
//! let flows = 4;
//! let title = "it's \"day 1\""; // one argument, quotes and all: '<<title>>'
//! let run = remote!("iperf3 -c <<targets>> -P <<flows>> --title '<<title>>'" on &nodes)
//!     .window(100)
//!     .blocking_run()?;
//! println!("ok on {} of {} nodes", run.ok_hosts().len(), run.len());
//! put!(["conf/<<host>>.toml", "run.sh"] to "/tmp/xp" on &nodes).blocking_run()?;
//! get!("/tmp/xp/out.json" to "results/<<host>>" on &nodes).blocking_run()?;
//! # Ok::<(), execo::Error>(())
//! ```
//!
//! Shell syntax stays writable: only `<<name>>` is a substitution, so `cat <<EOF`,
//! `<<<` and `>>` pass through, and `\<<` is a literal `<<` for a heredoc glued to a
//! redirection. Quotes mean what they mean in the shell: outside quotes a value is
//! shell text (as in execo), inside `'...'` or `"..."` it is taken literally and stays
//! in them. The macros' crate docs ([`execo_macros`]) give the details.
//!
//! ```no_run
//! use execo::prelude::*;
//! let n = 3;
//! local!(r"cat \<<EOF>>/tmp/log
//! run <<index>> of <<n>>
//! EOF").blocking_run()?;
//! # Ok::<(), execo::Error>(())
//! ```
//!
//! ## Experiments: `#[experiment]` and `#[params]`
//!
//! An experiment is a function run once per combination of its parameters.
//! [`#[params]`](macro@params) turns `name = values` into a typed struct (one field per
//! parameter) and its sweep; [`#[experiment]`](macro@experiment) makes the binary's
//! `main` around the function: the [engine]'s command line (`-C DIR` to continue
//! after a crash or a `kill -9`, `-l`, `-L`, `-R`, `-M`), the experiment's own arguments,
//! `--dry-run` (what is left to do, nothing run) and `--list`; a checkpointed
//! [`ParamSweeper`](sweep::ParamSweeper) in the result directory, each result appended
//! to `results.yaml` and `results.jsonl`, failures logged, skipped and retried by the
//! next run.
//!
//! ```no_run
//! use execo::prelude::*;
//!
//! #[derive(clap::Args, Debug)]
//! struct Args {
//!     /// The two hosts: server, client.
//!     #[arg(long, num_args = 2)]
//!     hosts: Vec<String>,
//! }
//!
//! /// Throughput of parallel TCP flows.
//! #[experiment]
//! #[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat = 0..3)]
//! async fn tcp_flows(xp: &mut Experiment<Args>, p: Params) -> Result<String> {
//!     let (server, client) = (&xp.args().hosts[0], xp.args().hosts[1].as_str());
//!     let flows = p.num_flows; // a typo here is a compile error listing the fields
//!     let run = remote!("iperf3 -c <<server>> -P <<flows>> -C <<p.cc>> -J" on [client])
//!         .run()
//!         .await?;
//!     let iperf = &run.processes()[0];
//!     iperf.check()?; // an error: logged, the combination skipped and retried next run
//!     Ok(iperf.stdout()) // recorded with the combination in results.yaml
//! }
//! ```
//!
//! `Params` is `struct Params { num_flows: u64, cc: String, repeat: u64 }`, 30
//! combinations. execo's restricted sub-sweeps, a level with parameters of its own, are
//! written in braces and become an enum: `#[params(a = [1, 2], b = { x: { c = [true,
//! false] }, y: {} })]` gives execo's 6 combinations, `p.b` being `B::X { c }` or `B::Y`.
//! `#[params(..)]` also goes on `struct Params;` for a sweep walked by hand. A binary may
//! hold several experiments (`#[experiment(no_main)]`), each a subcommand. The details,
//! and the compile errors, are in [`macro@params`] and [`macro@experiment`].
//!
//! ## Errors
//!
//! What a process does is data; what the caller asked wrongly is an error. Each module
//! has its own ([`host::HostError`], [`nodeset::NodeSetError`], [`substitution::SubstitutionError`],
//! [`config::ConfigError`], [`sweep::SweepError`], [`engine::EngineError`], `PlotError`),
//! and each converts into [`Error`] with `?`, so a script or an experiment returns
//! [`Result`] and needs no `map_err`. The message is the error's own, "failed to VERB
//! `THING` on HOST: CAUSE"; the variant holds the error whole, and `source()` goes on to
//! its cause (the system's error of a file that could not be written, say).
//!
//! ```
//! use execo::prelude::*;
//! fn hosts(spec: &str) -> execo::Result<Vec<Host>> {
//!     let nodes = NodeSet::parse(spec)?;
//!     Ok(nodes.iter().map(Host::parse).collect::<Result<_, _>>()?)
//! }
//! assert_eq!(hosts("node-[1-2]")?.len(), 2);
//! let e = hosts("node-[1-").unwrap_err();
//! assert!(matches!(e, execo::Error::NodeSet(_)));
//! assert!(e.to_string().starts_with("unclosed `[` at byte 5"));
//! let e = execo::Error::from(Host::parse("a b").unwrap_err());
//! assert_eq!(e.to_string(), "failed to parse host `a b`: a host cannot contain blanks");
//! # Ok::<(), execo::Error>(())
//! ```
//!
//! ## Nothing leaks
//!
//! Each child runs in its own process group. Dropping the last handle of a running
//! process kills the group (SIGTERM, then SIGKILL after the kill grace); a timeout does
//! the same. At program exit and on SIGINT, SIGTERM or SIGHUP, every process the kernel
//! started is ended. [`ProcessHandle::detach`](process::ProcessHandle::detach) lets a
//! process outlive its handle (not the program); [`process::on_exit`] runs code of the
//! program's at that moment.
//!
//! ## Builders
//!
//! Descriptions are built one way: start from a constructor (`Process::new`,
//! `Remote::new`, `Put::new`, `ConnectionParams::default`, `Expect::new`,
//! `PortForwarder::new`, `Sweep::new`...) and chain by-value calls, each
//! `fn x(self, ..) -> Self`, then start or run it:
//! `Process::new("cmd").timeout(t).stdin(Stdin::Piped).start()`. A description is a value:
//! keep it in a `let`, clone it, pass it on; a call that sets a field in place (`&mut
//! self`) or a `set_*` name does not exist. Per-host adjustments of an action take and
//! return its process: `.configure(|p, i, host| p.timeout(t))`. Handles (what `start`
//! returns) are not builders: their calls act on what runs.
//!
//! ## Modules
//!
//! [`process`] (one process), [`action`] (many), [`host`] (hosts and how to reach them),
//! [`nodeset`], [`substitution`] (per-host templates), [`config`] (the user's
//! configuration file), [`sweep`] (parameter sweeps and the checkpointed sweeper),
//! [`engine`] (an experiment's life), [`error`], `plot` (feature `plot`) and `g5k`
//! (feature `g5k`); [`prelude`] holds what scripts use.

#[cfg(feature = "g5k")]
pub use execo_runtime::g5k;
#[cfg(feature = "plot")]
pub use execo_runtime::plot;
pub use execo_runtime::{
    action, config, engine, error, host, nodeset, process, substitution, sweep,
};

pub use execo_runtime::error::{Error, Result};

pub use execo_macros::{experiment, get, local, params, put, remote};

/// What the macros' expansions name; not an API.
#[doc(hidden)]
pub mod __private {
    pub use clap::ArgMatches;
    pub use execo_runtime::Host;
    pub use execo_runtime::action::{Get, Local, Put, Remote};
    pub use execo_runtime::engine::experiment::{
        ExperimentEntry, Hooks, QuickSweepError, command, command_quick, hook, inventory, main,
        no_setup, quick_sweep, run_async, run_blocking,
    };
    pub use execo_runtime::engine::params::{EmptyLevels, ParamSpace, levels};
    pub use execo_runtime::substitution::__macro::{
        ListKind, Probe, ValueKind, copy_path, copy_paths,
    };
    pub use execo_runtime::substitution::{Mode, Piece, Quoting, ReadTemplate};
    pub use execo_runtime::sweep::Float;
    pub use execo_runtime::sweep::serde;
}

/// Sends execo's logs to stderr at `level` (`error`, `warn`, `info`, `debug`, `trace`, or
/// a `tracing` filter such as `execo_runtime=debug`); `EXECO_LOG`, when set, wins. The
/// default level, `warn`, shows one warning per failed process: its command, its exit
/// code, signal or timeout, and the end of its stderr. Call it once, at the start of a
/// script; programs that set up their own `tracing` subscriber don't need it.
pub fn init_logging(level: &str) {
    execo_runtime::init_logging(level, None).ok();
}

/// What scripts and experiments need: `use execo::prelude::*;`.
pub mod prelude {
    pub use execo_macros::{experiment, get, local, params, put, remote};
    pub use execo_runtime::action::RemoteSerial;
    pub use execo_runtime::action::{
        Action, ActionHandle, Get, Local, ParallelActions, Put, Remote, Report, SequentialActions,
    };
    pub use execo_runtime::engine::Experiment;
    pub use execo_runtime::error::{Error, Result};
    pub use execo_runtime::host::{ConnectionParams, Host};
    pub use execo_runtime::nodeset::NodeSet;
    pub use execo_runtime::process::{
        Expect, Keep, Process, ProcessHandle, Signal, Sink, Stdin, Stream,
    };
    pub use execo_runtime::process::{Serial, SerialSsh};
    pub use execo_runtime::sweep::{Float, ParamSweeper, geom, igeom};
}

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
