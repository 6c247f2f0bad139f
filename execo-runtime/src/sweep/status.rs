//! A sweeper directory seen without the program that wrote it: `execo sweep status DIR`
//! and `execo sweep reset DIR [--in-progress]`. Possible because the directory holds the
//! whole sweep (`sweep.jsonl`), not only what is done.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::SweepError;
use super::files::{self, DirLock};
use super::state::{self, State};
use super::stats::{ParamStats, Status, SweepStats};

/// A combination in progress and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InProgressEntry {
    /// The combination, as JSON.
    pub comb: serde_json::Value,
    /// The holder's host name.
    pub host: String,
    /// The holder's pid.
    pub pid: u32,
    /// Since when (unix seconds).
    pub since: u64,
    /// Whether the holder is certainly gone (on this host, its process dead): the next
    /// open, update or `execo sweep reset` puts it back to todo.
    pub stale: bool,
}

/// The state of a sweeper directory, read under a shared lock, without changing it.
#[derive(Clone, Debug, Serialize)]
pub struct SweepStatus {
    /// The directory.
    pub dir: PathBuf,
    /// Counts over the saved sweep (`skipped` is always 0: skips are not saved).
    pub stats: SweepStats,
    /// Per parameter and level.
    pub params: ParamStats,
    /// What is in progress, and where.
    pub in_progress: Vec<InProgressEntry>,
    /// The directory's format version.
    pub format_version: u32,
}

impl SweepStatus {
    /// Reads the sweeper directory `dir`.
    pub fn read(dir: impl AsRef<Path>) -> Result<Self, SweepError> {
        let dir = dir.as_ref();
        if !dir.join(files::FORMAT).exists() {
            if dir.is_dir() {
                state::check_foreign(dir)?;
            }
            return Err(SweepError::Missing {
                dir: dir.to_path_buf(),
            });
        }
        let format_version = state::check_format(dir)?;
        // Shared lock when we can (a read-only directory has no lock for us to take:
        // then read as is; every file is replaced atomically or appended anyway).
        let lock = DirLock::open(dir, false).ok();
        let _guard = match &lock {
            Some(l) => Some(l.lock(false)?),
            None => None,
        };
        let sweep = state::read_sweep_file(dir)?;
        let done_path = dir.join(files::DONE);
        let mut done = HashSet::new();
        match std::fs::read(&done_path) {
            Ok(bytes) => {
                state::parse_done(&bytes, 1, &done_path, |k| {
                    done.insert(k);
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SweepError::io("read", &done_path)(e)),
        }
        let ip_path = dir.join(files::INPROGRESS);
        let inprog = match std::fs::read(&ip_path) {
            Ok(bytes) => state::parse_inprogress(&bytes).unwrap_or_else(|cause| {
                tracing::warn!(
                    "`{}` is unreadable ({cause}): shown as nothing in progress",
                    ip_path.display()
                );
                Default::default()
            }),
            Err(_) => Default::default(),
        };
        let status: Vec<Status> = sweep
            .iter()
            .map(|(k, _)| {
                if done.contains(k) {
                    Status::Done
                } else if inprog.contains_key(k) {
                    Status::InProgress
                } else {
                    Status::Todo
                }
            })
            .collect();
        let mut stats = SweepStats {
            total: sweep.len(),
            ..SweepStats::default()
        };
        for s in &status {
            match s {
                Status::Done => stats.done += 1,
                Status::InProgress => stats.in_progress += 1,
                _ => stats.todo += 1,
            }
        }
        let params = ParamStats::build(sweep.iter().map(|(_, v)| v).zip(status.iter().copied()));
        let in_progress = entries(inprog.iter().filter(|(k, _)| !done.contains(*k)));
        Ok(SweepStatus {
            dir: dir.to_path_buf(),
            stats,
            params,
            in_progress,
            format_version,
        })
    }
}

/// The entries of in-progress items (key, holder), oldest first.
pub(super) fn entries<'a>(
    items: impl Iterator<Item = (&'a String, &'a state::Holder)>,
) -> Vec<InProgressEntry> {
    let mut out: Vec<InProgressEntry> = items
        .map(|(k, h)| InProgressEntry {
            comb: serde_json::from_str(k).unwrap_or_default(),
            stale: h.owner.is_stale(),
            host: h.owner.host.clone(),
            pid: h.owner.pid,
            since: h.since,
        })
        .collect();
    out.sort_by(|a, b| (a.since, &a.host, a.pid).cmp(&(b.since, &b.host, b.pid)));
    out
}

impl fmt::Display for SweepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sweeper {} (format {})",
            self.dir.display(),
            self.format_version
        )?;
        writeln!(f, "{}", self.stats)?;
        if !self.in_progress.is_empty() {
            writeln!(f, "in progress:")?;
            let now = files::now_unix();
            for e in &self.in_progress {
                writeln!(
                    f,
                    "  {}  on {} pid {}, for {} s{}",
                    e.comb,
                    e.host,
                    e.pid,
                    now.saturating_sub(e.since),
                    if e.stale {
                        " (process gone: `execo sweep reset` puts it back)"
                    } else {
                        ""
                    }
                )?;
            }
        }
        if !self.params.params.is_empty() {
            write!(f, "{}", self.params)?;
        }
        Ok(())
    }
}

/// Puts in-progress combinations of `dir` back to todo: those whose process is gone
/// (this host), or with `in_progress` all of them (make sure nothing runs on this
/// sweep). Returns how many. Done stays done.
pub fn reset_dir(dir: impl AsRef<Path>, in_progress: bool) -> Result<usize, SweepError> {
    let dir = dir.as_ref();
    let mut st = State::open(dir, false)?;
    let lock = st.lock.clone();
    let _guard = lock.lock(true)?;
    st.refresh(true)?;
    let keys: Vec<String> = state::read_sweep_file(dir)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    st.set_keys(keys);
    let stale = st.drop_stale()?;
    let rest = st.reset(in_progress)?;
    Ok(stale + rest)
}
