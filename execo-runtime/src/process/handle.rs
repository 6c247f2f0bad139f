//! The running process: its recorded state, and the calls that wait on it, signal it and
//! write to it, each in an async form and a `blocking_` form.

use std::os::fd::OwnedFd;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::unix::AsyncFd;
use tokio::sync::Notify;

use super::output::Store;
use super::{Process, Signal, Stream};
use crate::kernel::{kernel, signal_group};

/// Everything recorded about one run of a process.
#[derive(Clone, Debug, Default)]
pub(crate) struct State {
    pub(crate) pid: Option<i32>,
    pub(crate) started: bool,
    /// Waiting for a session of its multiplexed connection: not started yet, not ended.
    pub(crate) waiting: bool,
    pub(crate) start_error: Option<String>,
    pub(crate) ended: bool,
    pub(crate) exit_code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) lost: bool,
    pub(crate) timed_out: bool,
    pub(crate) killed: bool,
    pub(crate) forced_kill: bool,
    pub(crate) expect_fail: bool,
    pub(crate) write_error: Option<String>,
    /// The first blocking call made on it where it could not block.
    pub(crate) would_block: Option<&'static str>,
    pub(crate) start_time: Option<SystemTime>,
    pub(crate) end_time: Option<SystemTime>,
    pub(crate) started_at: Option<Instant>,
    pub(crate) ended_at: Option<Instant>,
    /// When the kernel sends SIGKILL, after a SIGTERM from a kill or a timeout.
    pub(crate) force_kill_at: Option<Instant>,
}

pub(crate) enum StdinState {
    NotPiped,
    Open(Arc<AsyncFd<OwnedFd>>),
    Closed,
}

pub(crate) struct Inner {
    pub(crate) spec: Process,
    pub(crate) name: String,
    pub(crate) state: Mutex<State>,
    pub(crate) out: [Mutex<Store>; 2],
    pub(crate) expect_pos: Mutex<[u64; 2]>,
    /// Woken on every output chunk and state change: expects listen here.
    pub(crate) changed: Notify,
    /// Woken once, when the process has ended: waits listen here.
    pub(crate) ended: Notify,
    /// Wakes the supervisor after a kill (one listener, so `notify_one` keeps a permit).
    pub(crate) control: Notify,
    pub(crate) stdin: tokio::sync::Mutex<StdinState>,
    owners: AtomicUsize,
    detached: AtomicBool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
    pub(crate) fn store(&self, s: Stream) -> MutexGuard<'_, Store> {
        lock(&self.out[s.index()])
    }
}

/// A started process. Dropping the last handle of a process still running kills it with
/// its whole process group (execo's context manager), unless it was
/// [detached](ProcessHandle::detach). Clones share the process.
///
/// Waiting calls come in two forms with the same result: `wait().await` for async code,
/// `blocking_wait()` for plain scripts. Both use the same kernel. A `blocking_*` call made
/// where it cannot block (a handler, async code) does not wait: it records
/// [`Error::WouldBlock`](crate::Error::WouldBlock) on the process (see
/// [`would_block`](Self::would_block)), or returns it when the call returns a `Result`.
#[must_use = "dropping a handle kills what still runs at once: keep it and wait for it, call `.detach()` to let it run on, or `let _ =` a handle that has ended"]
pub struct ProcessHandle {
    pub(crate) inner: Arc<Inner>,
    owner: bool,
}

impl Clone for ProcessHandle {
    fn clone(&self) -> Self {
        self.inner.owners.fetch_add(1, Ordering::AcqRel);
        ProcessHandle {
            inner: self.inner.clone(),
            owner: true,
        }
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        if self.owner
            && self.inner.owners.fetch_sub(1, Ordering::AcqRel) == 1
            && !self.inner.detached.load(Ordering::Acquire)
        {
            self.kill();
        }
    }
}

impl Inner {
    /// The record of a run of `spec`, not started yet.
    pub(crate) fn new(spec: &Process) -> Inner {
        Inner {
            spec: spec.clone(),
            name: spec.display_name(),
            state: Mutex::new(State::default()),
            out: [
                Mutex::new(Store::new(spec.out[0].keep)),
                Mutex::new(Store::new(spec.out[1].keep)),
            ],
            expect_pos: Mutex::new([0, 0]),
            changed: Notify::new(),
            ended: Notify::new(),
            control: Notify::new(),
            stdin: tokio::sync::Mutex::new(StdinState::NotPiped),
            owners: AtomicUsize::new(1),
            detached: AtomicBool::new(false),
        }
    }
}

