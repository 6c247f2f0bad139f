//! Starting a process: its session on a multiplexed connection, the spawn, the
//! supervisor.
//!
//! A process that rides on a multiplexed ssh connection takes one of the connection's
//! [`max_sessions`](crate::ConnectionParams::max_sessions) permits before it spawns and
//! gives it back when it ends, whoever starts it (an action or a bare
//! `Process::ssh(..).start()`): past sshd's `MaxSessions` a session would be refused. When
//! none is free, `start()` still returns at once; the process waits on the kernel for a
//! permit (neither started nor ended meanwhile), and a kill or the drop of its last
//! handle ends that wait: it then ends killed, never started.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::Semaphore;

use super::handle::{Inner, StdinState, lock};
use super::output::Active;
use super::{Process, ProcessHandle, Stream, report, supervise};
use crate::kernel::{self, kernel};

/// Starts a run of `spec` (see [`Process::start`]).
pub(crate) fn start(spec: &Process) -> ProcessHandle {
    if let Some(fed) = &spec.fed {
        return super::fed::start(spec, fed);
    }
    let inner = Arc::new(Inner::new(spec));
    let handle = ProcessHandle::owning(inner.clone());
    let gate = match &spec.mux {
        None => None,
        Some(master) => match crate::mux::open(master) {
            Some(gate) => Some(gate),
            None => {
                never_started(
                    &inner,
                    Some(format!(
                        "failed to make the ssh multiplexing directory for `{}`",
                        master.socket.display()
                    )),
                );
                return handle;
            }
        },
    };
    let session = match gate {
        None => None,
        Some(gate) => match gate.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                wait_for_session(inner, gate);
                return handle;
            }
        },
    };
    let launched = {
        let _g = kernel().enter();
        spawn(&inner)
    };
    match launched {
        Ok((mut child, sinks)) => {
            if let Some(fd) = child.stdin.take() {
                // Nobody else has the handle yet: the lock is free.
                if let Ok(mut stdin) = inner.stdin.try_lock() {
                    *stdin = StdinState::Open(fd);
                }
            }
            started(&inner, &child);
            kernel().spawn(supervise::supervise(inner, child, sinks, session));
        }
        Err(reason) => never_started(&inner, Some(reason)),
    }
    handle
}

/// No session is free: waits for one on the kernel, then starts (or ends, killed).
fn wait_for_session(inner: Arc<Inner>, gate: Arc<Semaphore>) {
    inner.state().waiting = true;
    kernel().spawn(async move {
        let permit = loop {
            let mut control = pin!(inner.control.notified());
            control.as_mut().enable();
            if inner.state().killed {
                break None;
            }
            tokio::select! {
                permit = gate.clone().acquire_owned() => break permit.ok(),
                _ = control => {}
            }
        };
        let Some(permit) = permit else {
            return never_started(&inner, None);
        };
        match spawn(&inner) {
            Ok((mut child, sinks)) => {
                if let Some(fd) = child.stdin.take() {
                    *inner.stdin.lock().await = StdinState::Open(fd);
                }
                started(&inner, &child);
                inner.changed.notify_waiters();
                supervise::supervise(inner, child, sinks, Some(permit)).await;
            }
            Err(reason) => never_started(&inner, Some(reason)),
        }
    });
}

/// Activates the sinks, runs the before-start steps and spawns.
fn spawn(inner: &Inner) -> Result<(kernel::spawn::Spawned, [Vec<Active>; 2]), String> {
    let spec = &inner.spec;
    let sinks = [
        super::output::activate(&spec.out[0].sinks, Stream::Stdout)?,
        super::output::activate(&spec.out[1].sinks, Stream::Stderr)?,
    ];
    for step in &spec.before_start {
        step()?;
    }
    Ok((kernel::spawn::spawn(&spec.spawn_spec()?)?, sinks))
}

/// Records the start of `child` and calls the start handlers.
fn started(inner: &Arc<Inner>, child: &kernel::spawn::Spawned) {
    let pid = child.pid.as_raw_nonzero().get();
    kernel().register_group(pid);
    {
        let mut st = inner.state();
        st.pid = Some(pid);
        st.started = true;
        st.waiting = false;
        st.start_time = Some(SystemTime::now());
        st.started_at = Some(Instant::now());
    }
    let nonowner = ProcessHandle::from_inner(inner.clone());
    for f in &inner.spec.on_start {
        f(&nonowner);
    }
}

/// Ends a run that never started: with `reason` as its start error, or killed while it
/// waited for a session.
fn never_started(inner: &Arc<Inner>, reason: Option<String>) {
    {
        let mut st = inner.state();
        st.waiting = false;
        st.start_error = reason;
        st.ended = true;
        let now = SystemTime::now();
        st.start_time = Some(now);
        st.end_time = Some(now);
    }
    for i in 0..2 {
        lock(&inner.out[i]).eof = true;
    }
    let nonowner = ProcessHandle::from_inner(inner.clone());
    for f in &inner.spec.on_start {
        f(&nonowner);
    }
    report::log_failure(&nonowner);
    for f in &inner.spec.on_end {
        f(&nonowner);
    }
    inner.changed.notify_waiters();
    inner.ended.notify_waiters();
}
