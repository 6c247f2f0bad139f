//! [`ParamSweeper`]: execo's checkpointed work list, typed.

use std::fmt::Debug;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SweepError;
use super::files::lock_ignoring_poison;
use super::results::Exports;
use super::state::{State, key_of};
use super::stats::{ParamStats, Status, SweepStats};
use super::status::{self, InProgressEntry};

/// Hands out the combinations of a sweep, to threads, processes and hosts sharing one
/// directory, and remembers durably which are done: execo's `ParamSweeper`.
///
/// A combination is *todo*, *in progress* (handed out, by this or another process),
/// *done* (on disk before [`done`](Self::done) returns) or *skipped* (by this instance,
/// in this run: as in execo a skip is not saved, later runs retry it, and other
/// processes sharing the directory may take it at once).
///
/// `ParamSweeper` is `Send + Sync`: share it with `&` or `Arc`. Every operation takes
/// an in-process mutex, then the directory's lock (see the [module docs](super)); the
/// getters ([`stats`](Self::stats), [`todo`](Self::todo), ...) only read what the last
/// operation saw (call [`update`](Self::update) to see the others' work).
///
/// # Caveats
///
/// - In-progress items of a process that died on *this* host go back to todo by
///   themselves (at open, [`update`](Self::update), and when todo runs out). Those of
///   another host are never judged: `execo sweep reset DIR --in-progress`, or
///   [`reset(true)`](Self::reset), frees them once that host is known to be down.
/// - Dropping a sweeper does not give its in-progress items back (call
///   [`cancel_mine`](Self::cancel_mine) first), but they are stale from then on: the next
///   open or update in this process puts them back to todo.
/// - Hosts are told apart by their host name: containers sharing one directory must have
///   different host names.
/// - [`get_next_with`](Self::get_next_with)'s `pick` must not call the sweeper (its
///   mutex is held).
pub struct ParamSweeper<T> {
    dir: PathBuf,
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    st: State,
    items: Vec<T>,
}

impl<T> Inner<T> {
    fn idx_items(&self, want: Status) -> Vec<T>
    where
        T: Clone,
    {
        self.st
            .status
            .iter()
            .zip(&self.items)
            .filter(|(s, _)| **s == want)
            .map(|(_, c)| c.clone())
            .collect()
    }
}

/// What a sweep can be made of: a combination that is data (serde), identified by its
/// value (`Hash + Eq`), and shared across threads. Implemented for every such type.
pub trait SweepItem:
    Serialize + DeserializeOwned + Hash + Eq + Clone + Debug + Send + Sync + 'static
{
}

impl<T> SweepItem for T where
    T: Serialize + DeserializeOwned + Hash + Eq + Clone + Debug + Send + Sync + 'static
{
}

impl<T: SweepItem> ParamSweeper<T> {
    /// Opens the sweeper in `dir` (created if needed) over `sweep` (duplicates dropped,
    /// first kept): restores what is done, saves the sweep in `sweep.jsonl`, puts the
    /// items of dead processes of this host back to todo, cuts a partial last line and
    /// repairs an unreadable `inprogress.json` (with a warning each).
    pub fn open(dir: impl AsRef<Path>, sweep: Vec<T>) -> Result<Self, SweepError> {
        let dir = dir.as_ref().to_path_buf();
        let keys = keys(&dir, &sweep)?;
        let mut st = State::open(&dir, true)?;
        let lock = st.lock.clone();
        let guard = lock.lock(true)?;
        st.refresh(true)?;
        let kept = st.set_keys(keys);
        st.save_sweep()?;
        st.drop_stale()?;
        drop(guard);
        let items = if kept.len() == sweep.len() {
            sweep
        } else {
            kept.into_iter().map(|i| sweep[i].clone()).collect()
        };
        Ok(ParamSweeper {
            dir,
            inner: Mutex::new(Inner { st, items }),
        })
    }

    /// The sweeper's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Also exports results (those given to [`done_with`](Self::done_with)) to
    /// `dir/results.yaml` and `dir/results.jsonl`, and makes both hold exactly the done
    /// log's results now (see [`read_results`](super::read_results)).
    ///
    /// Results never go: an exported result whose combination the done log lacks (the
    /// log was cut or emptied) is put back in the log, with a warning, so it counts as
    /// done; one that cannot be (it does not read, or is not a combination of the
    /// sweep) is a [`SweepError::Unlogged`], and neither file is changed.
    pub fn results_to(self, dir: impl AsRef<Path>) -> Result<Self, SweepError> {
        let exports = Exports::new(dir.as_ref())?;
        self.op(|inner| {
            inner.st.exports = Some(exports);
            inner.st.recover_unlogged()?;
            let log = inner.st.done_bytes()?;
            match inner.st.exports.as_mut() {
                Some(ex) => ex.reconcile(&log),
                None => Ok(()),
            }
        })?;
        Ok(self)
    }