/// A fresh record for `spec`: nothing started, nothing recorded.
pub(crate) fn record(spec: &Process) -> ProcessHandle {
    ProcessHandle::owning(Arc::new(Inner::new(spec)))
}

impl ProcessHandle {
    /// A handle that does not count as an owner (given to lifecycle handlers).
    pub(crate) fn non_owning(&self) -> ProcessHandle {
        ProcessHandle {
            inner: self.inner.clone(),
            owner: false,
        }
    }

    /// The first owning handle of a run.
    pub(crate) fn owning(inner: Arc<Inner>) -> ProcessHandle {
        ProcessHandle { inner, owner: true }
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> ProcessHandle {
        ProcessHandle {
            inner,
            owner: false,
        }
    }

    /// Lets the process run on when its handles are dropped. The kernel still reaps it,
    /// and still ends it when the program exits.
    pub fn detach(self) {
        self.inner.detached.store(true, Ordering::Release);
    }

    /// Waits until the process has ended and all its output is delivered.
    pub async fn wait(&self) -> &Self {
        loop {
            let mut ended = pin!(self.inner.ended.notified());
            ended.as_mut().enable();
            if self.inner.state().ended {
                return self;
            }
            ended.await;
        }
    }

    /// Waits at most `timeout`; returns whether the process has ended.
    pub async fn wait_timeout(&self, timeout: Duration) -> bool {
        let sleep = kernel().sleep_until(Instant::now() + timeout);
        tokio::select! {
            _ = self.wait() => true,
            _ = sleep => self.ended(),
        }
    }

    /// Blocks until the process has ended and all its output is delivered.
    ///
    /// Where it cannot block (a handler, async code) it returns at once and records
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) (see [`would_block`](Self::would_block)).
    pub fn blocking_wait(&self) -> &Self {
        self.blocking(self.wait(), "ProcessHandle::blocking_wait");
        self
    }

    /// Blocks at most `timeout`; returns whether the process has ended. Where it cannot
    /// block it returns at once, as [`blocking_wait`](Self::blocking_wait) does.
    pub fn blocking_wait_timeout(&self, timeout: Duration) -> bool {
        self.blocking(
            self.wait_timeout(timeout),
            "ProcessHandle::blocking_wait_timeout",
        )
        .unwrap_or_else(|| self.ended())
    }

