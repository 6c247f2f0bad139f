//! The kernel task of one process: pump its output, enforce its timeout and kill grace,
//! reap it, read its output to the end, then record how it ended.
//!
//! Why read on after the exit: the streams belong to every process that inherited them,
//! not to the one we reaped. A child left in the background (`(sleep 1; echo late) &`),
//! or the `tee` of an experiment's `-L`, writes after the exit, and reading only what
//! the pipe held then lost that output. So the process ends when its streams are closed,
//! or when its [output grace](super::Process::output_grace) has passed, whichever is
//! first: a daemon that keeps them open costs that grace, never a hang.

use std::cell::RefCell;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rustix::io::Errno;
use rustix::process::Signal;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::sync::OwnedSemaphorePermit;

use super::handle::{Inner, StdinState};
use super::output::{self, Active};
use super::{Keep, ProcessHandle, Stream, report};
use crate::kernel::spawn::{Source, Spawned};
use crate::kernel::{Reaped, kernel, signal_group};

/// Read size, and what pipes that fill up grow to: 128 KiB, as `cat` reads, stays in
/// cache (1 MiB buffers measured slower through a file handler).
const CHUNK: usize = 1 << 17;
/// Reads per wake-up before other processes get their turn.
const READS_PER_TURN: usize = 16;

thread_local! {
    /// The kernel is one thread and a read is delivered before the next: one buffer serves
    /// every process.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; CHUNK]);
}

struct Pump {
    stream: Stream,
    fd: Option<Arc<AsyncFd<OwnedFd>>>,
    spool: Option<std::path::PathBuf>,
    sinks: Vec<Active>,
    grown: bool,
}

enum ReadOutcome {
    More,
    Blocked,
    Eof,
}

impl Pump {
    /// Reads what is there (up to `max_reads` reads) and delivers it.
    fn read_some(&mut self, inner: &Inner, max_reads: usize) -> ReadOutcome {
        let Some(fd) = self.fd.clone() else {
            return ReadOutcome::Eof;
        };
        let direct = self.sinks.is_empty() && inner.spec.out[self.stream.index()].keep == Keep::All;
        SCRATCH.with_borrow_mut(|buf| {
            for _ in 0..max_reads {
                let read = if direct {
                    inner
                        .store(self.stream)
                        .read_from(fd.get_ref().as_fd(), CHUNK)
                } else {
                    rustix::io::read(fd.get_ref(), &mut buf[..])
                };
                match read {
                    Ok(0) => return ReadOutcome::Eof,
                    Ok(n) => {
                        if n >= 65536 && !self.grown {
                            self.grown = true;
                            rustix::pipe::fcntl_setpipe_size(fd.get_ref(), CHUNK).ok();
                        }
                        if direct {
                            inner.changed.notify_waiters();
                        } else {
                            self.deliver(inner, &buf[..n]);
                        }
                    }
                    Err(Errno::AGAIN) => return ReadOutcome::Blocked,
                    Err(Errno::INTR) => {}
                    // A pty master reads EIO once the slave side is closed: end of stream.
                    Err(Errno::IO) => return ReadOutcome::Eof,
                    Err(e) => {
                        tracing::warn!("`{}`: cannot read its {}: {e}", inner.name, self.stream);
                        return ReadOutcome::Eof;
                    }
                }
            }
            ReadOutcome::More
        })
    }

    fn deliver(&mut self, inner: &Inner, chunk: &[u8]) {
        inner.store(self.stream).push(chunk);
        if !self.sinks.is_empty() {
            output::deliver(&mut self.sinks, chunk, &inner.name, self.stream);
        }
        inner.changed.notify_waiters();
    }

    /// The stream is readable: a turn of reads.
    fn on_readable(
        &mut self,
        inner: &Inner,
        ready: std::io::Result<AsyncFdReadyGuard<'_, OwnedFd>>,
    ) {
        match ready {
            Ok(mut guard) => match self.read_some(inner, READS_PER_TURN) {
                ReadOutcome::Blocked => guard.clear_ready(),
                ReadOutcome::More => {}
                ReadOutcome::Eof => self.close(inner),
            },
            Err(_) => self.close(inner),
        }
    }

    /// End of stream: flush the sinks, mark the store, wake expects.
    fn close(&mut self, inner: &Inner) {
        self.fd = None;
        output::finish(&mut self.sinks, &inner.name, self.stream);
        inner.store(self.stream).eof = true;
        inner.changed.notify_waiters();
    }

    /// At the end: what the pipe still holds (a bounded amount: a writer may still be
    /// there once the grace has passed), or the whole spool file.
    fn drain(&mut self, inner: &Inner) {
        if self.fd.is_some() {
            if !matches!(self.read_some(inner, READS_PER_TURN), ReadOutcome::Eof) {
                tracing::debug!(
                    "`{}`: its {} is still open when its output grace ({:?}) or timeout \
                     ends: closed, what comes next is not read",
                    inner.name,
                    self.stream,
                    inner.spec.output_grace
                );
            }
        } else if let Some(path) = self.spool.take() {
            match std::fs::File::open(&path) {
                Ok(mut f) => SCRATCH.with_borrow_mut(|buf| {
                    loop {
                        match f.read(&mut buf[..]) {
                            Ok(0) => break,
                            Ok(n) => self.deliver(inner, &buf[..n]),
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                tracing::warn!(
                                    "`{}`: cannot read spooled {}: {e}",
                                    inner.name,
                                    self.stream
                                );
                                break;
                            }
                        }
                    }
                }),
                Err(e) => tracing::warn!(
                    "`{}`: cannot open spooled {} `{}`: {e}",
                    inner.name,
                    self.stream,
                    path.display()
                ),
            }
            std::fs::remove_file(&path).ok();
        }
        if !inner.store(self.stream).eof {
            self.close(inner);
        }
    }
}

