//! The execo library: a process kernel and the processes it runs.
//!
//! Most users depend on the `execo` facade crate, whose documentation is the guide.
//! This crate holds the machinery, one idea per module:
//!
//! - `kernel` (internal): the shared event loop that spawns, pumps, times out and reaps,
//!   and makes sure nothing the program started outlives it (its public face:
//!   [`process::on_exit`] and [`process::interrupted`]);
//! - [`nodeset`]: `node-[1-100,200]` host sets, expanded and folded;
//! - [`process`]: [`Process`] (a description) and [`ProcessHandle`] (a run), with
//!   execo's recorded states, handlers, `expect` and stdin;
//! - [`action`]: many processes with one lifecycle ([`action::Remote`], `Local`, `Put`,
//!   `Get`, parallel and sequential groups, [`action::Report`]);
//! - [`host`]: hosts and the exact `ssh`/`scp` command lines that reach them;
//! - [`config`]: the user's configuration file;
//! - `mux` (internal): ssh connection multiplexing, set up through [`ConnectionParams`];
//! - `g5k` (feature `g5k`): Grid'5000's reference API, OAR jobs and kadeploy;
//! - `plot` (feature `plot`): box plots of an experiment's results, PNG and SVG;
//! - `shell` (internal): splitting and quoting command lines;
//! - [`substitution`]: per-host `<<host>>`, `<<index>>` and `<<name>>` in templates;
//! - [`sweep`]: parameter sweeps (`igeom`, restricted sub-sweeps) and the checkpointed
//!   [`sweep::ParamSweeper`] that survives `kill -9`;
//! - [`engine`]: an experiment's result directory, logs, run record and sweep loop;
//! - `log` (internal): where tracing events go (stderr, an experiment's log file;
//!   [`init_logging`] is its public face);
//! - `blocking` (internal): what every `blocking_*` call does where it cannot block.

pub mod action;
pub(crate) mod blocking;
pub mod config;
pub mod engine;
pub mod error;
#[cfg(feature = "g5k")]
pub mod g5k;
pub mod host;
pub(crate) mod kernel;
pub(crate) mod log;
pub(crate) mod mux;
pub mod nodeset;
#[cfg(feature = "plot")]
pub mod plot;
pub mod process;
pub(crate) mod shell;
pub mod substitution;
pub mod sweep;

pub use action::{Action, ActionHandle, Report};
pub use config::Config;
pub use error::{Error, Result};
pub use host::{ConnectionParams, Host, HostError};
pub use log::init_logging;
pub use nodeset::NodeSet;
pub use process::{
    DEFAULT_KILL_GRACE, Expect, ExpectMatch, Forward, Keep, Patterns, PortForwarder, Process,
    ProcessHandle, Signal, Sink, Stats, Stdin, Stream,
};
