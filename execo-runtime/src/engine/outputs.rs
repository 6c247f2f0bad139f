//! `-L`, `-R` and `-M`: the experiment's stdout and stderr kept in its result directory.
//!
//! `-R` points descriptors 1 and 2 at the files. `-L` copies, as execo does, through a
//! `tee -a` child per stream: the child ignores SIGINT, SIGTERM and SIGHUP and drains its
//! pipe until every writer is gone, so what the experiment printed just before it was
//! interrupted, or killed, still reaches the file. `-M` uses one file, `stdout+stderr`.

use std::fs::{File, OpenOptions};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::EngineError;

/// Copies (`copy`) or redirects stdout and stderr to files in `dir`, merged into one if
/// `merge`.
pub(super) fn setup(dir: &Path, copy: bool, merge: bool) -> Result<(), EngineError> {
    let what = if copy { "copy" } else { "redirect" };
    let targets: Vec<(PathBuf, Vec<i32>)> = if merge {
        vec![(dir.join("stdout+stderr"), vec![1, 2])]
    } else {
        vec![(dir.join("stdout"), vec![1]), (dir.join("stderr"), vec![2])]
    };
    for (file, fds) in targets {
        let err = |cause: String| EngineError::Outputs {
            what,
            file: file.clone(),
            cause,
        };
        let sink: OwnedFd = if copy {
            tee(&file, fds[0]).map_err(|e| err(e.to_string()))?
        } else {
            open_append(&file).map_err(|e| err(e.to_string()))?.into()
        };
        for fd in fds {
            let replaced = if fd == 1 {
                rustix::stdio::dup2_stdout(&sink)
            } else {
                rustix::stdio::dup2_stderr(&sink)
            };
            replaced.map_err(|e| err(format!("cannot replace descriptor {fd}: {e}")))?;
        }
    }
    Ok(())
}

fn open_append(file: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(file)
}

/// Starts `tee -a file` writing to a duplicate of descriptor `out`; returns the write end
/// of its input pipe.
fn tee(file: &Path, out: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: `out` is 1 or 2, open for the life of the process.
    let out = unsafe { std::os::fd::BorrowedFd::borrow_raw(out) }.try_clone_to_owned()?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let mut cmd = Command::new("tee");
    cmd.arg("-a")
        .arg(file)
        .stdin(Stdio::from(read))
        .stdout(Stdio::from(out))
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec: signal(2) to ignore the
    // signals that interrupt the experiment (an ignored disposition survives exec).
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_IGN);
            }
            Ok(())
        });
    }
    // Not waited for: it ends when the experiment's last writer closes the pipe.
    cmd.spawn()?;
    Ok(write)
}
