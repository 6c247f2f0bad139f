//! The checkpoint's state machine, on canonical keys (the JSON text of a combination),
//! so that it works the same for the program's `T` and for the CLI, which never knows
//! `T`. Every method here runs under the directory lock, after [`State::refresh`].
//!
//! The in-memory picture is kept incrementally: `done.jsonl` is read from the last
//! offset, `inprogress.json` only when it changed, and todo is an ordered set of sweep
//! indices, so an operation costs a few system calls whatever the size of the sweep.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::SweepError;
use super::files::{self, DirLock, Owner};
use super::results::Exports;
use super::stats::{Status, SweepStats};

/// An in-progress item's holder and since when (unix seconds).
#[derive(Clone, Debug)]
pub(super) struct Holder {
    pub owner: Owner,
    pub since: u64,
}

/// One line of `done.jsonl`, as far as the state is concerned.
#[derive(Deserialize)]
struct DoneKey {
    c: serde_json::Value,
}

/// One entry of `inprogress.json`.
#[derive(Deserialize)]
pub(super) struct InProgressLine {
    pub c: serde_json::Value,
    pub owner: Owner,
    pub since: u64,
}

#[derive(Deserialize)]
pub(super) struct InProgressFile {
    pub items: Vec<InProgressLine>,
}

/// Canonical key of a combination: its compact JSON, maps sorted by key.
pub(super) fn key_of<T: serde::Serialize>(c: &T) -> Result<String, serde_json::Error> {
    Ok(serde_json::to_value(c)?.to_string())
}

/// The complete lines of `bytes` (read from `done.jsonl` starting at line `first_line`),
/// as keys; and the length of the complete part (a last line without `\n` is left).
pub(super) fn parse_done(
    bytes: &[u8],
    first_line: usize,
    path: &Path,
    mut each: impl FnMut(String),
) -> Result<(usize, usize), SweepError> {
    let mut pos = 0;
    let mut lines = 0;
    while let Some(nl) = memchr::memchr(b'\n', &bytes[pos..]) {
        let line = &bytes[pos..pos + nl];
        lines += 1;
        if !line.iter().all(u8::is_ascii_whitespace) {
            let parsed: DoneKey =
                serde_json::from_slice(line).map_err(|e| SweepError::Damaged {
                    file: path.to_path_buf(),
                    line: first_line + lines - 1,
                    cause: e.to_string(),
                })?;
            each(parsed.c.to_string());
        }
        pos += nl + 1;
    }
    Ok((pos, lines))
}

/// Parses `inprogress.json`: its entries by key, or why it is unreadable.
pub(super) fn parse_inprogress(bytes: &[u8]) -> Result<HashMap<String, Holder>, String> {
    if bytes.is_empty() {
        return Ok(HashMap::new());
    }
    // The first JSON value: an in-place rewrite with a shorter content, killed before
    // cutting the file, leaves the old content's tail after it.
    let f: InProgressFile = match serde_json::Deserializer::from_slice(bytes)
        .into_iter()
        .next()
    {
        Some(r) => r.map_err(|e| e.to_string())?,
        None => return Ok(HashMap::new()),
    };
    Ok(f.items
        .into_iter()
        .map(|l| {
            (
                l.c.to_string(),
                Holder {
                    owner: l.owner,
                    since: l.since,
                },
            )
        })
        .collect())
}

/// Reads and checks `format`.
pub(super) fn check_format(dir: &Path) -> Result<u32, SweepError> {
    let path = dir.join(files::FORMAT);
    let text = std::fs::read_to_string(&path).map_err(SweepError::io("read", &path))?;
    let first = text.lines().next().unwrap_or("").trim();
    if first == files::FORMAT_LINE {
        return Ok(files::FORMAT_VERSION);
    }
    Err(SweepError::Format {
        file: path,
        found: first.to_string(),
    })
}

