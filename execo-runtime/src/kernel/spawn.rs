//! Spawning one child: argv, working directory, environment, stdio (pipes, a pty, or
//! spool files when descriptors run short), its own process group, and the exit watch.
//!
//! Without a pty this goes through `std::process::Command`, which uses `posix_spawn`
//! (vfork speed) with `POSIX_SPAWN_SETPGROUP`. A pty needs `setsid` and `TIOCSCTTY` in
//! the child, hence a `pre_exec` hook and the fork path.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::Pid;
use tokio::io::unix::AsyncFd;

use super::{ExitWatch, FdLease, kernel};

/// Where the kernel reads a stream from.
pub(crate) enum Source {
    /// Nobody wants it: the child writes to `/dev/null`.
    None,
    /// A pipe or the pty master, read as it comes.
    Live(Arc<AsyncFd<OwnedFd>>),
    /// A file the child writes to, read when the child has exited.
    Spool(PathBuf),
}

/// A started child, ready for the kernel to supervise.
pub(crate) struct Spawned {
    pub(crate) pid: Pid,
    pub(crate) stdin: Option<Arc<AsyncFd<OwnedFd>>>,
    pub(crate) out: [Source; 2],
    pub(crate) exit: ExitWatch,
    pub(crate) _lease: Option<FdLease>,
}

/// What the kernel needs to start a child, built by the process layer
/// ([`Process::spawn_spec`](crate::process::Process)): the kernel knows nothing of
/// processes, hosts or templates.
pub(crate) struct SpawnSpec {
    /// The program and its arguments, non-empty.
    pub(crate) argv: Vec<String>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) env_clear: bool,
    /// A pty for stdin and stdout (and a session of its own).
    pub(crate) pty: bool,
    pub(crate) stdin: ChildStdin,
    /// Whether stdout and stderr are read (else `/dev/null`).
    pub(crate) wanted: [bool; 2],
}

/// What a child reads on its standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildStdin {
    Null,
    Piped,
    Inherit,
    /// The program's [lifeline](super::lifeline): end of file when the program dies.
    Lifeline,
}

fn nonblocking_async(fd: OwnedFd) -> io::Result<Arc<AsyncFd<OwnedFd>>> {
    let flags = fcntl_getfl(&fd)?;
    fcntl_setfl(&fd, flags | OFlags::NONBLOCK)?;
    Ok(Arc::new(super::watch_fd(fd)?))
}

fn spool_path() -> io::Result<PathBuf> {
    static N: AtomicU64 = AtomicU64::new(0);
    static CREATED: std::sync::Once = std::sync::Once::new();
    let dir = spool_dir();
    std::fs::create_dir_all(&dir)?;
    CREATED.call_once(|| {
        kernel().lifeline.remove_at_death(&dir);
        remove_stale_spools();
    });
    Ok(dir.join(N.fetch_add(1, Ordering::Relaxed).to_string()))
}

/// Removes the spool directories of programs that died without removing theirs (a
/// `kill -9` while the guardian could not run).
fn remove_stale_spools() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("execo-spool-"))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
}

/// The directory of spool files of this program, removed at exit.
pub(crate) fn spool_dir() -> PathBuf {
    std::env::temp_dir().join(format!("execo-spool-{}", std::process::id()))
}

fn describe(e: io::Error, prog: &str, p: &SpawnSpec) -> String {
    match e.raw_os_error() {
        Some(libc::ENOENT) if prog.contains('/') => format!("program `{prog}` not found: {e}"),
        Some(libc::ENOENT) => format!("program `{prog}` not found in PATH: {e}"),
        Some(libc::EACCES) => format!("cannot execute `{prog}`: {e}"),
        Some(libc::EMFILE | libc::ENFILE) => {
            format!("out of file descriptors (limit {}): {e}", super::fd_limit())
        }
        Some(libc::EAGAIN) => format!("cannot create a process (process limit reached?): {e}"),
        _ => match &p.cwd {
            Some(dir) => format!("cannot start `{prog}` in `{}`: {e}", dir.display()),
            None => format!("cannot start `{prog}`: {e}"),
        },
    }
}

