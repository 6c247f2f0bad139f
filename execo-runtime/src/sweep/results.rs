//! Results exports: `results.jsonl` (for programs) and `results.yaml` (for people), one
//! entry `{params, result}` per combination done with a result.
//!
//! They are copies: the done log is the source of truth. Entries are appended under the
//! sweeper's lock right after the done line, without fsync (a lost tail is rebuilt), and
//! each file is reconciled with the log when exports are set up or when an append finds
//! the file damaged: a cut last entry is dropped, missing ones appended, and a file with
//! duplicated or unknown entries rewritten. So every combination done with a result
//! appears exactly once in each, whenever the writers were killed.

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
