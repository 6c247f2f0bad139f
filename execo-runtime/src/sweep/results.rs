//! Results exports: `results.jsonl` (for programs) and `results.yaml` (for people), one
//! entry `{params, result}` per combination done with a result.
//!
//! They are copies: the done log is the source of truth. Entries are appended under the
//! sweeper's lock right after the done line, without fsync (a lost tail is rebuilt), and
//! each file is reconciled with the log when exports are set up or when an append finds
//! the file damaged: a cut last entry is dropped, missing ones appended, and a file with
//! duplicated entries, or entries that differ from the log's, rewritten. So every
//! combination done with a result appears exactly once in each, whenever the writers
//! were killed.
//!
//! The other way round is not a kill's doing: an entry whose combination has no line in
//! the log means the log was cut or emptied by hand (or restored from an older copy).
//! Rewriting the exports to match would delete done work, so before reconciling, such
//! entries go back into the log ([`Exports::unlogged`]), and an entry that cannot (it
//! does not read, or is not a combination of the sweep) stops the sweeper with an error
//! naming both files, before either is changed.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::SweepError;
use super::files;

/// One exported result: the combination and what its run returned.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ResultEntry<P, R> {
    /// The combination.
    pub params: P,
    /// Its result.
    pub result: R,
}

/// Reads back `results.jsonl` or `results.yaml` (`.yml`), by the file's extension. A
/// last JSON line without its newline (being written right now) is left out.
pub fn read_results<P: DeserializeOwned, R: DeserializeOwned>(
    path: impl AsRef<Path>,
) -> Result<Vec<ResultEntry<P, R>>, SweepError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(SweepError::io("read", path))?;
    let bad = |line: Option<usize>, cause: String| SweepError::Results {
        file: path.to_path_buf(),
        line,
        cause,
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("jsonl") => {
            let complete = text.rfind('\n').map_or("", |end| &text[..end]);
            let mut out = Vec::new();
            for (i, line) in complete.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                out.push(serde_json::from_str(line).map_err(|e| bad(Some(i + 1), e.to_string()))?);
            }
            Ok(out)
        }
        Some("yaml") | Some("yml") => {
            if text.trim().is_empty() {
                return Ok(Vec::new());
            }
            serde_norway::from_str(&text)
                .map_err(|e| bad(e.location().map(|l| l.line()), e.to_string()))
        }
        _ => Err(bad(
            None,
            "unknown extension: expected `.jsonl`, `.yaml` or `.yml`".to_string(),
        )),
    }
}

const JSONL: &str = "results.jsonl";
const YAML: &str = "results.yaml";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Jsonl,
    Yaml,
}

/// `Some(null)` for an explicit `"r": null` (a `()` result), `None` when absent.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct DoneFull {
    c: serde_json::Value,
    #[serde(default, deserialize_with = "present")]
    r: Option<serde_json::Value>,
}

/// Where results are exported (the files are opened for each write: another process
/// may have replaced them since).
pub(super) struct Exports {
    dir: PathBuf,
}

impl Exports {
    pub fn new(dir: &Path) -> Result<Exports, SweepError> {
        std::fs::create_dir_all(dir)
            .map_err(SweepError::io("create the results directory", dir))?;
        for name in [JSONL, YAML] {
            std::fs::remove_file(dir.join(format!("{}{name}", files::TMP_PREFIX))).ok();
        }
        Ok(Exports {
            dir: dir.to_path_buf(),
        })
    }