async fn readable(
    fd: &Option<Arc<AsyncFd<OwnedFd>>>,
) -> std::io::Result<AsyncFdReadyGuard<'_, OwnedFd>> {
    match fd {
        Some(fd) => fd.readable().await,
        None => std::future::pending().await,
    }
}

/// The deadline the supervisor sleeps towards: the timeout until it fires, then the
/// forced kill.
fn next_deadline(inner: &Inner, timeout_at: Option<Instant>) -> Option<Instant> {
    let st = inner.state();
    let timeout = timeout_at.filter(|_| !st.timed_out);
    let force = st.force_kill_at.filter(|_| !st.forced_kill);
    match (timeout, force) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn on_deadline(inner: &Inner, pid: i32, timeout_at: Option<Instant>) {
    let now = Instant::now();
    let mut st = inner.state();
    if let Some(t) = timeout_at
        && !st.timed_out
        && now >= t
    {
        st.timed_out = true;
        signal_group(pid, Signal::TERM);
        st.force_kill_at.get_or_insert(now + inner.spec.kill_grace);
    }
    if let Some(f) = st.force_kill_at
        && !st.forced_kill
        && now >= f
    {
        st.forced_kill = true;
        signal_group(pid, Signal::KILL);
    }
}

/// Supervises `child` to its end; `session`, its permit on a multiplexed connection, is
/// given back before the end is recorded, so that whoever sees the end can start another.
pub(crate) async fn supervise(
    inner: Arc<Inner>,
    child: Spawned,
    sinks: [Vec<Active>; 2],
    session: Option<OwnedSemaphorePermit>,
) {
    let Spawned {
        pid,
        out,
        mut exit,
        _lease,
        ..
    } = child;
    let raw_pid = pid.as_raw_nonzero().get();
    let [out_src, err_src] = out;
    let [out_sinks, err_sinks] = sinks;
    let pump = |stream, src: Source, sinks| {
        let (fd, spool) = match src {
            Source::Live(fd) => (Some(fd), None),
            Source::Spool(p) => (None, Some(p)),
            Source::None => (None, None),
        };
        Pump {
            stream,
            fd,
            spool,
            sinks,
            grown: false,
        }
    };
    let mut outp = pump(Stream::Stdout, out_src, out_sinks);
    let mut errp = pump(Stream::Stderr, err_src, err_sinks);
    for p in [&mut outp, &mut errp] {
        if p.fd.is_none() && p.spool.is_none() {
            p.close(&inner);
        }
    }
    let timeout_at = inner
        .spec
        .timeout
        .zip(inner.state().started_at)
        .map(|(t, s)| s + t);
    let far = Instant::now() + Duration::from_secs(86400 * 365);
    let mut sleep = pin!(kernel().sleep_until(far));
    let mut exited = pin!(exit.exited(pid));

    let mut armed = None;
    let reaped = loop {
        let deadline = next_deadline(&inner, timeout_at);
        if deadline != armed {
            sleep.as_mut().reset(deadline.unwrap_or(far).into());
            armed = deadline;
        }
        let out_fd = outp.fd.clone();
        let err_fd = errp.fd.clone();
        tokio::select! {
            biased;
            r = readable(&out_fd) => outp.on_readable(&inner, r),
            r = readable(&err_fd) => errp.on_readable(&inner, r),
            status = &mut exited => break status,
            _ = &mut sleep, if deadline.is_some() => on_deadline(&inner, raw_pid, timeout_at),
            _ = inner.control.notified() => {}
        }
    };
    kernel().unregister_group(raw_pid);

    // The exit is not the end of the output: read on until both streams are closed, for
    // at most the output grace (and not past the timeout). The timeout no longer fires
    // (the process exited in time), but a kill's SIGKILL still follows its grace.
    let mut output_end = Instant::now() + inner.spec.output_grace;
    if let Some(t) = timeout_at
        && !inner.state().timed_out
    {
        output_end = output_end.min(t);
    }
    let mut grace = pin!(kernel().sleep_until(output_end));
    while outp.fd.is_some() || errp.fd.is_some() {
        let deadline = next_deadline(&inner, None);
        if deadline != armed {
            sleep.as_mut().reset(deadline.unwrap_or(far).into());
            armed = deadline;
        }
        let out_fd = outp.fd.clone();
        let err_fd = errp.fd.clone();
        tokio::select! {
            biased;
            // First: a writer that never pauses must not keep the grace from ending.
            _ = &mut grace => break,
            r = readable(&out_fd) => outp.on_readable(&inner, r),
            r = readable(&err_fd) => errp.on_readable(&inner, r),
            _ = &mut sleep, if deadline.is_some() => on_deadline(&inner, raw_pid, None),
            _ = inner.control.notified() => {}
        }
    }
    outp.drain(&inner);
    errp.drain(&inner);
    *inner.stdin.lock().await = StdinState::Closed;
    drop(session);
    {
        let mut st = inner.state();
        match reaped {
            Reaped::Code(c) => st.exit_code = Some(c),
            Reaped::Signal(s) => st.signal = Some(s),
            Reaped::Lost => st.lost = true,
        }
        st.ended = true;
        st.end_time = Some(SystemTime::now());
        st.ended_at = Some(Instant::now());
    }
    drop(_lease);
    let handle = ProcessHandle::from_inner(inner.clone());
    report::log_failure(&handle);
    for f in &inner.spec.on_end {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&handle))).is_err() {
            tracing::warn!("`{}`: an end handler panicked", inner.name);
        }
    }
    inner.changed.notify_waiters();
    inner.ended.notify_waiters();
}