    /// Runs `fut` to completion on this thread; where it cannot block, records
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) for `call` and returns `None`.
    pub(crate) fn blocking<F: std::future::Future>(
        &self,
        fut: F,
        call: &'static str,
    ) -> Option<F::Output> {
        match crate::blocking::block_on_for(fut, call) {
            Ok(out) => Some(out),
            Err(_) => {
                self.record_would_block(call);
                None
            }
        }
    }

    /// Records that blocking call `call` could not block on this process: the first is
    /// kept and logged; the process is no longer ok.
    pub(crate) fn record_would_block(&self, call: &'static str) {
        let first = {
            let mut st = self.inner.state();
            let first = st.would_block.is_none();
            st.would_block.get_or_insert(call);
            first
        };
        if first {
            tracing::error!(
                "failed to block on `{}`: {}",
                self.inner.name,
                crate::blocking::WouldBlock::new(call)
            );
        }
        self.inner.changed.notify_waiters();
    }

    /// The error of the first `blocking_*` call made on this process where it could not
    /// block (always [`Error::WouldBlock`](crate::Error::WouldBlock)), if any.
    pub fn would_block(&self) -> Option<crate::Error> {
        self.inner
            .state()
            .would_block
            .map(|call| crate::blocking::WouldBlock::new(call).into())
    }

    /// Sends SIGTERM to the process group, and SIGKILL after the kill grace if anything
    /// of it is still there. A killed process's non-zero exit is neither logged nor
    /// counted as a failure. Does nothing on a process that is not running.
    pub fn kill(&self) -> &Self {
        self.kill_with(Signal::TERM)
    }

    /// Sends `signal` to the process group; SIGTERM and SIGINT are followed by SIGKILL
    /// after the kill grace, as in execo.
    pub fn kill_with(&self, signal: Signal) -> &Self {
        let mut st = self.inner.state();
        if st.waiting {
            // It has not started: it ends, killed, without starting.
            st.killed = true;
            drop(st);
            self.inner.control.notify_one();
            return self;
        }
        let Some(pid) = st.pid.filter(|_| st.started && !st.ended) else {
            return self;
        };
        st.killed = true;
        signal_group(pid, signal.to_rustix());
        if (signal == Signal::TERM || signal == Signal::INT) && st.force_kill_at.is_none() {
            st.force_kill_at = Some(Instant::now() + self.inner.spec.kill_grace);
        }
        drop(st);
        self.inner.control.notify_one();
        self
    }

    /// Writes `data` to the process's stdin. A failure (stdin not piped, closed, or the
    /// process gone) is recorded as a write error, honouring `ignore_write_error` and
    /// `nolog_write_error`. A process waiting for a session of its multiplexed
    /// connection is written to once it starts.
    pub async fn write(&self, data: impl AsRef<[u8]>) -> &Self {
        if let Err(reason) = self.write_inner(data.as_ref()).await {
            self.record_write_error(reason);
        }
        self
    }

    /// Blocking form of [`write`](Self::write). Where it cannot block it writes nothing
    /// and records [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn blocking_write(&self, data: impl AsRef<[u8]>) -> &Self {
        self.blocking(self.write(data.as_ref()), "ProcessHandle::blocking_write");
        self
    }

    async fn write_inner(&self, mut data: &[u8]) -> Result<(), String> {
        self.started_or_ended().await;
        let stdin = self.inner.stdin.lock().await;
        let fd = match &*stdin {
            StdinState::Open(fd) => fd.clone(),
            StdinState::NotPiped if self.start_error().is_some() => {
                return Err("the process never started".into());
            }
            StdinState::NotPiped => {
                return Err(
                    "its stdin is not a pipe (build it with `.stdin(Stdin::Piped)`)".into(),
                );
            }
            StdinState::Closed if self.ended() => return Err("the process has ended".into()),
            StdinState::Closed => return Err("its stdin is closed".into()),
        };
        while !data.is_empty() {
            match rustix::io::write(fd.get_ref(), data) {
                Ok(n) => data = &data[n..],
                Err(rustix::io::Errno::AGAIN) => {
                    let mut guard = fd.writable().await.map_err(|e| e.to_string())?;
                    guard.clear_ready();
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::PIPE) => {
                    return Err("the process closed its stdin (broken pipe)".into());
                }
                Err(e) => return Err(std::io::Error::from(e).to_string()),
            }
        }
        Ok(())
    }

    fn record_write_error(&self, reason: String) {
        let first = {
            let mut st = self.inner.state();
            let first = st.write_error.is_none();
            st.write_error.get_or_insert_with(|| reason.clone());
            first
        };
        if first && !self.inner.spec.nolog.write_error {
            tracing::warn!(
                "failed to write to stdin of `{}`: {reason}",
                self.inner.name
            );
        }
        self.inner.changed.notify_waiters();
    }

    /// Waits while the process waits for a session of its multiplexed connection: it
    /// gets its stdin when it starts.
    async fn started_or_ended(&self) {
        loop {
            let mut changed = pin!(self.inner.changed.notified());
            changed.as_mut().enable();
            if !self.inner.state().waiting {
                return;
            }
            changed.await;
        }
    }

    /// Closes stdin so that the process sees end of file (on a pty: sends the
    /// end-of-file character); once it starts, for a process waiting for a session.
    pub async fn close_stdin(&self) -> &Self {
        self.started_or_ended().await;
        let mut stdin = self.inner.stdin.lock().await;
        if let StdinState::Open(fd) = &*stdin {
            if self.inner.spec.pty {
                rustix::io::write(fd.get_ref(), b"\x04").ok();
                return self;
            }
            *stdin = StdinState::Closed;
        }
        self
    }

    /// Blocking form of [`close_stdin`](Self::close_stdin).
    /// Where it cannot block it records [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn blocking_close_stdin(&self) -> &Self {
        self.blocking(self.close_stdin(), "ProcessHandle::blocking_close_stdin");
        self
    }

    /// The description this process was started from.
    pub fn process(&self) -> &Process {
        &self.inner.spec
    }
    /// The name used in logs and reports.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The process id (also its process group id), once started.
    pub fn pid(&self) -> Option<i32> {
        self.inner.state().pid
    }
    /// Whether the process was started (false if its start failed).
    pub fn started(&self) -> bool {
        self.inner.state().started
    }
    /// Whether the process has ended and its output is all delivered.
    pub fn ended(&self) -> bool {
        self.inner.state().ended
    }
    /// Started and not yet ended.
    pub fn running(&self) -> bool {
        let st = self.inner.state();
        st.started && !st.ended
    }
    /// Why the process could not start (program not found, bad directory, out of
    /// descriptors...), if it could not.
    pub fn start_error(&self) -> Option<String> {
        self.inner.state().start_error.clone()
    }
    /// The exit code, if the process exited (not if a signal ended it).
    pub fn exit_code(&self) -> Option<i32> {
        self.inner.state().exit_code
    }
    /// The signal that ended the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.inner.state().signal
    }
    /// Whether the timeout ended it.
    pub fn timed_out(&self) -> bool {
        self.inner.state().timed_out
    }
    /// Whether [`kill`](Self::kill) (or a drop) was used on it.
    pub fn killed(&self) -> bool {
        self.inner.state().killed
    }
    /// Whether SIGKILL had to be sent after the grace period.
    pub fn forced_kill(&self) -> bool {
        self.inner.state().forced_kill
    }
    /// Whether an expect failed (timeout or end of stream).
    pub fn expect_failed(&self) -> bool {
        self.inner.state().expect_fail
    }
    /// The first write error, if any.
    pub fn write_error(&self) -> Option<String> {
        self.inner.state().write_error.clone()
    }
    /// When it started (or failed to).
    pub fn start_time(&self) -> Option<SystemTime> {
        self.inner.state().start_time
    }
    /// When it ended.
    pub fn end_time(&self) -> Option<SystemTime> {
        self.inner.state().end_time
    }
    /// How long it ran (so far, if still running).
    pub fn duration(&self) -> Option<Duration> {
        let st = self.inner.state();
        let start = st.started_at?;
        Some(st.ended_at.unwrap_or_else(Instant::now) - start)
    }
    /// Kept stdout, decoded as UTF-8 with invalid bytes replaced.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(self.inner.store(Stream::Stdout).kept()).into_owned()
    }
    /// Kept stderr, decoded as UTF-8 with invalid bytes replaced.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(self.inner.store(Stream::Stderr).kept()).into_owned()
    }
    /// Kept bytes of a stream, as they came.
    pub fn output_bytes(&self, stream: Stream) -> Vec<u8> {
        self.inner.store(stream).kept().to_vec()
    }
    /// How many bytes the stream has produced so far, kept or not.
    pub fn output_len(&self, stream: Stream) -> u64 {
        self.inner.store(stream).end()
    }

    /// execo's `ok`: not failed so far. Running counts as ok; an ended process is ok if
    /// it had no start error, no timeout, exit code 0 (or was killed or timed out, which
    /// ends it by a signal), no failed expect
    /// and no write error — each unless ignored — and no blocking call was made on it
    /// where it could not block ([`would_block`](Self::would_block)).
    pub fn ok(&self) -> bool {
        let st = self.inner.state();
        let ig = self.inner.spec.ignore;
        if st.would_block.is_some() {
            return false;
        }
        if st.start_error.is_some() && !ig.error {
            return false;
        }
        if (st.expect_fail && !ig.expect_fail) || (st.write_error.is_some() && !ig.write_error) {
            return false;
        }
        if !st.ended {
            return true;
        }
        (!st.timed_out || ig.timeout)
            && (st.exit_code == Some(0)
                || ig.exit_code
                || st.killed
                || st.timed_out
                || st.start_error.is_some())
    }

    /// Started, ended, and ok.
    pub fn finished_ok(&self) -> bool {
        self.started() && self.ended() && self.ok()
    }

    /// `Ok(self)` if the process is ok, else an error: the
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) of a blocking call misused on it,
    /// or one holding its [`dump`](Self::dump).
    pub fn check(&self) -> crate::Result<&Self> {
        if let Some(e) = self.would_block() {
            Err(e)
        } else if self.ok() {
            Ok(self)
        } else {
            Err(crate::Error::Failed { dump: self.dump() })
        }
    }
}
