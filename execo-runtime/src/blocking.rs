//! The one discipline of every `blocking_*` call: where it cannot block, it does not try.
//!
//! Blocking calls park the calling thread until the kernel wakes it. That is right in
//! plain `fn main` code and wrong in two places: an execo handler runs on the kernel's
//! own thread (parking it would stop the very loop that must wake it: a deadlock), and
//! async code runs as a task of a tokio runtime (the kernel's, when an async experiment
//! is driven, or the program's), whose thread it would hold. There every blocking call
//! reports the same [`WouldBlock`] (as `execo::Error::WouldBlock`), naming itself and its
//! async twin; calls that return a `Result` return it, the others record it on their
//! handle (the process or action is then not ok, and `would_block()` gives the error
//! back). Nothing panics, nothing hangs.
//!
//! A thread of `tokio::task::spawn_blocking` runs in its runtime's context too: blocking
//! calls refuse it as well; use a plain `std::thread` or the async forms.

use std::fmt;
use std::future::Future;

use crate::kernel;

/// A `blocking_*` call made where it cannot block: from an execo handler (on the
/// kernel's thread) or from async code (a task of a tokio runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WouldBlock {
    call: &'static str,
}

impl WouldBlock {
    pub(crate) fn new(call: &'static str) -> WouldBlock {
        WouldBlock { call }
    }

    /// The blocking call, e.g. `ProcessHandle::blocking_wait`.
    pub fn call(&self) -> &'static str {
        self.call
    }

    /// Its async twin, e.g. `ProcessHandle::wait(..).await`.
    pub fn async_form(&self) -> String {
        format!("{}(..).await", self.call.replacen("blocking_", "", 1))
    }
}

impl fmt::Display for WouldBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` cannot block here: it was called from an execo handler (the kernel \
             thread) or from async code (a task of a tokio runtime), where waiting would \
             stall the runtime; ",
            self.call
        )?;
        if self.call.contains("blocking_") {
            write!(f, "use `{}` there instead", self.async_form())
        } else {
            write!(f, "call it from plain blocking code (`fn main`)")
        }
    }
}

impl std::error::Error for WouldBlock {}

/// Whether the calling thread may park: it is not the kernel's thread and runs in no
/// tokio runtime's context.
pub(crate) fn can_block() -> bool {
    tokio::runtime::Handle::try_current().is_err() && !kernel::kernel().on_kernel_thread()
}

/// [`WouldBlock`] for `call` if the calling thread may not park.
pub(crate) fn check(call: &'static str) -> Result<(), WouldBlock> {
    if can_block() {
        Ok(())
    } else {
        Err(WouldBlock { call })
    }
}

/// Runs async code from plain blocking code: `fut` is driven to completion on the
/// calling thread, the kernel running its processes and timers (no runtime of the
/// program's needed), e.g. `block_on(engine.run_sweep(&sweeper, f))` in a `fn main`.
/// [`WouldBlock`] where it cannot block (a handler, async code: there, `.await` it);
/// `?` makes it `execo::Error::WouldBlock`.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output, WouldBlock> {
    block_on_for(fut, "process::block_on")
}

/// Runs `fut` to completion on the calling thread, or says why it cannot.
pub(crate) fn block_on_for<F: Future>(fut: F, call: &'static str) -> Result<F::Output, WouldBlock> {
    check(call)?;
    kernel::block_on(fut).ok_or(WouldBlock { call })
}
