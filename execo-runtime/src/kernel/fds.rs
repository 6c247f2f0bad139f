//! The open-file budget.
//!
//! Each running process costs the kernel up to four descriptors (stdin, stdout, stderr,
//! pidfd). At start the soft limit is raised to the hard limit; then every process leases
//! what it keeps open from a budget that leaves a reserve for the program's own files and
//! for the short-lived descriptors of spawning. When the budget runs short a process
//! still starts, with less: no pidfd (reaped on SIGCHLD instead), then output spooled to
//! files instead of pipes. Only when even that fails does a start fail, with a clear
//! error.

use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force.
pub fn raise_fd_limit() -> u64 {
    let lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        let raised = Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_err() {
            return lim.current.unwrap_or(u64::MAX);
        }
    }
    lim.maximum.unwrap_or(u64::MAX)
}

/// The soft open-file limit in force.
pub fn fd_limit() -> u64 {
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

pub(crate) struct FdBudget {
    capacity: usize,
    used: AtomicUsize,
}

impl FdBudget {
    pub(crate) fn new(limit: u64) -> FdBudget {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(1 << 24);
        let reserve = (limit / 20).max(64);
        FdBudget {
            capacity: limit.saturating_sub(reserve),
            used: AtomicUsize::new(0),
        }
    }

    /// Leases `n` descriptors that a process cannot do without (its stdin pipe), or
    /// `None` if the budget does not have them.
    pub(crate) fn lease(&'static self, n: usize) -> Option<FdLease> {
        self.lease_within(n, self.capacity)
    }

    /// Leases `n` descriptors that have a fallback (output pipes: spooling), only while
    /// three quarters of the budget are free of them, so that later processes still
    /// find what they cannot do without.
    pub(crate) fn lease_optional(&'static self, n: usize) -> Option<FdLease> {
        self.lease_within(n, self.capacity / 4 * 3)
    }

    /// Leases a pidfd (fallback: SIGCHLD scan) only while half the budget is free.
    pub(crate) fn lease_luxury(&'static self, n: usize) -> Option<FdLease> {
        self.lease_within(n, self.capacity / 2)
    }

    /// What is in use and what the budget is, for messages.
    pub(crate) fn usage(&self) -> (usize, usize) {
        (self.used.load(Ordering::Relaxed), self.capacity)
    }

    fn lease_within(&'static self, n: usize, cap: usize) -> Option<FdLease> {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            if used + n > cap {
                return None;
            }
            match self.used.compare_exchange_weak(
                used,
                used + n,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(FdLease { budget: self, n }),
                Err(now) => used = now,
            }
        }
    }
}

/// Descriptors leased from the budget, given back on drop.
pub(crate) struct FdLease {
    budget: &'static FdBudget,
    n: usize,
}

impl Drop for FdLease {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.n, Ordering::AcqRel);
    }
}
