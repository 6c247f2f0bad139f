//! The process kernel: one tokio event loop, on its own thread, that every process of the
//! program shares.
//!
//! Why a thread of its own: scripts are plain `fn main` code that blocks, experiments are
//! async code on whatever runtime the user picked, and both must drive the same processes.
//! The kernel thread runs a current-thread tokio runtime that pumps output, reaps children
//! and fires timeouts; callers spawn from their own thread (spawning is a syscall, and two
//! cores spawn faster than one) and then hand the child to the kernel. Blocking calls park
//! the caller until the kernel wakes it; async calls await the same notifications.
//!
//! The kernel also owns the program's promise that nothing it started outlives it: every
//! live process group is registered; at exit (`atexit`) and on SIGINT, SIGTERM or SIGHUP
//! they are all terminated, then killed. After a `kill -9`, which runs no code of ours,
//! the guardian of `kernel::lifeline` does it.
//!
//! # Caveats
//! Output and lifecycle handlers run on the kernel thread: a handler that blocks for long
//! stalls every process's output. A blocking execo call made from a handler (or from
//! async code) does not block: it reports
//! [`Error::WouldBlock`](crate::Error::WouldBlock) instead of deadlocking (see the
//! `blocking` module).

mod fds;
pub(crate) mod lifeline;
mod reaper;
pub(crate) mod spawn;

use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

pub(crate) use fds::FdLease;
pub use fds::{fd_limit, raise_fd_limit};
pub(crate) use reaper::{ExitWatch, Reaped};

/// How long the kernel waits, at program exit or on a fatal signal, for terminated groups
/// to go before it kills them.
const EXIT_GRACE: Duration = Duration::from_millis(500);

pub(crate) struct Kernel {
    handle: tokio::runtime::Handle,
    thread: thread::ThreadId,
    pub(crate) budget: fds::FdBudget,
    pub(crate) reaper: reaper::ScanReaper,
    live: Mutex<HashSet<i32>>,
    pub(crate) lifeline: lifeline::Lifeline,
}

static KERNEL: OnceLock<Kernel> = OnceLock::new();

/// The kernel, started on first use.
pub(crate) fn kernel() -> &'static Kernel {
    KERNEL.get_or_init(Kernel::start)
}

impl Kernel {
    fn start() -> Kernel {
        let limit = raise_fd_limit();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("execo-kernel")
            .build()
            .expect("execo: cannot build the kernel's tokio runtime");
        let handle = runtime.handle().clone();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::Builder::new()
            .name("execo-kernel".into())
            .spawn(move || {
                runtime.block_on(async move {
                    tx.send(thread::current().id()).ok();
                    tokio::spawn(reaper::ScanReaper::run());
                    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                        tokio::spawn(terminate_on(sig));
                    }
                    std::future::pending::<()>().await
                })
            })
            .expect("execo: cannot start the kernel thread");
        let thread = rx.recv().expect("execo: the kernel thread died at start");
        // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds.
        unsafe { libc::atexit(at_exit) };
        Kernel {
            handle,
            thread,
            budget: fds::FdBudget::new(limit),
            reaper: reaper::ScanReaper::default(),
            live: Mutex::new(HashSet::new()),
            lifeline: lifeline::Lifeline::start(),
        }
    }

    /// Enters the kernel's runtime context so that fds and timers created now register
    /// with the kernel's event loop.
    pub(crate) fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.handle.enter()
    }

    pub(crate) fn spawn<F: Future<Output = ()> + Send + 'static>(&self, task: F) {
        self.handle.spawn(task);
    }

    /// A sleep on the kernel's timer, usable from any runtime or from `block_on`.
    pub(crate) fn sleep_until(&self, deadline: Instant) -> tokio::time::Sleep {
        let _g = self.enter();
        tokio::time::sleep_until(deadline.into())
    }

    pub(crate) fn on_kernel_thread(&self) -> bool {
        thread::current().id() == self.thread
    }

    pub(crate) fn register_group(&self, pgid: i32) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(pgid);
        self.lifeline.group_started(pgid);
    }

    pub(crate) fn unregister_group(&self, pgid: i32) {
        let was_live = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&pgid);
        if was_live {
            self.lifeline.group_ended(pgid);
        }
    }

    fn live_groups(&self) -> Vec<i32> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }

    /// SIGTERM to every live group, then SIGKILL to those still registered after `grace`.
    fn terminate_all(&self, grace: Duration) {
        let groups = self.live_groups();
        if groups.is_empty() {
            return;
        }
        for &g in &groups {
            signal_group(g, Signal::TERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && !self.live_groups().is_empty() {
            thread::sleep(Duration::from_millis(5));
        }
        for g in self.live_groups() {
            signal_group(g, Signal::KILL);
        }
    }
}

/// Registers `fd` with the kernel's event loop (call inside the kernel's context).
pub(crate) fn watch_fd(
    fd: std::os::fd::OwnedFd,
) -> std::io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    // SAFETY: an `OwnedFd` is an open descriptor that the `AsyncFd` now owns until it is
    // dropped, and its `as_raw_fd` always returns that same descriptor.
    Ok(unsafe { tokio::io::unix::AsyncFd::register(fd) }?)
}

