//! The signals a process can be sent ([`ProcessHandle::kill_with`](super::ProcessHandle::kill_with)):
//! execo's own type, so that a program names `execo::process::Signal` and not the
//! syscall crate execo happens to use.

use std::fmt;

/// A unix signal, e.g. [`Signal::INT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal(rustix::process::Signal);

impl Signal {
    /// SIGHUP: the terminal hung up.
    pub const HUP: Signal = Signal(rustix::process::Signal::HUP);
    /// SIGINT: ctrl-c. Followed by SIGKILL after the kill grace, as SIGTERM is.
    pub const INT: Signal = Signal(rustix::process::Signal::INT);
    /// SIGQUIT.
    pub const QUIT: Signal = Signal(rustix::process::Signal::QUIT);
    /// SIGKILL: cannot be caught.
    pub const KILL: Signal = Signal(rustix::process::Signal::KILL);
    /// SIGUSR1.
    pub const USR1: Signal = Signal(rustix::process::Signal::USR1);
    /// SIGUSR2.
    pub const USR2: Signal = Signal(rustix::process::Signal::USR2);
    /// SIGPIPE.
    pub const PIPE: Signal = Signal(rustix::process::Signal::PIPE);
    /// SIGALRM.
    pub const ALARM: Signal = Signal(rustix::process::Signal::ALARM);
    /// SIGTERM: what [`kill`](super::ProcessHandle::kill) sends.
    pub const TERM: Signal = Signal(rustix::process::Signal::TERM);
    /// SIGCONT: resume a stopped process.
    pub const CONT: Signal = Signal(rustix::process::Signal::CONT);
    /// SIGSTOP: stop the process (cannot be caught).
    pub const STOP: Signal = Signal(rustix::process::Signal::STOP);
    /// SIGTSTP: ctrl-z.
    pub const TSTP: Signal = Signal(rustix::process::Signal::TSTP);
    /// SIGWINCH: the terminal's size changed.
    pub const WINCH: Signal = Signal(rustix::process::Signal::WINCH);

    /// The signal of number `n`, if it is a named signal of this system (not a
    /// real-time one).
    pub fn from_raw(n: i32) -> Option<Signal> {
        rustix::process::Signal::from_named_raw(n).map(Signal)
    }

    /// Its number, e.g. 15 for SIGTERM.
    pub fn as_raw(self) -> i32 {
        self.0.as_raw()
    }

    pub(crate) fn to_rustix(self) -> rustix::process::Signal {
        self.0
    }
}

/// Its name, e.g. `SIGTERM`.
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::kernel::signal_name(self.as_raw()))
    }
}
