//! Knowing when a child exits, and reaping it.
//!
//! The cheap, exact way is a pidfd per child, readable when the child exits. When the
//! descriptor budget has no room for one, the child is reaped on SIGCHLD instead: the
//! scan reaper tries each such child with `waitpid(pid, WNOHANG)`. Only the kernel's own
//! pids are ever waited for, so children that other code spawns are left alone.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

use rustix::process::{Pid, PidfdFlags, WaitOptions, pidfd_open, waitpid};
use tokio::io::unix::AsyncFd;
use tokio::sync::{Notify, oneshot};

use super::{FdLease, kernel};

/// How a child's exit is to be noticed.
pub(crate) enum ExitWatch {
    Pidfd {
        fd: AsyncFd<OwnedFd>,
        _lease: FdLease,
    },
    Scan(oneshot::Receiver<Reaped>),
}

impl ExitWatch {
    /// Must be called inside the kernel's runtime context.
    pub(crate) fn new(pid: Pid) -> ExitWatch {
        if let Some(lease) = kernel().budget.lease_luxury(1)
            && let Ok(fd) = pidfd_open(pid, PidfdFlags::NONBLOCK)
            && let Ok(fd) = super::watch_fd(fd)
        {
            return ExitWatch::Pidfd { fd, _lease: lease };
        }
        ExitWatch::Scan(kernel().reaper.watch(pid))
    }

    /// Waits until the child exits and reaps it.
    pub(crate) async fn exited(&mut self, pid: Pid) -> Reaped {
        match self {
            ExitWatch::Pidfd { fd, .. } => loop {
                match fd.readable().await {
                    Ok(mut guard) => match waitpid(Some(pid), WaitOptions::NOHANG) {
                        Ok(Some((_, status))) => return status.into(),
                        Ok(None) => guard.clear_ready(),
                        Err(_) => return lost_status(),
                    },
                    Err(_) => return lost_status(),
                }
            },
            ExitWatch::Scan(rx) => rx.await.unwrap_or_else(|_| lost_status()),
        }
    }
}

/// How a child ended, decoded from its wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reaped {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
    /// It could not be waited for: something else in the program reaped it.
    Lost,
}

impl From<rustix::process::WaitStatus> for Reaped {
    fn from(st: rustix::process::WaitStatus) -> Reaped {
        match (st.exit_status(), st.terminating_signal()) {
            (Some(code), _) => Reaped::Code(code),
            (None, Some(sig)) => Reaped::Signal(sig),
            (None, None) => Reaped::Lost,
        }
    }
}

fn lost_status() -> Reaped {
    Reaped::Lost
}

/// Reaps, on SIGCHLD, the children that have no pidfd.
#[derive(Default)]
pub(crate) struct ScanReaper {
    waiting: Mutex<HashMap<i32, (Pid, oneshot::Sender<Reaped>)>>,
    nudge: Notify,
}

impl ScanReaper {
    fn watch(&self, pid: Pid) -> oneshot::Receiver<Reaped> {
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(pid.as_raw_nonzero().get(), (pid, tx));
        // The child may have exited before it was registered: scan once now.
        self.nudge.notify_one();
        rx
    }

    /// The kernel task: scan on every SIGCHLD and every nudge.
    pub(crate) async fn run() {
        let reaper = &kernel().reaper;
        let mut sigchld =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child()).ok();
        loop {
            match sigchld.as_mut() {
                Some(s) => {
                    tokio::select! {
                        _ = s.recv() => {}
                        _ = reaper.nudge.notified() => {}
                    }
                }
                None => reaper.nudge.notified().await,
            }
            reaper.reap_exited();
        }
    }

    fn reap_exited(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting.is_empty() {
            return;
        }
        let mut done = Vec::new();
        for (&raw, (pid, _)) in waiting.iter() {
            match waitpid(Some(*pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => done.push((raw, status.into())),
                Ok(None) => {}
                Err(_) => done.push((raw, lost_status())),
            }
        }
        for (raw, status) in done {
            if let Some((_, tx)) = waiting.remove(&raw) {
                tx.send(status).ok();
            }
        }
    }
}