/// Sends `sig` to process group `pgid`; a group already gone is not an error.
pub(crate) fn signal_group(pgid: i32, sig: Signal) -> bool {
    match Pid::from_raw(pgid) {
        Some(pid) => rustix::process::kill_process_group(pid, sig).is_ok(),
        None => false,
    }
}

static EXIT_HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());
static INTERRUPT_HOOKS: Mutex<Vec<fn(i32)>> = Mutex::new(Vec::new());

/// Runs `f(signal)` first thing on SIGINT/SIGTERM/SIGHUP, before the processes are
/// terminated: code waiting on them then knows that their failure is an interruption.
pub(crate) fn on_interrupt(f: fn(i32)) {
    kernel();
    INTERRUPT_HOOKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(f);
}

/// Runs `f` when the program exits (returns from `main`, `std::process::exit`) or dies
/// of SIGINT/SIGTERM/SIGHUP, after every process the kernel started has been
/// terminated: to undo what the program set up outside itself (network namespaces,
/// firewall rules) however it ends, short of `kill -9`. Hooks run once, in order.
pub fn on_exit(f: fn()) {
    kernel();
    EXIT_HOOKS.lock().unwrap_or_else(|e| e.into_inner()).push(f);
}

fn run_exit_hooks() {
    let hooks = std::mem::take(&mut *EXIT_HOOKS.lock().unwrap_or_else(|e| e.into_inner()));
    for f in hooks {
        f();
    }
}

extern "C" fn at_exit() {
    if let Some(k) = KERNEL.get() {
        k.terminate_all(EXIT_GRACE);
    }
    run_exit_hooks();
    std::fs::remove_dir_all(spawn::spool_dir()).ok();
}

/// The signal that is ending the program, once one has (0 before).
static INTERRUPTED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The signal (SIGINT, SIGTERM, SIGHUP) that is ending the program, if one is: the
/// processes that end now were killed by the program itself, not failures of theirs.
pub fn interrupted() -> Option<i32> {
    Some(INTERRUPTED.load(Ordering::Acquire)).filter(|&s| s != 0)
}

/// On a fatal signal: terminate every process the kernel started, then die of the same
/// signal so that the exit status tells what happened.
async fn terminate_on(sig: i32) {
    let Ok(mut stream) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(sig))
    else {
        return;
    };
    if stream.recv().await.is_none() {
        return;
    }
    INTERRUPTED.store(sig, Ordering::Release);
    tokio::task::spawn_blocking(move || {
        let groups = kernel().live_groups().len();
        if groups > 0 {
            crate::log::warn_failure(&format!(
                "interrupted by {}: terminating {groups} running process{}",
                signal_name(sig),
                if groups == 1 { "" } else { "es" }
            ));
        }
        let hooks = INTERRUPT_HOOKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for f in hooks {
            f(sig);
        }
        kernel().terminate_all(EXIT_GRACE);
        run_exit_hooks();
        // SAFETY: restoring the default disposition and re-raising are async-signal-safe
        // libc calls made from a normal thread.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    });
}

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// How long a blocked caller spins before it parks. A wake-up that comes within this
/// time (an expect answered by a quick process) then costs no sleep and no idle exit.
const SPIN: Duration = Duration::from_micros(SPIN_MICROS);
const SPIN_MICROS: u64 = 60;

/// Runs `fut` to completion on the calling thread, parking between wake-ups; the kernel's
/// runtime context is entered so that timers and fds work. `None` on the kernel thread,
/// where waiting would deadlock. Callers go through `blocking::block_on_for`, which also
/// refuses async code.
pub(crate) fn block_on<F: Future>(fut: F) -> Option<F::Output> {
    let k = kernel();
    if k.on_kernel_thread() {
        return None;
    }
    let _g = k.enter();
    let state = Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(state.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        state.woken.store(false, Ordering::Release);
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return Some(out);
        }
        let spin_end = Instant::now() + SPIN;
        while !state.woken.load(Ordering::Acquire) && Instant::now() < spin_end {
            thread::yield_now();
        }
        if !state.woken.load(Ordering::Acquire) {
            thread::park();
        }
    }
}

/// Name of a signal number, for messages.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}
