//! What can go wrong with a sweep: every message names the file (and the line when there
//! is one), the cause, and, when the user has to act, what to do.

use std::path::PathBuf;

/// A failure of a sweep or of its checkpoint directory.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A system call on a file of the checkpoint failed.
    #[error("failed to {action} `{}`: {source}", file.display())]
    Io {
        /// What was being done (`create the sweeper directory`, `append to`, ...).
        action: &'static str,
        /// The file or directory.
        file: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// A complete line of a checkpoint file does not parse: external damage. The sweeper
    /// refuses to guess (it could forget done work).
    #[error(
        "`{}` line {line} is damaged ({cause}); execo will not guess which combinations are \
         done: repair or delete that line (a deleted line's combination is run again)",
        file.display()
    )]
    Damaged {
        /// The file.
        file: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        cause: String,
    },
    /// The directory holds files but no `format`: not a sweeper directory (or one whose
    /// `format` was deleted).
    #[error(
        "`{}` is not an execo sweeper directory: it holds files but no `format` file; \
         use an empty or new directory (or restore `format`: `execo-sweeper 1`)",
        dir.display()
    )]
    NotASweeper {
        /// The directory.
        dir: PathBuf,
    },
    /// The `format` file says a version this execo does not know.
    #[error(
        "`{}` says `{found}`, a format this execo (which writes `execo-sweeper 1`) does not \
         know: use the execo version that wrote it",
        file.display()
    )]
    Format {
        /// The `format` file.
        file: PathBuf,
        /// Its first line.
        found: String,
    },
    /// `execo sweep status`/`reset` on a directory that is not there.
    #[error("no sweeper directory at `{}` (no `format` file there)", dir.display())]
    Missing {
        /// The directory.
        dir: PathBuf,
    },
    /// A combination has no JSON form (a map with non-string keys, a failing
    /// `Serialize`), or a stored one does not deserialize into the program's type.
    #[error("sweeper `{}`: combination {combination}: {cause}", dir.display())]
    Combination {
        /// The sweeper directory.
        dir: PathBuf,
        /// The combination (Debug or JSON form).
        combination: String,
        /// Why.
        cause: String,
    },
    /// [`Sweep::typed`](super::Sweep::typed): a combination does not fit the struct.
    #[error(
        "sweep combination #{index} ({combination}){}: {cause}",
        field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default()
    )]
    Typed {
        /// Its index in the sweep.
        index: usize,
        /// The combination, `a=1 b=x`.
        combination: String,
        /// The field the error is about, when serde's message does not already say.
        field: Option<String>,
        /// serde's message.
        cause: String,
    },
    /// `get_next_with`'s pick returned an index past the todo items it was given.
    #[error("sweeper `{}`: pick returned index {index} of {len} todo combinations", dir.display())]
    Pick {
        /// The sweeper directory.
        dir: PathBuf,
        /// What pick returned.
        index: usize,
        /// How many todo items it was given.
        len: usize,
    },
    /// A results export holds an entry that the done log lacks (the log was cut or
    /// emptied after the export) and that cannot be put back in the log: it does not
    /// read, or its combination is not one of the sweep. execo stops rather than delete a
    /// result.
    #[error(
        "failed to reconcile `{}` line {line} with `{}`: {cause}; execo will not delete a \
         result: fix or remove that entry, or restore `{}`",
        results.display(), done.display(), done.display()
    )]
    Unlogged {
        /// The results file.
        results: PathBuf,
        /// The entry's first line, from 1.
        line: usize,
        /// The done log.
        done: PathBuf,
        /// Why the entry cannot be put back.
        cause: String,
    },
    /// A results file does not read back.
    #[error("results file `{}`{}: {cause}", file.display(),
        line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Results {
        /// The file.
        file: PathBuf,
        /// The line, from 1, when known.
        line: Option<usize>,
        /// Why.
        cause: String,
    },
}

impl SweepError {
    pub(super) fn io(
        action: &'static str,
        file: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> SweepError {
        let file = file.into();
        move |source| SweepError::Io {
            action,
            file,
            source,
        }
    }
}
