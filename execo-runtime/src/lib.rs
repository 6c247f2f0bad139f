//! The execo library: a process kernel and the processes it runs.
//!
//! Most users depend on the `execo` facade crate, whose documentation is the guide.
//! This crate holds the machinery, one idea per module:
//!
//! - [`kernel`]: the shared event loop that spawns, pumps, times out and reaps, and
//!   makes sure nothing the program started outlives it;
//! - [`nodeset`]: `node-[1-100,200]` host sets, expanded and folded;
//! - [`process`]: [`Process`] (a description) and [`ProcessHandle`] (a run), with
//!   execo's recorded states, handlers, `expect` and stdin;
//! - [`action`]: many processes with one lifecycle ([`action::Remote`]);
//! - [`host`]: hosts and the exact `ssh`/`scp` command lines that reach them;
//! - [`shell`]: splitting and quoting command lines;
//! - [`substitution`]: per-host `<<host>>`, `<<index>>` and `<<name>>` in templates.

pub mod action;
pub mod error;
pub mod host;
pub mod kernel;
pub mod nodeset;
pub mod process;
pub mod shell;
pub mod substitution;

pub use error::{Error, Result};
pub use host::{ConnectionParams, Host, HostError};
pub use nodeset::NodeSet;
pub use process::{
    DEFAULT_KILL_GRACE, Expect, ExpectMatch, Keep, Process, ProcessHandle, Sink, Stats, Stdin,
    Stream,
};
pub use rustix::process::Signal;
