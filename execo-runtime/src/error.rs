//! One error type that every other converts into.
//!
//! Failures of the processes themselves (a non-zero exit, a timeout, a start error) are
//! not errors here: they are recorded state, read with `ok()` and friends (execo's
//! "failures are data"). `Error` is for what the caller asked wrongly, for callers who opt
//! in with `check()`, and for expect outcomes that `?` should propagate.
//!
//! Each module keeps its own precise error type (a [`HostError`] names the host string and
//! what is wrong with it, a [`SweepError`] the checkpoint file, ...), so that code that
//! handles one kind of failure can match on it. A script mixes them all, so each converts
//! into [`Error`] with `?`: the variant wraps it whole (match on it to get it back), the
//! message is its own, and `source()` goes on to its cause, so nothing is lost on the way
//! and a user's `fn main() -> execo::Result<()>` needs no `map_err`.

use std::time::Duration;

pub use crate::blocking::WouldBlock;
use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::engine::params::EmptyLevels;
#[cfg(feature = "g5k")]
use crate::g5k::G5kError;
use crate::host::HostError;
use crate::nodeset::NodeSetError;
#[cfg(feature = "plot")]
use crate::plot::PlotError;
use crate::substitution::SubstitutionError;
use crate::sweep::SweepError;

/// What went wrong, with the thing and the cause named.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An expect pattern is not a valid regex.
    #[error("invalid expect pattern `{pattern}`: {cause}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        cause: String,
    },
    /// An expect was given no pattern at all.
    #[error("expect on `{process}` needs at least one pattern")]
    NoPattern {
        /// The process's name.
        process: String,
    },
    /// expect needs the stream's output to be kept; it was turned off.
    #[error(
        "cannot expect on the {stream} of `{process}`: its output is not kept \
         (build the process with `.keep_{stream}(Keep::All)` or `Keep::Tail(n)`)"
    )]
    NotKept {
        /// The process's name.
        process: String,
        /// `stdout` or `stderr`.
        stream: &'static str,
    },
    /// No pattern matched before the timeout.
    #[error("expect on `{process}` timed out after {timeout:?} waiting for {patterns}")]
    ExpectTimeout {
        /// The process's name.
        process: String,
        /// The patterns, quoted.
        patterns: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The stream ended (the process closed it or ended) before any pattern matched.
    #[error("expect on `{process}` reached the end of its {stream} without matching {patterns}")]
    ExpectEof {
        /// The process's name.
        process: String,
        /// `stdout` or `stderr`.
        stream: &'static str,
        /// The patterns, quoted.
        patterns: String,
    },
    /// A `blocking_*` call made where it cannot block (a handler, async code): the one
    /// error every blocking call reports there, through its `Result` when it has one,
    /// else recorded on the handle it was called on (see `ProcessHandle::would_block`).
    /// A thread of `tokio::task::spawn_blocking` is in its runtime's context too and is
    /// refused as well: block on a plain `std::thread`, or use the async twin.
    #[error(transparent)]
    WouldBlock(WouldBlock),
    /// An action was killed (or ended) before this host's process could start.
    #[error("the process of `{action}` on `{host}` never started")]
    NotStarted {
        /// The action's name.
        action: String,
        /// The host.
        host: String,
    },
    /// A port forwarding tunnel could not be set up.
    #[error("failed to forward `{tunnel}`: {reason}")]
    Forward {
        /// The tunnel, `bind:port -> via -> host:port`.
        tunnel: String,
        /// Why.
        reason: String,
    },
    /// `check()` on a process that is not ok: its whole dump.
    #[error("process failed:\n{dump}")]
    Failed {
        /// The dump of the failed process.
        dump: String,
    },
    /// A failure the program describes in its own words (an experiment's own check):
    /// `Err(format!("iperf3 on {host}: {why}").into())`, or `.ok_or("no client")?`.
    #[error("{0}")]
    Message(String),
    /// An I/O error with what was being done.
    #[error("failed to {context}: {source}")]
    Io {
        /// What was being done, e.g. "open `out.log`".
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A host string that does not parse, or a user or key ssh would take for an option.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A node-set expression that does not parse.
    #[error(transparent)]
    NodeSet(#[from] NodeSetError),
    /// A command or path template that does not compile or render: an action's plan.
    #[error(transparent)]
    Substitution(#[from] SubstitutionError),
    /// The configuration file cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A sweep or its checkpoint directory.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// A parameter with no levels, so its sweep has no combination.
    #[error(transparent)]
    EmptyLevels(#[from] EmptyLevels),
    /// The experiment engine: result directory, outputs, records, its sweep (its
    /// [`EngineError::WouldBlock`] becomes [`Error::WouldBlock`]).
    #[error(transparent)]
    Engine(EngineError),
    /// A box plot of results.
    #[cfg(feature = "plot")]
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// Grid'5000: the reference API, OAR or kadeploy.
    #[cfg(feature = "g5k")]
    #[error(transparent)]
    G5k(#[from] G5kError),
}

/// `Result` with execo's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether an expect gave up because its timeout passed (rather than because the
    /// stream ended or the process could not be read): lets layers that get these
    /// errors from a process tell the two apart without naming this module.
    pub fn is_expect_timeout(&self) -> bool {
        matches!(self, Error::ExpectTimeout { .. })
    }
}

impl From<WouldBlock> for Error {
    fn from(e: WouldBlock) -> Error {
        Error::WouldBlock(e)
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        match e {
            EngineError::WouldBlock(w) => Error::WouldBlock(w),
            e => Error::Engine(e),
        }
    }
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::Message(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::Message(message.to_string())
    }
}