/// A directory with files in it but no `format` is not ours. Run under the lock for a
/// definite answer (the files are created after `format`, under the lock); before it,
/// only to avoid creating a lock file in a foreign directory.
pub(super) fn check_foreign(dir: &Path) -> Result<(), SweepError> {
    let entries = std::fs::read_dir(dir).map_err(SweepError::io("list", dir))?;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        // Another process may be creating the directory right now: its lock file,
        // temporary `format` and `format` are not a reason to refuse.
        if name != files::LOCK && name != files::FORMAT && !name.starts_with(files::TMP_PREFIX) {
            return Err(SweepError::NotASweeper {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Reads `sweep.jsonl`: the keys, in order (missing file: empty sweep).
pub(super) fn read_sweep_file(dir: &Path) -> Result<Vec<(String, serde_json::Value)>, SweepError> {
    let path = dir.join(files::SWEEP);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SweepError::io("read", &path)(e)),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| SweepError::Damaged {
            file: path.clone(),
            line: i + 1,
            cause: e.to_string(),
        })?;
        out.push((v.to_string(), v));
    }
    Ok(out)
}

pub(super) struct State {
    pub dir: PathBuf,
    pub lock: Arc<DirLock>,
    done_file: File,
    pub done_path: PathBuf,
    /// Bytes of `done.jsonl` read (complete lines only) and how many lines.
    pub done_off: u64,
    done_lines: usize,
    /// Every key with a done line, in the sweep or not.
    done: HashSet<String>,
    /// The lock file's counter of `inprogress.json` writes when last read or written,
    /// and whether it was read at all.
    generation: u64,
    ip_read: bool,
    /// `inprogress.json`, opened when last read: valid while the counter has not moved
    /// (every writer bumps it, and only a writer can replace the file), and its length.
    ip_file: Option<File>,
    ip_len: usize,
    /// In-progress items of all holders, done ones excluded.
    pub inprog: HashMap<String, Holder>,
    /// Skipped by this instance (never persisted: retried by later runs).
    skipped: HashSet<String>,
    /// Taken by this instance and not given back.
    mine: HashSet<String>,
    pub owner: Owner,
    /// The sweep.
    pub keys: Vec<String>,
    index: HashMap<String, usize>,
    pub status: Vec<Status>,
    pub todo: BTreeSet<usize>,
    counts: [usize; 4],
    pub exports: Option<Exports>,
}

impl Drop for State {
    fn drop(&mut self) {
        self.owner.retire();
    }
}

impl State {
    /// Opens `dir`, under the lock (held by the caller's guard from `lock`): `create`
    /// makes the directory and its files if needed; otherwise it must be a sweeper
    /// directory already.
    pub fn open(dir: &Path, create: bool) -> Result<State, SweepError> {
        if create {
            std::fs::create_dir_all(dir)
                .map_err(SweepError::io("create the sweeper directory", dir))?;
        } else if !dir.join(files::FORMAT).exists() {
            if dir.is_dir() {
                check_foreign(dir)?;
            }
            return Err(SweepError::Missing {
                dir: dir.to_path_buf(),
            });
        }
        if !dir.join(files::FORMAT).exists() {
            check_foreign(dir)?;
        }
        let lock = Arc::new(DirLock::open(dir, true)?);
        let guard = lock.lock(true)?;
        if dir.join(files::FORMAT).exists() {
            check_format(dir)?;
        } else {
            check_foreign(dir)?;
            files::replace(
                dir,
                files::FORMAT,
                format!("{}\n", files::FORMAT_LINE).as_bytes(),
                true,
            )?;
        }
        files::remove_leftovers(dir);
        let done_path = dir.join(files::DONE);
        let existed = done_path.exists();
        let done_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&done_path)
            .map_err(SweepError::io("open", &done_path))?;
        if !existed {
            files::sync_dir(dir)?;
        }
        let mut st = State {
            dir: dir.to_path_buf(),
            lock: lock.clone(),
            done_file,
            done_path,
            done_off: 0,
            done_lines: 0,
            done: HashSet::new(),
            generation: 0,
            ip_read: false,
            ip_file: None,
            ip_len: 0,
            inprog: HashMap::new(),
            skipped: HashSet::new(),
            mine: HashSet::new(),
            owner: Owner::new_instance(),
            keys: Vec::new(),
            index: HashMap::new(),
            status: Vec::new(),
            todo: BTreeSet::new(),
            counts: [0; 4],
            exports: None,
        };
        st.refresh(true)?;
        drop(guard);
        Ok(st)
    }

    fn compute(&self, key: &str) -> Status {
        if self.done.contains(key) {
            Status::Done
        } else if self.inprog.contains_key(key) {
            Status::InProgress
        } else if self.skipped.contains(key) {
            Status::Skipped
        } else {
            Status::Todo
        }
    }

    /// Brings the sweep index of `key` (if in the sweep) up to date.
    fn restatus(&mut self, key: &str) {
        let Some(&i) = self.index.get(key) else {
            return;
        };
        let new = self.compute(key);
        let old = self.status[i];
        if new == old {
            return;
        }
        self.counts[old as usize] -= 1;
        self.counts[new as usize] += 1;
        self.status[i] = new;
        if old == Status::Todo {
            self.todo.remove(&i);
        }
        if new == Status::Todo {
            self.todo.insert(i);
        }
    }

    /// Replaces the sweep (keys deduplicated, first kept). Returns the kept indices
    /// of `keys`, for the caller's items.
    pub fn set_keys(&mut self, keys: Vec<String>) -> Vec<usize> {
        let mut kept = Vec::with_capacity(keys.len());
        self.index.clear();
        self.keys.clear();
        for (i, k) in keys.into_iter().enumerate() {
            if self.index.contains_key(&k) {
                continue;
            }
            self.index.insert(k.clone(), self.keys.len());
            self.keys.push(k);
            kept.push(i);
        }
        self.counts = [0; 4];
        self.todo.clear();
        self.status = Vec::with_capacity(self.keys.len());
        for i in 0..self.keys.len() {
            let s = self.compute(&self.keys[i]);
            self.counts[s as usize] += 1;
            if s == Status::Todo {
                self.todo.insert(i);
            }
            self.status.push(s);
        }
        kept
    }

    /// Saves the sweep in `sweep.jsonl` if it differs from what is there (durably: it is
    /// what `execo sweep status` counts from).
    pub fn save_sweep(&self) -> Result<(), SweepError> {
        let mut text = String::with_capacity(self.keys.iter().map(|k| k.len() + 1).sum());
        for k in &self.keys {
            text.push_str(k);
            text.push('\n');
        }
        let path = self.dir.join(files::SWEEP);
        if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            return Ok(());
        }
        files::replace(&self.dir, files::SWEEP, text.as_bytes(), true)?;
        Ok(())
    }

    pub fn stats(&self) -> SweepStats {
        SweepStats {
            total: self.keys.len(),
            todo: self.counts[Status::Todo as usize],
            in_progress: self.counts[Status::InProgress as usize],
            done: self.counts[Status::Done as usize],
            skipped: self.counts[Status::Skipped as usize],
        }
    }

    /// Reads what other processes changed. `repair`: cut a partial last line of
    /// `done.jsonl` (a writer killed mid-line: never acknowledged) and replace an
    /// unreadable `inprogress.json` by an empty one.
    pub fn refresh(&mut self, repair: bool) -> Result<(), SweepError> {
        let size = self
            .done_file
            .metadata()
            .map_err(SweepError::io("stat", &self.done_path))?
            .len();
        let shrank = size < self.done_off;
        if shrank {
            // Rewritten or cut by hand: start over.
            tracing::info!("`{}` shrank: reloading it", self.done_path.display());
            let old: Vec<String> = self.done.drain().collect();
            self.done_off = 0;
            self.done_lines = 0;
            for k in &old {
                self.restatus(k);
            }
        }
        if size > self.done_off {
            let bytes = files::read_from(&self.done_file, &self.done_path, self.done_off, size)?;
            let mut new = Vec::new();
            let (used, lines) = parse_done(&bytes, self.done_lines + 1, &self.done_path, |k| {
                new.push(k)
            })?;
            self.done_off += used as u64;
            self.done_lines += lines;
            for k in new {
                self.inprog.remove(&k);
                self.mine.remove(&k);
                self.done.insert(k.clone());
                self.restatus(&k);
            }
            if self.done_off < size && repair {
                tracing::warn!(
                    "`{}`: cutting a partial last line ({} bytes; a writer was killed \
                     mid-line, that combination was never reported done)",
                    self.done_path.display(),
                    size - self.done_off
                );
                self.done_file
                    .set_len(self.done_off)
                    .map_err(SweepError::io(
                        "cut the partial last line of",
                        &self.done_path,
                    ))?;
            }
        }
        if shrank && repair {
            // What the exports hold and the log lost is put back, not done again.
            self.recover_unlogged()?;
        }
        // Every writer of inprogress.json bumps the lock file's counter: one pread tells
        // whether to read it again (its inode, size and mtime could not: it is rewritten
        // in place, often with the same size within one mtime tick).
        let ip_path = self.dir.join(files::INPROGRESS);
        let generation = self.lock.generation();
        if generation != self.generation || !self.ip_read {
            self.generation = generation;
            self.ip_read = true;
            let bytes = self.read_inprogress(&ip_path, repair)?;
            let mut rewrite = false;
            let parsed = match parse_inprogress(&bytes) {
                Ok(p) => p,
                Err(cause) => {
                    tracing::warn!(
                        "`{}` is unreadable ({cause}): starting from no item in progress \
                         (they go back to todo; nothing done is lost)",
                        ip_path.display()
                    );
                    rewrite = repair;
                    HashMap::new()
                }
            };
            let mut old = std::mem::replace(&mut self.inprog, parsed);
            self.inprog.retain(|k, _| !self.done.contains(k));
            let owner = &self.owner;
            let inprog = &self.inprog;
            self.mine
                .retain(|k| inprog.get(k).is_some_and(|h| h.owner == *owner));
            let changed: Vec<String> = old
                .drain()
                .map(|(k, _)| k)
                .chain(self.inprog.keys().cloned())
                .collect();
            for k in changed {
                self.restatus(&k);
            }
            if rewrite {
                self.write_inprogress()?;
            }
        }
        Ok(())
    }

    /// Reads `inprogress.json` through a new descriptor, kept for the writes that follow
    /// (when `write`; a reader that may not write reads by path).
    fn read_inprogress(&mut self, path: &Path, write: bool) -> Result<Vec<u8>, SweepError> {
        use std::io::Read;
        self.ip_file = None;
        let f = OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .truncate(false)
            .open(path);
        let mut f = match f {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SweepError::io("open", path)(e)),
        };
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(SweepError::io("read", path))?;
        self.ip_len = bytes.len();
        if write {
            self.ip_file = Some(f);
        }
        Ok(bytes)
    }

    /// Rewrites `inprogress.json` with the current set (see
    /// [`Self::rewrite_inprogress`]: in place when it fits in a page, which a kill cannot
    /// tear). Not fsync'd, on purpose: after a machine crash every holder on it is dead
    /// anyway, and a lost or unreadable file only sends items back to todo, which is what
    /// their staleness would do.
    pub fn write_inprogress(&mut self) -> Result<(), SweepError> {
        let mut text = String::from("{\"items\":[\n");
        let mut first = true;
        for (k, h) in &self.inprog {
            if !first {
                text.push_str(",\n");
            }
            first = false;
            let owner = serde_json::to_string(&h.owner).unwrap_or_default();
            text.push_str(&format!(
                "{{\"c\":{k},\"owner\":{owner},\"since\":{}}}",
                h.since
            ));
        }
        text.push_str("\n]}\n");
        self.rewrite_inprogress(text.into_bytes())?;
        self.generation = self.generation.wrapping_add(1);
        self.lock.set_generation(self.generation)?;
        Ok(())
    }

    /// In place when the content fits in one page: a write of one page at offset 0 is
    /// never torn by a kill (the kernel checks for fatal signals between pages only), and
    /// costs a fraction of a rename. A shorter content is padded with spaces to the old
    /// length rather than cut (readers take the first JSON value). Replaced by rename
    /// otherwise.
    fn rewrite_inprogress(&mut self, mut bytes: Vec<u8>) -> Result<(), SweepError> {
        const PAGE: usize = 4096;
        let path = self.dir.join(files::INPROGRESS);
        if bytes.len() > PAGE {
            self.ip_file = None;
            self.ip_len = bytes.len();
            return files::replace(&self.dir, files::INPROGRESS, &bytes, false);
        }
        if self.ip_file.is_none() {
            self.read_inprogress(&path, true)?;
        }
        let Some(f) = &self.ip_file else {
            return Err(SweepError::io("open", &path)(
                std::io::ErrorKind::NotFound.into(),
            ));
        };
        let cut = self.ip_len > PAGE;
        if !cut && bytes.len() < self.ip_len {
            bytes.resize(self.ip_len, b' ');
        }
        use std::os::unix::fs::FileExt;
        f.write_all_at(&bytes, 0)
            .and_then(|()| {
                if cut {
                    f.set_len(bytes.len() as u64)
                } else {
                    Ok(())
                }
            })
            .map_err(SweepError::io("write", &path))?;
        self.ip_len = bytes.len();
        Ok(())
    }

    /// Marks sweep indices as in progress by this instance (saved).
    pub fn take(&mut self, idxs: &[usize]) -> Result<(), SweepError> {
        if idxs.is_empty() {
            return Ok(());
        }
        let since = files::now_unix();
        for &i in idxs {
            let k = self.keys[i].clone();
            self.skipped.remove(&k);
            self.inprog.insert(
                k.clone(),
                Holder {
                    owner: self.owner.clone(),
                    since,
                },
            );
            self.mine.insert(k.clone());
            self.restatus(&k);
        }
        self.write_inprogress()
    }

    /// Appends a done line (durably) unless `key` is already done. `result`: the
    /// result's JSON text. Returns whether a line was written.
    pub fn mark_done(&mut self, key: &str, result: Option<&str>) -> Result<bool, SweepError> {
        if self.done.contains(key) {
            tracing::warn!(
                "sweeper `{}`: {key} was already done (by another process?): not recorded again",
                self.dir.display()
            );
            return Ok(false);
        }
        let line = match result {
            Some(r) => format!("{{\"c\":{key},\"r\":{r}}}\n"),
            None => format!("{{\"c\":{key}}}\n"),
        };
        self.append_done(&line, [key])?;
        if let (Some(r), Some(ex)) = (result, self.exports.as_mut()) {
            ex.append(key, r, &self.done_file, self.done_off, &self.done_path)?;
        }
        Ok(true)
    }

    /// Puts back in the done log the results the exports (if any) hold and the log
    /// lacks (see [`Exports::unlogged`]), in one durable write, with a warning naming
    /// the files: they are done, and not run again, from now on. An entry that cannot go
    /// back is an error, and nothing is written.
    pub fn recover_unlogged(&mut self) -> Result<(), SweepError> {
        let Some(ex) = &self.exports else {
            return Ok(());
        };
        let log = self.done_bytes()?;
        let lost = ex.unlogged(&log, &self.done_path, |k| self.index.contains_key(k))?;
        if lost.is_empty() {
            return Ok(());
        }
        let mut from: Vec<String> = Vec::new();
        let mut text = String::new();
        for (k, r, file) in &lost {
            let file = format!("`{}`", file.display());
            if !from.contains(&file) {
                from.push(file);
            }
            text.push_str(&format!("{{\"c\":{k},\"r\":{r}}}\n"));
        }
        self.append_done(&text, lost.iter().map(|(k, _, _)| k.as_str()))?;
        tracing::warn!(
            "{} held {} result(s) that `{}` did not record (it was cut or emptied): put \
             them back in it; those combinations are done and do not run again",
            from.join(" and "),
            lost.len(),
            self.done_path.display()
        );
        Ok(())
    }

    /// Appends `text` (complete done lines, one per key of `keys`) durably, and marks
    /// the keys done.
    fn append_done<'k>(
        &mut self,
        text: &str,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Result<(), SweepError> {
        files::append_at(
            &self.done_file,
            &self.done_path,
            self.done_off,
            text.as_bytes(),
            true,
        )?;
        self.done_off += text.len() as u64;
        for key in keys {
            self.done_lines += 1;
            // inprogress.json is not rewritten: an entry whose combination is done is
            // void, and the next writer drops it. One file replacement fewer per
            // combination.
            self.inprog.remove(key);
            self.mine.remove(key);
            self.skipped.remove(key);
            self.done.insert(key.to_string());
            self.restatus(key);
        }
        Ok(())
    }

    /// Whether `key` is a combination of the sweep.
    pub fn in_sweep(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Takes `keys` out of in-progress (whoever holds them): to skipped or back to
    /// todo. Saves if anything changed; returns how many were in progress.
    pub fn release(&mut self, keys: &[String], skip: bool) -> Result<usize, SweepError> {
        let mut n = 0;
        for k in keys {
            if self.inprog.remove(k).is_some() {
                n += 1;
            }
            self.mine.remove(k);
            if skip {
                self.skipped.insert(k.clone());
            } else {
                self.skipped.remove(k);
            }
            self.restatus(k);
        }
        if n > 0 {
            self.write_inprogress()?;
        }
        Ok(n)
    }

    /// Every item this instance holds back to todo.
    pub fn release_mine(&mut self) -> Result<usize, SweepError> {
        let mine: Vec<String> = self.mine.iter().cloned().collect();
        self.release(&mine, false)
    }

    /// Forgets the skips; with `all`, every in-progress item too.
    pub fn reset(&mut self, all: bool) -> Result<usize, SweepError> {
        let skipped: Vec<String> = self.skipped.drain().collect();
        for k in &skipped {
            self.restatus(k);
        }
        if all {
            let keys: Vec<String> = self.inprog.keys().cloned().collect();
            self.release(&keys, false)
        } else {
            Ok(0)
        }
    }

    /// In-progress items whose holder is gone (this host, dead process, reused pid,
    /// dropped sweeper of this process) back to todo. Returns how many.
    pub fn drop_stale(&mut self) -> Result<usize, SweepError> {
        let mut verdict: HashMap<(u32, u64, u64), bool> = HashMap::new();
        let stale: Vec<String> = self
            .inprog
            .iter()
            .filter(|(_, h)| {
                let o = &h.owner;
                *verdict
                    .entry((o.pid, o.start, o.inst))
                    .or_insert_with(|| o.is_stale())
            })
            .map(|(k, _)| k.clone())
            .collect();
        if !stale.is_empty() {
            tracing::warn!(
                "sweeper `{}`: {} in-progress combination(s) of processes that are gone \
                 back to todo",
                self.dir.display(),
                stale.len()
            );
        }
        self.release(&stale, false)
    }

    /// The complete content of `done.jsonl` read so far.
    pub fn done_bytes(&self) -> Result<Vec<u8>, SweepError> {
        files::read_from(&self.done_file, &self.done_path, 0, self.done_off)
    }
}
