//! The subcommands of the `execo` command, one module each, and what they share.

pub mod copy;
pub mod demo;
#[cfg(feature = "plot")]
pub mod plot;
pub mod run;
mod summary;
pub mod sweep;
mod targets;
