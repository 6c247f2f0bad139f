//! The system side of the checkpoint: the directory lock, atomic replacement, appends
//! that are all-or-nothing, and telling whether the process holding an item still lives.
//!
//! [`write_atomic`] is execo's one way to write a whole file (the plots use it too):
//! one helper, so every file a reader may open while it is written is complete or
//! absent, and on disk when `durable` asks.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use serde::{Deserialize, Serialize};

use super::SweepError;

pub(super) const FORMAT: &str = "format";
pub(super) const FORMAT_LINE: &str = "execo-sweeper 1";
pub(super) const FORMAT_VERSION: u32 = 1;
pub(super) const SWEEP: &str = "sweep.jsonl";
pub(super) const DONE: &str = "done.jsonl";
pub(super) const INPROGRESS: &str = "inprogress.json";
pub(super) const LOCK: &str = "lock";
/// The prefix of the temporary files of [`write_atomic`], removed at open (under the
/// lock) when a kill left one behind.
pub(super) const TMP_PREFIX: &str = ".tmp.";

/// Who holds an in-progress item. `start` (the process start time, in clock ticks since
/// boot) tells a live process from a later one that got the same pid; `inst` tells the
/// sweepers of one process apart (a dropped one's items are stale).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Owner {
    pub host: String,
    pub pid: u32,
    pub start: u64,
    #[serde(default)]
    pub inst: u64,
}

static NEXT_INST: AtomicU64 = AtomicU64::new(1);
/// The sweepers alive in this process, by instance number.
static LIVE: Mutex<Vec<u64>> = Mutex::new(Vec::new());

impl Owner {
    /// A new owner for a sweeper of this process, registered as live until
    /// [`Owner::retire`].
    pub fn new_instance() -> Owner {
        let inst = NEXT_INST.fetch_add(1, Ordering::Relaxed);
        lock_ignoring_poison(&LIVE).push(inst);
        let me = this_process();
        Owner {
            host: me.0.clone(),
            pid: std::process::id(),
            start: me.1,
            inst,
        }
    }

    /// This sweeper is gone: its leftover items are stale.
    pub fn retire(&self) {
        lock_ignoring_poison(&LIVE).retain(|&i| i != self.inst);
    }

    /// Whether this owner is certainly gone: on this host, and its process dead, or its
    /// pid reused, or (this process) its sweeper dropped. Owners on other hosts are never
    /// judged: only `reset --in-progress` frees them.
    pub fn is_stale(&self) -> bool {
        let me = this_process();
        if self.host != me.0 {
            return false;
        }
        if self.pid == std::process::id() && self.start == me.1 {
            return self.inst != 0 && !lock_ignoring_poison(&LIVE).contains(&self.inst);
        }
        process_start(self.pid) != Some(self.start)
    }
}

pub(super) fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// This host's name and this process's start time, read once.
fn this_process() -> &'static (String, u64) {
    static ME: OnceLock<(String, u64)> = OnceLock::new();
    ME.get_or_init(|| (hostname(), process_start(std::process::id()).unwrap_or(0)))
}

pub(crate) fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return "localhost".to_string();
    }
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Field 22 of `/proc/<pid>/stat` (start time in ticks since boot); `None` when the
/// process does not exist or is a zombie.
pub(super) fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?; // field 3
    if state == "Z" || state == "X" {
        return None;
    }
    fields.nth(18)?.parse().ok() // field 22
}

pub(super) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Whether the kernel lacks open-file-description locks (then classic POSIX locks are
/// used, which are per process: the in-process registry below serializes sweepers of
/// one process on one directory).
static NO_OFD: AtomicBool = AtomicBool::new(false);

/// The in-process mutex of each lock file, by (device, inode).
type Registry = HashMap<(u64, u64), Weak<Mutex<()>>>;

/// One mutex per lock file in this process.
static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// The directory's lock: POSIX `fcntl` record locks on `lock` (NFS-safe), taken by
/// every operation, behind a per-directory mutex of this process. Its first 8 bytes
/// count changes of `inprogress.json`, so a change is never missed even when the
/// replacement file gets the old inode number, size and mtime back.
pub(super) struct DirLock {
    file: File,
    path: PathBuf,
    local: Arc<Mutex<()>>,
}

pub(super) struct LockGuard<'a> {
    lock: &'a DirLock,
    _local: MutexGuard<'a, ()>,
}

