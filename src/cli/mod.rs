//! The subcommands of the `execo` command, one module each, and what they share.
//!
//! Printing: `println!` and `eprintln!` panic when the write fails, and the usual way a
//! write fails is a reader that has gone (`execo sweep status DIR | head -1`: EPIPE,
//! since Rust ignores SIGPIPE). So the subcommands print with [`outln!`], which returns
//! the error for the subcommand to stop on and end with [`stdout_failed`], and with
//! [`errln!`], which drops a failed write to stderr: there is nowhere left to say so.

use std::io::{self, Write};
use std::process::ExitCode;

/// Like `println!`, but an I/O error comes back (`io::Result<()>`) instead of a panic.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Like `eprintln!`, but a failed write is dropped instead of a panic.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub mod console;
pub mod copy;
pub mod demo;
#[cfg(feature = "g5k")]
pub mod g5k;
pub mod nodeset;
#[cfg(feature = "g5k")]
pub mod oar;
#[cfg(feature = "g5k")]
pub mod planning;
#[cfg(feature = "plot")]
pub mod plot;
pub mod run;
mod summary;
pub mod sweep;
mod targets;
#[cfg(feature = "g5k")]
pub mod topology;

/// The exit status after stdout was closed by its reader: 141 (128 + SIGPIPE), what a
/// shell reports for a tool that SIGPIPE ended, so `set -o pipefail` sees it as usual.
pub const CLOSED_PIPE_STATUS: u8 = 141;

/// Writes `args` to stdout, flushed.
pub fn out(args: std::fmt::Arguments<'_>) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_fmt(args)?;
    o.flush()
}

/// Writes `args` to stderr, dropping any error.
pub fn err(args: std::fmt::Arguments<'_>) {
    let mut e = io::stderr().lock();
    e.write_fmt(args).and_then(|()| e.flush()).ok();
}

/// The exit status once a write to stdout failed: on a closed pipe, quietly
/// [`CLOSED_PIPE_STATUS`]; any other failure (a full disk) is said on stderr, status 1.
pub fn stdout_failed(verb: &str, e: &io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::from(CLOSED_PIPE_STATUS);
    }
    errln!("execo {verb}: failed to write to stdout: {e}");
    ExitCode::FAILURE
}
