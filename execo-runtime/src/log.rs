//! Logging setup: tracing events to stderr and, for experiments, to a log file too.
//!
//! Library code only emits `tracing` events; programs choose where they go. Scripts call
//! the facade's `execo::init_logging`; the experiment engine calls [`init_logging`] with
//! its result directory's log file. A status line (the engine's progress bar) can stay at
//! the bottom of a terminal: log lines are written above it. `EXECO_LOG` overrides the
//! level.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The status line at the bottom of the terminal, when one is shown.
static STATUS: Mutex<Option<String>> = Mutex::new(None);

/// Shows `line` as the status line on stderr (replacing the previous one), or erases it.
pub(crate) fn set_status_line(line: Option<String>) {
    let mut status = STATUS.lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    let shown = status.is_some();
    match &line {
        Some(l) => write!(err, "\r\x1b[K{l}").ok(),
        None if shown => write!(err, "\r\x1b[K").ok(),
        None => None,
    };
    err.flush().ok();
    *status = line;
}

/// Writes whole log lines to stderr, above the status line if one is shown.
fn write_above(text: &[u8]) -> std::io::Result<()> {
    let status = STATUS.lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    match status.as_deref() {
        Some(line) => {
            err.write_all(b"\r\x1b[K")?;
            err.write_all(text)?;
            err.write_all(line.as_bytes())?;
        }
        None => err.write_all(text)?,
    }
    err.flush()
}

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Sends events at `level` (a level name or a tracing filter such as
/// `info,execo_runtime=debug`; `EXECO_LOG` wins) to stderr, and to `file` (appended,
/// without colours) when given. Does nothing if the program already set a subscriber.
/// A bad level falls back to `warn` with a message.
pub fn init_logging(level: &str, file: Option<&Path>) -> std::io::Result<()> {
    let wanted = std::env::var("EXECO_LOG").unwrap_or_else(|_| level.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&wanted).unwrap_or_else(|e| {
        eprintln!("execo: bad log level `{wanted}`: {e}; using `warn`");
        tracing_subscriber::EnvFilter::new("warn")
    });
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| StderrAboveBar(Vec::new()));
    let file = match file {
        Some(path) => {
            let f = OpenOptions::new().create(true).append(true).open(path)?;
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(SharedFile(Arc::new(Mutex::new(f)))),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init()
        .ok();
    Ok(())
}

/// A warning about a failure: through `tracing` when the program installed a
/// subscriber, else straight to stderr (above the status line), so that a plain program
/// that never set up logging still hears of its failed processes, as execo's users do.
pub(crate) fn warn_failure(msg: &str) {
    let no_subscriber =
        tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>());
    if no_subscriber {
        write_above(format!("WARN execo: {msg}\n").as_bytes()).ok();
    } else {
        tracing::warn!(target: "execo", "{msg}");
    }
}

/// One event's text, written to stderr in one go when the event is complete.
struct StderrAboveBar(Vec<u8>);

impl Write for StderrAboveBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for StderrAboveBar {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            write_above(&self.0).ok();
        }
    }
}

#[derive(Clone)]
struct SharedFile(Arc<Mutex<File>>);

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = SharedFileWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        SharedFileWriter(self, Vec::new())
    }
}

/// One event's text, appended to the file in one write when complete.
struct SharedFileWriter<'a>(&'a SharedFile, Vec<u8>);

impl Write for SharedFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for SharedFileWriter<'_> {
    fn drop(&mut self) {
        if !self.1.is_empty() {
            let mut f = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(&self.1).ok();
        }
    }
}