impl DirLock {
    /// Opens (`write`: creates) the lock file of `dir`.
    pub fn open(dir: &Path, write: bool) -> Result<DirLock, SweepError> {
        let path = dir.join(LOCK);
        let file = OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .truncate(false)
            .open(&path)
            .map_err(SweepError::io("open the lock file", &path))?;
        let meta = file
            .metadata()
            .map_err(SweepError::io("stat the lock file", &path))?;
        let key = (meta.dev(), meta.ino());
        let local = {
            let mut reg = lock_ignoring_poison(&REGISTRY);
            let map = reg.get_or_insert_with(HashMap::new);
            map.retain(|_, w| w.strong_count() > 0);
            match map.get(&key).and_then(Weak::upgrade) {
                Some(m) => m,
                None => {
                    let m = Arc::new(Mutex::new(()));
                    map.insert(key, Arc::downgrade(&m));
                    m
                }
            }
        };
        Ok(DirLock { file, path, local })
    }

    /// Waits for the lock: exclusive, or shared (readers of a directory they may not
    /// write).
    pub fn lock(&self, exclusive: bool) -> Result<LockGuard<'_>, SweepError> {
        let local = lock_ignoring_poison(&self.local);
        let kind = if exclusive {
            libc::F_WRLCK
        } else {
            libc::F_RDLCK
        };
        self.fcntl(kind as libc::c_short, true)
            .map_err(SweepError::io("lock", &self.path))?;
        Ok(LockGuard {
            lock: self,
            _local: local,
        })
    }

    fn fcntl(&self, kind: libc::c_short, wait: bool) -> std::io::Result<()> {
        loop {
            let ofd = !NO_OFD.load(Ordering::Relaxed);
            let cmd = match (ofd, wait) {
                (true, true) => libc::F_OFD_SETLKW,
                (true, false) => libc::F_OFD_SETLK,
                (false, true) => libc::F_SETLKW,
                (false, false) => libc::F_SETLK,
            };
            // SAFETY: a zeroed flock is valid (l_pid must be 0 for OFD locks); the
            // fields set describe the whole file.
            let r = unsafe {
                let mut fl: libc::flock = std::mem::zeroed();
                fl.l_type = kind;
                fl.l_whence = libc::SEEK_SET as libc::c_short;
                fl.l_start = 0;
                fl.l_len = 0;
                libc::fcntl(self.file.as_raw_fd(), cmd, &mut fl)
            };
            if r == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EINVAL) if ofd => NO_OFD.store(true, Ordering::Relaxed),
                _ => return Err(e),
            }
        }
    }

    /// The change counter of `inprogress.json` (0 for a new lock file).
    pub fn generation(&self) -> u64 {
        let mut b = [0u8; 8];
        match self.file.read_exact_at(&mut b, 0) {
            Ok(()) => u64::from_le_bytes(b),
            Err(_) => 0,
        }
    }

    pub fn set_generation(&self, g: u64) -> Result<(), SweepError> {
        self.file
            .write_all_at(&g.to_le_bytes(), 0)
            .map_err(SweepError::io("write", &self.path))
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        // Closing nothing here: the fd stays open for the next operation. An unlock
        // failure would leave the lock held until the fd closes; log it.
        if let Err(e) = self.lock.fcntl(libc::F_UNLCK as libc::c_short, false) {
            tracing::warn!("failed to unlock `{}`: {e}", self.lock.path.display());
        }
    }
}

/// Replaces `dir/name` by `bytes` with [`write_atomic`].
pub(super) fn replace(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    durable: bool,
) -> Result<(), SweepError> {
    Ok(write_atomic(&dir.join(name), bytes, durable)?)
}

/// A failed step of [`write_atomic`]: what was being done, to which file, and why.
#[derive(Debug)]
pub(crate) struct WriteFailure {
    /// `create`, `write`, `fsync`, `rename`, `fsync the directory of`.
    pub action: &'static str,
    /// The file the step was on (the temporary file, or the target).
    pub file: PathBuf,
    /// The system's error.
    pub source: std::io::Error,
}

impl std::fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "failed to {} `{}`: {}",
            self.action,
            self.file.display(),
            self.source
        )
    }
}

impl From<WriteFailure> for SweepError {
    fn from(w: WriteFailure) -> SweepError {
        SweepError::Io {
            action: w.action,
            file: w.file,
            source: w.source,
        }
    }
}

