//! Per-host records that no child of their own backs: one local program (TakTuk)
//! drives many hosts, and what it reports about each host is fed into that host's
//! [`ProcessHandle`], so that users read a TakTuk action exactly as a `Remote` one
//! (`ok()`, exit code or signal, stdout and stderr, stats, handlers, `expect`).
//!
//! The driver gets a [`Feed`] per host when that host's process "starts" (its
//! [`Process`] carries a [`FedBy`]), and reports through it: started, output, and one
//! [`Ending`]. Killing a fed record wakes the driver ([`Feed::kill_requested`]), which
//! kills what it runs.

use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::handle::{Inner, lock, record};
use super::output::{self, Active};
use super::{Process, ProcessHandle, Stream, report};

/// Called once per host record started: its index in the driver's hosts, and its feed.
pub(crate) type AttachFn = dyn Fn(usize, Feed) + Send + Sync;

/// What feeds a process record: the driver, and which of its hosts this record is.
#[derive(Clone)]
pub(crate) struct FedBy {
    pub(crate) index: usize,
    pub(crate) attach: Arc<AttachFn>,
}

/// How a fed record ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The command exited with this code.
    Exit(i32),
    /// The command died of this signal (`timed_out`: its timeout sent it).
    Signal { signal: i32, timed_out: bool },
    /// It never ran: the reason (`failed to VERB THING on HOST: CAUSE`).
    Failed(String),
    /// Its exit status never came (connection lost, driver gone).
    Lost,
    /// The driver was killed on request (`signal`: what ended the driver, if known).
    Killed { signal: Option<i32> },
}

/// The driver's side of one fed record.
pub(crate) struct Feed {
    inner: Arc<Inner>,
    sinks: [Vec<Active>; 2],
    done: bool,
}

/// Starts a fed record: no child; the driver is handed its feed.
pub(crate) fn start(spec: &Process, fed: &FedBy) -> ProcessHandle {
    let handle = record(spec);
    let sinks = output::activate(&spec.out[0].sinks, Stream::Stdout)
        .and_then(|o| Ok([o, output::activate(&spec.out[1].sinks, Stream::Stderr)?]))
        .and_then(|s| {
            for step in &spec.before_start {
                step()?;
            }
            Ok(s)
        });
    let mut feed = Feed {
        inner: handle.inner.clone(),
        sinks: [Vec::new(), Vec::new()],
        done: false,
    };
    match sinks {
        Ok(sinks) => {
            feed.sinks = sinks;
            (fed.attach)(fed.index, feed);
        }
        Err(reason) => feed.end(Ending::Failed(reason)),
    }
    handle
}

impl Feed {
    /// The record now runs, as part of the driver process `pid` (which a kill signals).
    pub(crate) fn started(&mut self, pid: i32) {
        {
            let mut st = self.inner.state();
            if st.started || st.ended {
                return;
            }
            st.pid = Some(pid);
            st.started = true;
            st.start_time = Some(SystemTime::now());
            st.started_at = Some(Instant::now());
        }
        let h = ProcessHandle::from_inner(self.inner.clone());
        for f in &self.inner.spec.on_start {
            f(&h);
        }
        self.inner.changed.notify_waiters();
    }

    /// How long the record has run, if it started.
    pub(crate) fn elapsed(&self) -> Option<std::time::Duration> {
        self.inner.state().started_at.map(|t| t.elapsed())
    }

    /// Output of the command on `stream`.
    pub(crate) fn output(&mut self, stream: Stream, chunk: &[u8]) {
        if self.done || chunk.is_empty() {
            return;
        }
        self.inner.store(stream).push(chunk);
        let sinks = &mut self.sinks[stream.index()];
        if !sinks.is_empty() {
            output::deliver(sinks, chunk, &self.inner.name, stream);
        }
        self.inner.changed.notify_waiters();
    }

    /// Whether the record has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Resolves when the record is killed ([`ProcessHandle::kill`] on it).
    pub(crate) fn kill_requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        async move { inner.control.notified().await }
    }

    /// Records how it ended, flushes its handlers and wakes its waiters. Once only.
    pub(crate) fn end(&mut self, ending: Ending) {
        if self.done {
            return;
        }
        self.done = true;
        for s in [Stream::Stdout, Stream::Stderr] {
            output::finish(&mut self.sinks[s.index()], &self.inner.name, s);
            lock(&self.inner.out[s.index()]).eof = true;
        }
        let now = SystemTime::now();
        {
            let mut st = self.inner.state();
            match ending {
                Ending::Exit(c) => st.exit_code = Some(c),
                Ending::Signal { signal, timed_out } => {
                    st.signal = Some(signal);
                    st.timed_out = timed_out;
                }
                Ending::Failed(reason) => {
                    st.start_error = Some(reason);
                    st.start_time.get_or_insert(now);
                }
                Ending::Lost => st.lost = true,
                Ending::Killed { signal } => {
                    st.killed = true;
                    match signal {
                        Some(s) => st.signal = Some(s),
                        None => st.lost = true,
                    }
                }
            }
            st.ended = true;
            st.end_time = Some(now);
            st.ended_at = Some(Instant::now());
        }
        let h = ProcessHandle::from_inner(self.inner.clone());
        if !self.inner.state().started {
            // As a process that could not spawn: its start handlers still see it.
            for f in &self.inner.spec.on_start {
                f(&h);
            }
        }
        report::log_failure(&h);
        for f in &self.inner.spec.on_end {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&h))).is_err() {
                tracing::warn!("`{}`: an end handler panicked", self.inner.name);
            }
        }
        self.inner.changed.notify_waiters();
        self.inner.ended.notify_waiters();
    }
}

impl Drop for Feed {
    /// A feed dropped unended (its driver gone) ends its record: nothing waits forever.
    fn drop(&mut self) {
        if !self.done {
            self.end(Ending::Lost);
        }
    }
}