    /// Runs `f` under the mutex and the directory lock, after reading the others' changes.
    fn op<R>(
        &self,
        f: impl FnOnce(&mut Inner<T>) -> Result<R, SweepError>,
    ) -> Result<R, SweepError> {
        let mut inner = lock_ignoring_poison(&self.inner);
        let lock = inner.st.lock.clone();
        let _guard = lock.lock(true)?;
        inner.st.refresh(true)?;
        f(&mut inner)
    }

    fn key(&self, c: &T) -> Result<String, SweepError> {
        key_of(c).map_err(|e| SweepError::Combination {
            dir: self.dir.clone(),
            combination: format!("{c:?}"),
            cause: e.to_string(),
        })
    }

    /// The first todo combination (in sweep order), now in progress; `None` when nothing
    /// is todo.
    pub fn get_next(&self) -> Result<Option<T>, SweepError> {
        self.op(|inner| {
            if inner.st.todo.is_empty() {
                // The last chance for an item of a dead process to be done in this run.
                inner.st.drop_stale()?;
            }
            let Some(&i) = inner.st.todo.first() else {
                return Ok(None);
            };
            inner.st.take(&[i])?;
            Ok(Some(inner.items[i].clone()))
        })
    }

    /// Like [`get_next`](Self::get_next), choosing with `pick`: given the todo
    /// combinations in sweep order, it returns the index of the one to take, or `None`
    /// to take nothing (execo's `filtr`).
    pub fn get_next_with<F: FnOnce(&[&T]) -> Option<usize>>(
        &self,
        pick: F,
    ) -> Result<Option<T>, SweepError> {
        self.op(|inner| {
            if inner.st.todo.is_empty() {
                // The last chance for an item of a dead process to be done in this run.
                inner.st.drop_stale()?;
            }
            let idx: Vec<usize> = inner.st.todo.iter().copied().collect();
            let todo: Vec<&T> = idx.iter().map(|&i| &inner.items[i]).collect();
            let Some(p) = pick(&todo) else {
                return Ok(None);
            };
            let Some(&i) = idx.get(p) else {
                return Err(SweepError::Pick {
                    dir: self.dir.clone(),
                    index: p,
                    len: idx.len(),
                });
            };
            inner.st.take(&[i])?;
            Ok(Some(inner.items[i].clone()))
        })
    }

    /// Up to `n` todo combinations at once (in sweep order), now in progress.
    pub fn get_next_batch(&self, n: usize) -> Result<Vec<T>, SweepError> {
        self.op(|inner| {
            if inner.st.todo.len() < n {
                inner.st.drop_stale()?;
            }
            let idx: Vec<usize> = inner.st.todo.iter().take(n).copied().collect();
            inner.st.take(&idx)?;
            Ok(idx.iter().map(|&i| inner.items[i].clone()).collect())
        })
    }

    /// `c` is done: on disk (fdatasync'd) when this returns. Done twice (another process
    /// after a reset) is recorded once.
    pub fn done(&self, c: &T) -> Result<(), SweepError> {
        let key = self.key(c)?;
        self.op(|inner| inner.st.mark_done(&key, None).map(drop))
    }

    /// `c` is done with `result`, in one durable line of the done log (never one
    /// without the other), then in the results exports if any.
    pub fn done_with<R: Serialize>(&self, c: &T, result: &R) -> Result<(), SweepError> {
        let key = self.key(c)?;
        let r = serde_json::to_value(result)
            .map_err(|e| SweepError::Combination {
                dir: self.dir.clone(),
                combination: format!("{c:?}"),
                cause: format!("its result has no JSON form: {e}"),
            })?
            .to_string();
        self.op(|inner| inner.st.mark_done(&key, Some(&r)).map(drop))
    }

    /// `c` failed: skipped for the rest of this run by this instance (execo: not saved,
    /// so later runs retry it). It leaves in-progress.
    pub fn skip(&self, c: &T) -> Result<(), SweepError> {
        let key = self.key(c)?;
        self.op(|inner| inner.st.release(&[key], true).map(drop))
    }

    /// `c` goes back to todo (from in progress or skipped).
    pub fn cancel(&self, c: &T) -> Result<(), SweepError> {
        let key = self.key(c)?;
        self.op(|inner| inner.st.release(&[key], false).map(drop))
    }

