//! One error type for misuse and I/O.
//!
//! Failures of the processes themselves (a non-zero exit, a timeout, a start error) are
//! not errors here: they are recorded state, read with `ok()` and friends (execo's
//! "failures are data"). `Error` is for what the caller asked wrongly, for callers who opt
//! in with `check()`, and for expect outcomes that `?` should propagate.

use std::time::Duration;

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
    /// A blocking call was made on the kernel's own thread (from an output or lifecycle
    /// handler), where it would wait forever.
    #[error(
        "`{call}` called from an execo handler, on the kernel thread: it would block the \
         kernel forever; use the async form or do it outside the handler"
    )]
    BlockingOnKernel {
        /// The blocking call.
        call: &'static str,
    },
    /// An action was killed (or ended) before this host's process could start.
    #[error("the process of `{action}` on `{host}` never started")]
    NotStarted {
        /// The action's name.
        action: String,
        /// The host.
        host: String,
    },
    /// A port forwarding tunnel could not be set up.
    #[error("port forwarding {tunnel} failed: {reason}")]
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
    /// An I/O error with what was being done.
    #[error("failed to {context}: {source}")]
    Io {
        /// What was being done, e.g. "open `out.log`".
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with execo's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
