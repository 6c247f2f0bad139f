//! What still cleans up when the program is killed with `kill -9`: a guardian process,
//! and a lifeline pipe for remote commands.
//!
//! Exit hooks and signal handlers cannot run after SIGKILL, yet nothing the program
//! started may outlive it (execo's promise, DESIGN.md §12). Two things survive the
//! program for exactly as long as they are needed, because the kernel closes a dead
//! process's descriptors:
//!
//! - **The guardian**, a small `awk` started with the kernel in a process group of its
//!   own. The kernel tells it, through a pipe only this process can write to, each process
//!   group it starts and each one that ends, and each directory and ssh master it makes.
//!   When the pipe reaches end of file (the program is gone, however it died), the
//!   guardian terminates the groups still listed (SIGTERM, then SIGKILL 2 s later), tells
//!   the ssh masters to exit and removes the directories. On a normal exit the kernel has
//!   already done all that, and the guardian finds nothing left to do.
//! - **The lifeline**, a pipe that nobody writes to: its read end is the standard input of
//!   every ssh process whose own standard input is not wanted, and its write end stays in
//!   this process. When the program dies, or an ssh process is killed, the remote side
//!   sees end of file on its input: the remote watchdog (see [`remote_watchdog`]) then
//!   kills the remote command, so that it never outlives its ssh, with or without a tty.
//!
//! # Caveats
//! A process that calls `fork()` without `exec` keeps the write ends open in the child,
//! and the guardian waits for the child too. A process group started in the few
//! microseconds between `spawn` and its registration is not known to the guardian.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::pipe::{PipeFlags, pipe_with};

/// The guardian's program: a set of live groups, directories and ssh masters, acted on
/// at end of input.
const GUARDIAN: &str = r#"
/^\+ / { g[substr($0, 3)] = 1; next }
/^- / { delete g[substr($0, 3)]; next }
/^d / { d[substr($0, 3)] = 1; next }
/^m / { m[substr($0, 3)] = 1; next }
END {
  s = ""
  for (p in g) s = s " -" p
  if (s != "") system("kill -s TERM --" s " 2>/dev/null")
  for (x in m) {
    split(x, a, "\t")
    system("'" a[1] "' -o 'ControlPath=" a[2] "' -O exit execo-mux >/dev/null 2>&1")
  }
  if (s != "") system("sleep 2; kill -s KILL --" s " 2>/dev/null")
  for (x in d) system("rm -rf -- '" x "'")
}
"#;

pub(crate) struct Lifeline {
    /// The write end of the guardian's input; `None` when it could not start or died.
    guardian: Mutex<Option<std::fs::File>>,
    /// The lifeline's read end, given (duplicated) to ssh processes as their stdin.
    lifeline_read: Option<OwnedFd>,
    /// Its write end: held, never written, closed by the kernel when the process dies.
    _lifeline_write: Option<OwnedFd>,
}

impl Lifeline {
    pub(crate) fn start() -> Lifeline {
        let (lifeline_read, lifeline_write) = match pipe_with(PipeFlags::CLOEXEC) {
            Ok((r, w)) => (Some(r), Some(w)),
            Err(e) => {
                tracing::debug!("no lifeline pipe for remote commands: {e}");
                (None, None)
            }
        };
        Lifeline {
            guardian: Mutex::new(start_guardian()),
            lifeline_read,
            _lifeline_write: lifeline_write,
        }
    }

    /// A new descriptor of the lifeline's read end, for one child's stdin.
    pub(crate) fn stdin(&self) -> Option<OwnedFd> {
        let fd: BorrowedFd<'_> = self.lifeline_read.as_ref()?.as_fd();
        fd.try_clone_to_owned().ok()
    }

    /// Tells the guardian one line (`+ PGID`, `- PGID`, `d DIR`, `m SSH\tSOCKET`), given
    /// with its newline: formatted once, by the caller (this runs twice per process).
    fn tell(&self, line: &str) {
        let mut guardian = self.guardian.lock().unwrap_or_else(|e| e.into_inner());
        let Some(w) = guardian.as_mut() else {
            return;
        };
        // One write of less than PIPE_BUF bytes: atomic, never interleaved.
        if let Err(e) = w.write_all(line.as_bytes()) {
            *guardian = None;
            static WARNED: AtomicBool = AtomicBool::new(false);
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the guardian process is gone ({e}): processes will not be cleaned up \
                     after a kill -9 of this program"
                );
            }
        }
    }

    pub(crate) fn group_started(&self, pgid: i32) {
        self.tell(&format!("+ {pgid}\n"));
    }

    pub(crate) fn group_ended(&self, pgid: i32) {
        self.tell(&format!("- {pgid}\n"));
    }

    /// `dir` is removed when the program dies, whichever way.
    pub(crate) fn remove_at_death(&self, dir: &std::path::Path) {
        if let Some(d) = dir.to_str().filter(|d| safe(d)) {
            self.tell(&format!("d {d}\n"));
        }
    }

    /// The ssh master listening on `socket` is told to exit when the program dies.
    pub(crate) fn exit_master_at_death(&self, ssh: &str, socket: &std::path::Path) {
        if let Some(s) = socket.to_str().filter(|s| safe(s) && safe(ssh)) {
            self.tell(&format!("m {ssh}\t{s}\n"));
        }
    }
}

/// Whether `s` can be passed to the guardian: one line, one field, no quote.
fn safe(s: &str) -> bool {
    !s.is_empty() && !s.contains(['\n', '\t', '\''])
}

fn start_guardian() -> Option<std::fs::File> {
    let (r, w) = match pipe_with(PipeFlags::CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!("no guardian process: {e}");
            return None;
        }
    };
    // Room for tens of thousands of messages should the guardian lag behind.
    rustix::pipe::fcntl_setpipe_size(&w, 1 << 20).ok();
    let spawned = Command::new("awk")
        .arg(GUARDIAN)
        .stdin(Stdio::from(r))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        Ok(_) => Some(std::fs::File::from(w)),
        Err(e) => {
            tracing::warn!(
                "cannot start the guardian process (`awk`: {e}): processes will not be \
                 cleaned up after a kill -9 of this program"
            );
            None
        }
    }
}

/// `cmd` wrapped so that it dies when its ssh connection ends, for a remote shell whose
/// standard input is the [lifeline](self).
///
/// sshd runs a command without a tty in a session of its own, and gives it no signal when
/// the connection goes: only its standard input reaches end of file. The wrapper keeps
/// that input for a watchdog and gives the command `/dev/null` instead; when the input
/// ends (the local ssh was killed, or the program died), the watchdog terminates the
/// session's process group (SIGTERM, then SIGKILL 5 s later). When the command ends by
/// itself, the watchdog is stopped and what the command left running in the background
/// (a daemon started with `nohup ... &`) stays, as it would without the wrapper. The
/// command runs in a subshell, so `exit` and `exec` in it behave as usual, and the
/// wrapper exits with its status. The wrapper is POSIX shell: the remote login shell must
/// be a Bourne-style shell (sh, bash, dash, zsh, ksh).
pub fn remote_watchdog(cmd: &str) -> String {
    format!(
        "exec 3<&0 </dev/null\n\
         (while read -r _ <&3; do :; done; trap '' TERM; kill -TERM 0; sleep 5; kill -KILL 0) \
         >/dev/null 2>&1 &\n\
         execo_watchdog=$!\n\
         exec 3<&-\n\
         (\n{cmd}\n)\n\
         execo_status=$?\n\
         kill $execo_watchdog 2>/dev/null\n\
         exit $execo_status"
    )
}