    /// Every combination this instance holds goes back to todo; returns how many. Safe
    /// to call from another thread (a signal's) while one is inside an operation: it
    /// waits for it.
    pub fn cancel_mine(&self) -> Result<usize, SweepError> {
        self.op(|inner| inner.st.release_mine())
    }

    /// Forgets the skips (they are todo again); with `in_progress`, puts every
    /// in-progress combination back to todo too, whoever holds it (make sure no other
    /// process works on this sweep). Done stays done.
    pub fn reset(&self, in_progress: bool) -> Result<(), SweepError> {
        self.op(|inner| inner.st.reset(in_progress).map(drop))
    }

    /// Reads what other processes did, and puts the items of dead processes of this host
    /// back to todo.
    pub fn update(&self) -> Result<(), SweepError> {
        self.op(|inner| inner.st.drop_stale().map(drop))
    }

    /// Replaces the sweep (it may change between runs): done combinations stay on disk
    /// and count again if they come back; those outside the new sweep are not counted.
    pub fn set_sweep(&self, sweep: Vec<T>) -> Result<(), SweepError> {
        let keys = keys(&self.dir, &sweep)?;
        self.op(|inner| {
            let kept = inner.st.set_keys(keys);
            inner.items = if kept.len() == sweep.len() {
                sweep
            } else {
                kept.into_iter().map(|i| sweep[i].clone()).collect()
            };
            inner.st.save_sweep()
        })
    }

    /// The counts, as of the last operation.
    pub fn stats(&self) -> SweepStats {
        lock_ignoring_poison(&self.inner).st.stats()
    }

    /// Per parameter (top-level field of `T`'s JSON object) and level, the counts
    /// (execo's `sweep_stats`), as of the last operation.
    pub fn param_stats(&self) -> ParamStats {
        let inner = lock_ignoring_poison(&self.inner);
        let values: Vec<serde_json::Value> = inner
            .items
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or_default())
            .collect();
        ParamStats::build(values.iter().zip(inner.st.status.iter().copied()))
    }

    /// The todo combinations, in sweep order.
    pub fn todo(&self) -> Vec<T> {
        let inner = lock_ignoring_poison(&self.inner);
        inner
            .st
            .todo
            .iter()
            .map(|&i| inner.items[i].clone())
            .collect()
    }

    /// The combinations in progress (in any process), in sweep order.
    pub fn in_progress(&self) -> Vec<T> {
        lock_ignoring_poison(&self.inner).idx_items(Status::InProgress)
    }

    /// The combinations of the sweep that other processes (or other sweepers of this
    /// process) hold, with their holders, oldest first, as of the last operation: when
    /// nothing is todo, what this instance leaves to them.
    pub fn in_progress_elsewhere(&self) -> Vec<InProgressEntry> {
        let inner = lock_ignoring_poison(&self.inner);
        let st = &inner.st;
        status::entries(
            st.inprog
                .iter()
                .filter(|(k, h)| h.owner != st.owner && st.in_sweep(k)),
        )
    }

    /// The done combinations of the current sweep, in sweep order.
    pub fn done_items(&self) -> Vec<T> {
        lock_ignoring_poison(&self.inner).idx_items(Status::Done)
    }

    /// The combinations this instance skipped, in sweep order.
    pub fn skipped(&self) -> Vec<T> {
        lock_ignoring_poison(&self.inner).idx_items(Status::Skipped)
    }

    /// Whether every combination of the sweep is done. Skipped ones are not done (they
    /// are retried by the next run): a run whose `get_next` returns `None` after
    /// failures is not finished.
    pub fn is_finished(&self) -> bool {
        let s = self.stats();
        s.done == s.total
    }
}

impl<T> std::fmt::Display for ParamSweeper<T> {
    /// execo's `__str__`: `<dir> <6 total, 2 done, 0 skipped, 1 in progress, 3 remaining>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stats = lock_ignoring_poison(&self.inner).st.stats();
        write!(f, "{} <{stats}>", self.dir.display())
    }
}

impl<T> Debug for ParamSweeper<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParamSweeper({self})")
    }
}

fn keys<T: Serialize + Debug>(dir: &Path, sweep: &[T]) -> Result<Vec<String>, SweepError> {
    sweep
        .iter()
        .map(|c| {
            key_of(c).map_err(|e| SweepError::Combination {
                dir: dir.to_path_buf(),
                combination: format!("{c:?}"),
                cause: e.to_string(),
            })
        })
        .collect()
}
