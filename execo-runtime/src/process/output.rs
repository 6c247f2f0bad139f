//! What happens to each chunk of output: kept in the handle's store (all of it, a tail,
//! or none) and handed to the process's sinks (chunk and line callbacks, files, writers).

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{ChunkFn, Keep, LineFn, Sink, SinkKind, Stream};

/// A stream's kept bytes. `base` counts the bytes dropped from the front (tail mode), so
/// positions are absolute offsets in the stream.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) keep: Keep,
    pub(crate) data: Vec<u8>,
    pub(crate) base: u64,
    pub(crate) eof: bool,
}

impl Store {
    pub(crate) fn new(keep: Keep) -> Store {
        Store {
            keep,
            ..Store::default()
        }
    }

    pub(crate) fn end(&self) -> u64 {
        self.base + self.data.len() as u64
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        match self.keep {
            Keep::All => self.data.extend_from_slice(chunk),
            Keep::Tail(n) => {
                self.data.extend_from_slice(chunk);
                // Drop the front only once it is as large as what is kept: amortized O(1).
                if self.data.len() > n.saturating_mul(2).max(4096) {
                    let cut = self.data.len() - n;
                    self.data.drain(..cut);
                    self.base += cut as u64;
                }
            }
            Keep::Nothing => self.base += chunk.len() as u64,
        }
    }

    /// Reads once from `fd` straight into the kept bytes (no copy), for a stream kept
    /// whole with no sink.
    pub(crate) fn read_from(
        &mut self,
        fd: std::os::fd::BorrowedFd<'_>,
        max: usize,
    ) -> rustix::io::Result<usize> {
        if self.data.capacity() - self.data.len() < max {
            self.data.reserve(max.max(self.data.len()));
        }
        rustix::io::read(fd, rustix::buffer::spare_capacity(&mut self.data))
    }

    /// What is kept, trimmed to the last `n` bytes in tail mode.
    pub(crate) fn kept(&self) -> &[u8] {
        match self.keep {
            Keep::Tail(n) if self.data.len() > n => &self.data[self.data.len() - n..],
            _ => &self.data,
        }
    }
}

/// A sink while its process runs.
pub(crate) enum Active {
    Chunks(Arc<Mutex<ChunkFn>>),
    Lines {
        f: Arc<Mutex<LineFn>>,
        partial: Vec<u8>,
    },
    File {
        file: File,
        path: PathBuf,
    },
    Writer(Arc<Mutex<dyn Write + Send>>),
}

/// Opens the sinks of a stream: the files now, so that a bad path is a start error.
pub(crate) fn activate(sinks: &[Sink], stream: Stream) -> Result<Vec<Active>, String> {
    sinks
        .iter()
        .map(|s| {
            Ok(match &s.0 {
                SinkKind::Chunks(f) => Active::Chunks(f.clone()),
                SinkKind::Lines(f) => Active::Lines {
                    f: f.clone(),
                    partial: Vec::new(),
                },
                SinkKind::Writer(w) => Active::Writer(w.clone()),
                SinkKind::Path(path) => {
                    let file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| {
                            format!("cannot open `{}` for {stream}: {e}", path.display())
                        })?;
                    Active::File {
                        file,
                        path: path.clone(),
                    }
                }
            })
        })
        .collect()
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn call_line(f: &mut LineFn, mut line: &[u8]) {
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    let text: Cow<'_, str> = String::from_utf8_lossy(line);
    f(&text);
}

fn feed(sink: &mut Active, chunk: &[u8]) -> std::io::Result<()> {
    match sink {
        Active::Chunks(f) => (lock(f))(chunk),
        Active::Lines { f, partial } => {
            let mut f = lock(f);
            let mut rest = chunk;
            while let Some(nl) = memchr::memchr(b'\n', rest) {
                if partial.is_empty() {
                    call_line(&mut *f, &rest[..nl]);
                } else {
                    partial.extend_from_slice(&rest[..nl]);
                    call_line(&mut *f, partial);
                    partial.clear();
                }
                rest = &rest[nl + 1..];
            }
            partial.extend_from_slice(rest);
        }
        Active::File { file, .. } => file.write_all(chunk)?,
        Active::Writer(w) => lock(w).write_all(chunk)?,
    }
    Ok(())
}

fn describe(sink: &Active) -> String {
    match sink {
        Active::Chunks(_) => "chunk handler".into(),
        Active::Lines { .. } => "line handler".into(),
        Active::File { path, .. } => format!("file `{}`", path.display()),
        Active::Writer(_) => "writer".into(),
    }
}

/// Hands `chunk` to every sink. A sink that fails (a write error, a panicking handler)
/// gets nothing more, with a warning: the kernel and the other sinks go on.
pub(crate) fn deliver(sinks: &mut Vec<Active>, chunk: &[u8], name: &str, stream: Stream) {
    sinks.retain_mut(|sink| {
        let failure =
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| feed(sink, chunk))) {
                Ok(Ok(())) => return true,
                Ok(Err(e)) => e.to_string(),
                Err(_) => "it panicked".to_string(),
            };
        tracing::warn!("`{name}`: {stream} {} dropped: {failure}", describe(sink));
        false
    });
}

/// End of stream: the last partial line, flushes; files close when dropped.
pub(crate) fn finish(sinks: &mut Vec<Active>, name: &str, stream: Stream) {
    for sink in sinks.iter_mut() {
        match sink {
            Active::Lines { f, partial } if !partial.is_empty() => {
                let last = std::panic::AssertUnwindSafe(|| call_line(&mut *lock(f), partial));
                if std::panic::catch_unwind(last).is_err() {
                    tracing::warn!("`{name}`: {stream} line handler panicked");
                }
            }
            Active::Writer(w) => {
                if let Err(e) = lock(w).flush() {
                    tracing::warn!("`{name}`: cannot flush {stream} writer: {e}");
                }
            }
            _ => {}
        }
    }
    sinks.clear();
}