/// Tells apart the temporary files of the writers of one process.
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` by `bytes` atomically, the one way execo writes a whole file (the
/// sweeper's checkpoint, its results exports, the plots): a temporary file in the same
/// directory (`.tmp.<name>.<pid>.<n>`, created exclusively, so concurrent writers never
/// share one), renamed over `path`. A reader sees the old content or the new, never
/// part of it; on failure the temporary file is removed and `path` is untouched.
///
/// `durable`: also fsync the data before the rename and the directory after, so the new
/// content is on disk when this returns (a crash of the machine keeps the old or the new
/// file, not an empty one).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<(), WriteFailure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| std::borrow::Cow::Borrowed(""), |n| n.to_string_lossy());
    let n = NEXT_TMP.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!("{TMP_PREFIX}{name}.{}.{n}", std::process::id()));
    let step = |action: &'static str, file: &Path| {
        let file = file.to_path_buf();
        move |source| WriteFailure {
            action,
            file,
            source,
        }
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(step("create", &tmp))?;
    let written = f
        .write_all(bytes)
        .map_err(step("write", &tmp))
        .and_then(|()| {
            if durable {
                f.sync_data().map_err(step("fsync", &tmp))
            } else {
                Ok(())
            }
        })
        .and_then(|()| {
            drop(f);
            std::fs::rename(&tmp, path).map_err(step("rename a temporary file to", path))
        });
    if let Err(e) = written {
        std::fs::remove_file(&tmp).ok();
        return Err(e);
    }
    if durable {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(step("fsync the directory", dir))?;
    }
    Ok(())
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), SweepError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(SweepError::io("fsync the directory", dir))
}

/// Appends `bytes` at `at` (the file's known end) all or nothing: on a failed or short
/// write (disk full) the file is cut back to `at` and the error returned. `durable`:
/// fdatasync before returning.
pub(super) fn append_at(
    file: &File,
    path: &Path,
    at: u64,
    bytes: &[u8],
    durable: bool,
) -> Result<(), SweepError> {
    let r = file
        .write_all_at(bytes, at)
        .and_then(|()| if durable { file.sync_data() } else { Ok(()) });
    r.map_err(|e| {
        if let Err(t) = file.set_len(at) {
            tracing::warn!(
                "failed to cut `{}` back after a failed write: {t}",
                path.display()
            );
        }
        SweepError::Io {
            action: "append to",
            file: path.to_path_buf(),
            source: e,
        }
    })
}

/// Reads `file` from `from` to its end.
pub(super) fn read_from(
    file: &File,
    path: &Path,
    from: u64,
    to: u64,
) -> Result<Vec<u8>, SweepError> {
    let mut buf = vec![0u8; (to.saturating_sub(from)) as usize];
    file.read_exact_at(&mut buf, from)
        .map_err(SweepError::io("read", path))?;
    Ok(buf)
}

/// Removes the temporary files a kill left in `dir`. Only under the lock: a live
/// writer's temporary file would go too.
pub(super) fn remove_leftovers(dir: &Path) {
    remove_leftovers_of(dir, "");
}

/// Removes the temporary files of [`write_atomic`] for `dir/name` (all of them when
/// `name` is empty) that a kill left in `dir`. Only under the lock.
pub(super) fn remove_leftovers_of(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = if name.is_empty() {
        TMP_PREFIX.to_string()
    } else {
        format!("{TMP_PREFIX}{name}.")
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            tracing::debug!("removing leftover `{}`", e.path().display());
            std::fs::remove_file(e.path()).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("execo-files-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&d).ok();
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary_file() {
        let d = scratch("atomic");
        let p = d.join("f.json");
        for durable in [true, false] {
            write_atomic(&p, b"old", durable).unwrap();
            write_atomic(&p, b"new", durable).unwrap();
            assert_eq!(std::fs::read(&p).unwrap(), b"new");
            assert_eq!(names(&d), ["f.json"]);
        }
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_failed_write_atomic_names_the_step_and_removes_its_temporary_file() {
        let d = scratch("atomic-fail");
        // A non-empty directory in the way: the rename fails.
        let p = d.join("f.json");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("x"), "").unwrap();
        let e = write_atomic(&p, b"new", true).unwrap_err();
        assert_eq!(e.action, "rename a temporary file to");
        assert_eq!(e.file, p);
        assert!(
            e.to_string().starts_with(&format!(
                "failed to rename a temporary file to `{}`: ",
                p.display()
            )),
            "{e}"
        );
        assert_eq!(names(&d), ["f.json"]);
        // A leftover of a killed writer goes at the next open.
        std::fs::write(d.join(".tmp.f.json.1.0"), "").unwrap();
        remove_leftovers_of(&d, "f.json");
        assert_eq!(names(&d), ["f.json"]);
        std::fs::remove_dir_all(&d).ok();
    }
}
