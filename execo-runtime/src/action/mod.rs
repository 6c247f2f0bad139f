//! Actions: many processes with one lifecycle (execo's `Action`).
//!
//! An action is a set of processes, one per host, that start, end, are killed and are
//! read together: [`Remote`] (a command over ssh on many hosts), [`Local`], [`Put`] and
//! [`Get`] (scp), [`ChainPut`] (a pipelined broadcast through relays), their TakTuk
//! forms ([`TaktukRemote`], [`TaktukPut`], [`TaktukGet`]: one `taktuk` for all hosts),
//! serial consoles ([`RemoteSerial`]), and actions of actions, [`ParallelActions`] and
//! [`SequentialActions`].
//! Each is a builder implementing [`Action`]: `start()` gives an [`ActionHandle`] to
//! wait on, kill, `expect` and `write` to, and read (`ok()`, per-host processes,
//! [`Stats`](crate::Stats), [`Report`]).
//!
//! A window bounds how many processes of an action run at once ([`DEFAULT_WINDOW`]), so
//! that 1,000 hosts need neither 1,000 simultaneous connections nor 4,000 descriptors.

mod chain;
mod chain_relay;
mod copy;
mod group;
mod handle;
mod plan;
mod remote;
mod report;
mod serial;
mod taktuk;
mod taktuk_frames;
mod targets;

pub use crate::config::DEFAULT_WINDOW;
pub use chain::ChainPut;
pub use chain_relay::run_chain_relay;
pub use copy::{Get, Put};
pub use group::{ParallelActions, SequentialActions};
pub use handle::{
    ActionHandle, blocking_wait_all, blocking_wait_any, filter_bad_hosts, wait_all, wait_any,
};
pub use plan::{Action, Plan};
pub use remote::{Local, Remote};
pub use report::Report;
pub use serial::RemoteSerial;
pub use taktuk::{Deployment, TaktukGet, TaktukPut, TaktukRemote};