/// Spawns `p`. Must be called inside the kernel's runtime context.
pub(crate) fn spawn(p: &SpawnSpec) -> Result<Spawned, String> {
    let argv = &p.argv;
    if let Some(dir) = &p.cwd {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(format!(
                    "working directory `{}` is not a directory",
                    dir.display()
                ));
            }
            Err(e) => return Err(format!("working directory `{}`: {e}", dir.display())),
        }
    }
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if let Some(dir) = &p.cwd {
        cmd.current_dir(dir);
    }
    if p.env_clear {
        cmd.env_clear();
    }
    for (k, v) in &p.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }

    let budget = &kernel().budget;
    let wanted = p.wanted;
    let stdin_piped = p.stdin == ChildStdin::Piped || p.pty;
    let out_need = (wanted[0] && !p.pty) as usize + wanted[1] as usize;
    let short = |what: &str| {
        let (used, budget) = kernel().budget.usage();
        format!(
            "out of file descriptors for {what}: the kernel holds {used} of its budget of {budget} \
             (open-file limit {}); raise `ulimit -n` or start fewer processes at once",
            super::fd_limit()
        )
    };
    let (lease, spool) = if p.pty {
        (
            Some(
                budget
                    .lease(stdin_piped as usize + out_need)
                    .ok_or_else(|| short("the pty"))?,
            ),
            false,
        )
    } else {
        match budget.lease_optional(stdin_piped as usize + out_need) {
            Some(l) => (Some(l), false),
            None => (
                Some(
                    budget
                        .lease(stdin_piped as usize)
                        .ok_or_else(|| short("the stdin pipe"))?,
                ),
                true,
            ),
        }
    };
    let fail = |what: &str, e: io::Error| format!("cannot create {what}: {e}");

    let mut stdin_fd = None;
    let mut out = [Source::None, Source::None];
    let mut live = [None, None];
    let mut spool_files = [None, None];

    if p.pty {
        let (master, slave) = open_pty().map_err(|e| fail("a pty", e))?;
        let slave2 = slave.try_clone().map_err(|e| fail("a pty", e))?;
        cmd.stdin(Stdio::from(slave));
        cmd.stdout(Stdio::from(slave2));
        live[0] = Some(master);
        // SAFETY: setsid and ioctl(TIOCSCTTY) are raw syscalls, async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())?;
                Ok(())
            });
        }
    } else {
        cmd.process_group(0);
        match p.stdin {
            ChildStdin::Lifeline => match kernel().lifeline.stdin() {
                Some(fd) => cmd.stdin(Stdio::from(fd)),
                None => cmd.stdin(Stdio::null()),
            },
            ChildStdin::Null => cmd.stdin(Stdio::null()),
            ChildStdin::Inherit => cmd.stdin(Stdio::inherit()),
            ChildStdin::Piped => {
                let (r, w) =
                    pipe_with(PipeFlags::CLOEXEC).map_err(|e| fail("the stdin pipe", e.into()))?;
                stdin_fd = Some(w);
                cmd.stdin(Stdio::from(r))
            }
        };
    }
    for i in 0..2 {
        if p.pty && i == 0 {
            continue;
        }
        let child_end: Stdio = if !wanted[i] {
            Stdio::null()
        } else if spool {
            let path = spool_path().map_err(|e| fail("a spool file", e))?;
            let f = File::create(&path).map_err(|e| fail("a spool file", e))?;
            spool_files[i] = Some(path);
            Stdio::from(f)
        } else {
            let (r, w) =
                pipe_with(PipeFlags::CLOEXEC).map_err(|e| fail("an output pipe", e.into()))?;
            live[i] = Some(r);
            Stdio::from(w)
        };
        if i == 0 {
            cmd.stdout(child_end);
        } else {
            cmd.stderr(child_end);
        }
    }

    let child = cmd.spawn().map_err(|e| describe(e, &argv[0], p))?;
    drop(cmd); // closes the child's ends in this process
    let pid = Pid::from_raw(child.id() as i32).ok_or("spawn returned pid 0")?;
    let exit = ExitWatch::new(pid);

    let mut master = None;
    for i in 0..2 {
        if let Some(fd) = live[i].take() {
            let afd = nonblocking_async(fd).map_err(|e| fail("the output watch", e))?;
            if p.pty && i == 0 {
                master = Some(afd.clone());
            }
            out[i] = Source::Live(afd);
        } else if let Some(path) = spool_files[i].take() {
            out[i] = Source::Spool(path);
        }
    }
    let stdin = match (master, stdin_fd) {
        (Some(m), _) => Some(m),
        (None, Some(w)) => Some(nonblocking_async(w).map_err(|e| fail("the stdin watch", e))?),
        (None, None) => None,
    };
    Ok(Spawned {
        pid,
        stdin,
        out,
        exit,
        _lease: lease,
    })
}

fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let size = rustix::termios::Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&slave, size)?;
    Ok((master, slave))
}