    fn entry(kind: Kind, key: &str, result: &str) -> Result<String, SweepError> {
        Ok(match kind {
            Kind::Jsonl => format!("{{\"params\":{key},\"result\":{result}}}\n"),
            Kind::Yaml => {
                let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s);
                let (params, result) = match (parse(key), parse(result)) {
                    (Ok(p), Ok(r)) => (p, r),
                    (Err(e), _) | (_, Err(e)) => {
                        return Err(SweepError::Combination {
                            dir: PathBuf::new(),
                            combination: key.to_string(),
                            cause: e.to_string(),
                        });
                    }
                };
                serde_norway::to_string(&[ResultEntry { params, result }]).map_err(|e| {
                    SweepError::Results {
                        file: PathBuf::from(YAML),
                        line: None,
                        cause: e.to_string(),
                    }
                })?
            }
        })
    }

    fn path(&self, kind: Kind) -> PathBuf {
        self.dir.join(match kind {
            Kind::Jsonl => JSONL,
            Kind::Yaml => YAML,
        })
    }

    /// Appends the entry of a combination just done; reconciles a file whose end is
    /// damaged instead.
    pub fn append(
        &mut self,
        key: &str,
        result: &str,
        done: &File,
        done_len: u64,
        done_path: &Path,
    ) -> Result<(), SweepError> {
        for kind in [Kind::Jsonl, Kind::Yaml] {
            let path = self.path(kind);
            let file = open_rw(&path)?;
            let len = file
                .metadata()
                .map_err(SweepError::io("stat", &path))?
                .len();
            let mut last = [b'\n'];
            if len > 0 {
                file.read_exact_at(&mut last, len - 1)
                    .map_err(SweepError::io("read", &path))?;
            }
            if last[0] != b'\n' {
                let log = files::read_from(done, done_path, 0, done_len)?;
                self.reconcile_one(kind, &expected(&log)?)?;
                continue;
            }
            let text = Self::entry(kind, key, result)?;
            files::append_at(&file, &path, len, text.as_bytes(), false)?;
        }
        Ok(())
    }

    /// The entries of the exports whose combination has no line in `done_log` (the bytes
    /// of `done.jsonl`, at `done_path`): each once, `results.jsonl`'s first, with the
    /// file it was found in, for the caller to append to the log. `in_sweep` tells
    /// whether a key is a combination of the sweep. A complete entry that does not read,
    /// or whose combination is neither in the log nor in the sweep, is an error naming
    /// the file, the line and the log. A last entry cut by a kill (no newline, does not
    /// read) is left for [`reconcile`](Self::reconcile) to cut.
    pub fn unlogged(
        &self,
        done_log: &[u8],
        done_path: &Path,
        in_sweep: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, String, PathBuf)>, SweepError> {
        let logged: HashSet<String> = done_log
            .split(|&b| b == b'\n')
            .filter_map(|l| serde_json::from_slice::<DoneFull>(l).ok())
            .map(|d| d.c.to_string())
            .collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for kind in [Kind::Jsonl, Kind::Yaml] {
            let path = self.path(kind);
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(SweepError::io("read", &path)(e)),
            };
            let unlogged = |line: usize, cause: String| SweepError::Unlogged {
                results: path.clone(),
                line,
                done: done_path.to_path_buf(),
                cause,
            };
            let text = match std::str::from_utf8(&bytes) {
                Ok(t) => t,
                Err(e) => {
                    let valid = &bytes[..e.valid_up_to()];
                    if memchr::memchr(b'\n', &bytes[e.valid_up_to()..]).is_some() {
                        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
                        return Err(unlogged(line, format!("the entry is not UTF-8 ({e})")));
                    }
                    // Only the cut last entry is bad: the complete ones are checked.
                    let end = memchr::memrchr(b'\n', valid).map_or(0, |n| n + 1);
                    std::str::from_utf8(&valid[..end]).unwrap_or_default()
                }
            };
            let chunks = split(kind, text);
            for (n, &(start, chunk)) in chunks.iter().enumerate() {
                if chunk.trim().is_empty() {
                    continue;
                }
                let line = text[..start].matches('\n').count() + 1;
                let cut = n + 1 == chunks.len() && !chunk.ends_with('\n');
                let entries = match parse_entries(kind, chunk) {
                    Ok(e) => e,
                    Err(_) if cut => continue,
                    Err(e) => return Err(unlogged(line, format!("the entry does not read ({e})"))),
                };
                for e in entries {
                    let key = e.params.to_string();
                    if logged.contains(&key) || seen.contains(&key) {
                        continue;
                    }
                    if !in_sweep(&key) {
                        return Err(unlogged(
                            line,
                            format!(
                                "its combination {key} is neither in the done log nor in the \
                                 sweep"
                            ),
                        ));
                    }
                    seen.insert(key.clone());
                    out.push((key, e.result.to_string(), path.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Makes both files hold exactly the entries of `done_log` (the bytes of
    /// `done.jsonl`).
    pub fn reconcile(&mut self, done_log: &[u8]) -> Result<(), SweepError> {
        let expected = expected(done_log)?;
        self.reconcile_one(Kind::Jsonl, &expected)?;
        self.reconcile_one(Kind::Yaml, &expected)
    }

    fn reconcile_one(
        &mut self,
        kind: Kind,
        expected: &[(String, String)],
    ) -> Result<(), SweepError> {
        let path = self.path(kind);
        let file = open_rw(&path)?;
        let len = file
            .metadata()
            .map_err(SweepError::io("stat", &path))?
            .len();
        let bytes = files::read_from(&file, &path, 0, len)?;
        let text = String::from_utf8_lossy(&bytes);
        let texts: Vec<String> = expected
            .iter()
            .map(|(k, r)| Self::entry(kind, k, r))
            .collect::<Result<_, _>>()?;
        let by_text: HashMap<&str, usize> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let chunks = split(kind, &text);
        let mut seen = vec![false; texts.len()];
        let mut cut = None;
        let mut rewrite = false;
        for (n, &(start, chunk)) in chunks.iter().enumerate() {
            match by_text.get(chunk) {
                Some(&i) if !seen[i] => seen[i] = true,
                _ if n + 1 == chunks.len() && !chunk.ends_with('\n') => cut = Some(start),
                _ => {
                    rewrite = true;
                    break;
                }
            }
        }
        if rewrite {
            tracing::info!(
                "`{}` has entries that are duplicated or not in the done log: rewriting it",
                path.display()
            );
            files::replace(&self.dir, file_name(kind), texts.concat().as_bytes(), false)?;
            return Ok(());
        }
        let mut end = len;
        if let Some(at) = cut {
            tracing::warn!(
                "`{}`: cutting a partial last entry (a writer was killed)",
                path.display()
            );
            file.set_len(at as u64)
                .map_err(SweepError::io("cut the partial last entry of", &path))?;
            end = at as u64;
        }
        let missing: String = texts
            .iter()
            .zip(&seen)
            .filter(|(_, s)| !**s)
            .map(|(t, _)| t.as_str())
            .collect();
        if !missing.is_empty() {
            files::append_at(&file, &path, end, missing.as_bytes(), false)?;
        }
        Ok(())
    }
}

fn file_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Jsonl => JSONL,
        Kind::Yaml => YAML,
    }
}

fn open_rw(path: &Path) -> Result<File, SweepError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(SweepError::io("open", path))
}

/// The (key, result) pairs of a done log, first occurrence of each key, those with a
/// result only, in log order.
fn expected(done_log: &[u8]) -> Result<Vec<(String, String)>, SweepError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in done_log.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The state has checked these lines already.
        let Ok(d) = serde_json::from_slice::<DoneFull>(line) else {
            continue;
        };
        let key = d.c.to_string();
        if seen.insert(key.clone())
            && let Some(r) = d.r
        {
            out.push((key, r.to_string()));
        }
    }
    Ok(out)
}

/// The entries of one chunk of an export file (see [`split`]): one JSON line, or one
/// YAML item (none for a chunk before the first item that holds only comments).
fn parse_entries(
    kind: Kind,
    chunk: &str,
) -> Result<Vec<ResultEntry<serde_json::Value, serde_json::Value>>, String> {
    match kind {
        Kind::Jsonl => serde_json::from_str(chunk)
            .map(|e| vec![e])
            .map_err(|e| e.to_string()),
        Kind::Yaml => serde_norway::from_str::<Option<Vec<_>>>(chunk)
            .map(Option::unwrap_or_default)
            .map_err(|e| e.to_string()),
    }
}

/// The entries of an export file with their byte offsets: lines for JSON Lines, `- `
/// items at column 0 for YAML (anything before the first is its own chunk).
fn split(kind: Kind, text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let new_entry = match kind {
            Kind::Jsonl => true,
            Kind::Yaml => line.starts_with('-'),
        };
        if new_entry && pos > start {
            out.push((start, &text[start..pos]));
            start = pos;
        }
        pos += line.len();
    }
    if pos > start {
        out.push((start, &text[start..pos]));
    }
    out
}
