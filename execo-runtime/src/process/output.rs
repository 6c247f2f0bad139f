//! What happens to each chunk of output: kept in the handle's store (all of it, a tail,
//! or none) and handed to the process's sinks (chunk and line callbacks, files, writers).
//!
//! Line sinks hold a partial line between chunks. Output without newlines would make that
//! buffer grow with the stream (300 MB of `a`s was 300 MB of buffer, and as much again to
//! decode it), so a line is handed over in pieces of at most [`Sink::MAX_LINE`] bytes:
//! memory per sink stays bounded whatever the output.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{ByteLineFn, ChunkFn, Keep, LineFn, Sink, SinkKind, Stream};

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
    Lines { f: LineSink, partial: Vec<u8> },
    File { file: File, path: PathBuf },
    Writer(Arc<Mutex<dyn Write + Send>>),
}

/// A line handler: given text (lossy UTF-8, no trailing `\r`) or raw bytes.
#[derive(Clone)]
pub(crate) enum LineSink {
    Text(Arc<Mutex<LineFn>>),
    Bytes(Arc<Mutex<ByteLineFn>>),
}

impl LineSink {
    /// The handler, locked once for a whole chunk (not once per line).
    fn lock(&self) -> LockedLines<'_> {
        match self {
            LineSink::Text(f) => LockedLines::Text(lock(f)),
            LineSink::Bytes(f) => LockedLines::Bytes(lock(f)),
        }
    }
}

/// A line handler, locked.
enum LockedLines<'a> {
    Text(std::sync::MutexGuard<'a, LineFn>),
    Bytes(std::sync::MutexGuard<'a, ByteLineFn>),
}

impl LockedLines<'_> {
    /// Hands over a whole line (or its last piece).
    fn line(&mut self, mut line: &[u8]) {
        match self {
            LockedLines::Text(f) => {
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                let text: Cow<'_, str> = String::from_utf8_lossy(line);
                f(&text);
            }
            LockedLines::Bytes(f) => f(line),
        }
    }

    /// Hands over the front of a line too long to hold: `partial` is `MAX_LINE` bytes,
    /// the piece goes and what was cut off stays in it.
    fn piece(&mut self, partial: &mut Vec<u8>) {
        let cut = match self {
            // Neither a character cut in two nor a `\r` that may belong to a `\r\n`.
            LockedLines::Text(f) => {
                let mut cut = utf8_cut(partial);
                if cut > 1 && partial[cut - 1] == b'\r' {
                    cut -= 1;
                }
                let text = String::from_utf8_lossy(&partial[..cut]);
                f(&text);
                cut
            }
            LockedLines::Bytes(f) => {
                f(partial);
                partial.len()
            }
        };
        partial.drain(..cut);
    }

    /// Appends `seg` (bytes with no newline) to `partial`, handing over a piece each time
    /// `partial` is full.
    fn extend(&mut self, partial: &mut Vec<u8>, mut seg: &[u8]) {
        loop {
            let room = Sink::MAX_LINE - partial.len();
            if seg.len() <= room {
                partial.extend_from_slice(seg);
                return;
            }
            partial.extend_from_slice(&seg[..room]);
            seg = &seg[room..];
            self.piece(partial);
        }
    }
}

/// Where to cut `b` so that it does not end in an incomplete UTF-8 sequence.
fn utf8_cut(b: &[u8]) -> usize {
    let n = b.len();
    for back in 1..=n.min(3) {
        let c = b[n - back];
        if c & 0xC0 != 0x80 {
            let need = match c {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

/// Opens the sinks of a stream: the files now, so that a bad path is a start error.
pub(crate) fn activate(sinks: &[Sink], stream: Stream) -> Result<Vec<Active>, String> {
    sinks
        .iter()
        .map(|s| {
            Ok(match &s.0 {
                SinkKind::Chunks(f) => Active::Chunks(f.clone()),
                SinkKind::Lines(f) => Active::Lines {
                    f: LineSink::Text(f.clone()),
                    partial: Vec::new(),
                },
                SinkKind::ByteLines(f) => Active::Lines {
                    f: LineSink::Bytes(f.clone()),
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

fn feed(sink: &mut Active, chunk: &[u8]) -> std::io::Result<()> {
    match sink {
        Active::Chunks(f) => (lock(f))(chunk),
        Active::Lines { f, partial } => {
            let mut f = f.lock();
            let mut rest = chunk;
            while let Some(nl) = memchr::memchr(b'\n', rest) {
                let line = &rest[..nl];
                if partial.is_empty() && line.len() <= Sink::MAX_LINE {
                    f.line(line);
                } else {
                    f.extend(partial, line);
                    f.line(partial);
                    partial.clear();
                }
                rest = &rest[nl + 1..];
            }
            f.extend(partial, rest);
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
                let last = std::panic::AssertUnwindSafe(|| f.lock().line(partial));
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
