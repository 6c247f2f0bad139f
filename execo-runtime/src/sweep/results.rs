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

/// Reads back `results.jsonl` or `results.yaml` (`.yml`), by the file's extension, with
/// the rules of every reader of results files (`execo plot` too): a last entry without
/// its newline that does not read (cut by a kill, or being written) is left out with a
/// warning; any other entry that does not read is a [`SweepError::Results`] naming the
/// file and its line.
pub fn read_results<P: DeserializeOwned, R: DeserializeOwned>(
    path: impl AsRef<Path>,
) -> Result<Vec<ResultEntry<P, R>>, SweepError> {
    Ok(read_entries(path.as_ref())?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// How a results file is written, told by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `.jsonl`: one entry per line.
    JsonLines,
    /// `.yaml` or `.yml`: a sequence of entries.
    Yaml,
}

impl Syntax {
    /// The extensions [`Syntax::of`] knows, for messages.
    pub(crate) const EXTENSIONS: &'static str = "`.jsonl`, `.yaml` or `.yml`";

    /// The syntax of `path` by its extension; `None` for any other.
    pub(crate) fn of(path: &Path) -> Option<Syntax> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => Some(Syntax::JsonLines),
            Some("yaml" | "yml") => Some(Syntax::Yaml),
            _ => None,
        }
    }
}

/// The entries of a results file, each with the line it starts on when known: the one
/// reader of results files, behind [`read_results`] and `execo plot` (which reads them
/// as untyped JSON values).
///
/// JSON Lines: an entry per line, blank lines skipped. YAML: a sequence of entries, each
/// located by its `- ` at column 0 when every entry starts so. A last entry without its
/// newline that does not read was cut by a kill (or is being written right now): it is
/// left out with a warning naming the file and the line. Any other entry that does not
/// read (bad JSON, bad YAML, not UTF-8, not a `T`) is an error naming the file and,
/// when known, the line.
pub(crate) fn read_entries<T: DeserializeOwned>(
    path: &Path,
) -> Result<Vec<(Option<usize>, T)>, SweepError> {
    let bad = |line: Option<usize>, cause: String| SweepError::Results {
        file: path.to_path_buf(),
        line,
        cause,
    };
    let Some(syntax) = Syntax::of(path) else {
        return Err(bad(
            None,
            format!("unknown extension: expected {}", Syntax::EXTENSIONS),
        ));
    };
    let bytes = std::fs::read(path).map_err(SweepError::io("read", path))?;
    let cut = |line: usize, cause: &str| {
        tracing::warn!(
            "`{}` line {line}: leaving out a last entry without its newline that does not \
             read ({cause}): a writer was killed, or is writing it now",
            path.display()
        );
    };
    let terminated = bytes.is_empty() || bytes.ends_with(b"\n");
    match syntax {
        Syntax::JsonLines => {
            let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            let last = lines.len() - 1;
            let mut out = Vec::new();
            for (i, line) in lines.into_iter().enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let parsed = std::str::from_utf8(line)
                    .map_err(|e| format!("not UTF-8 ({e})"))
                    .and_then(|l| serde_json::from_str::<T>(l).map_err(|e| e.to_string()));
                match parsed {
                    Ok(v) => out.push((Some(i + 1), v)),
                    // A line that is JSON but not a `T` is not cut: it is wrong.
                    Err(cause)
                        if i == last
                            && !terminated
                            && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() =>
                    {
                        cut(i + 1, &cause)
                    }
                    Err(cause) => return Err(bad(Some(i + 1), cause)),
                }
            }
            Ok(out)
        }
        Syntax::Yaml => match yaml_entries(&bytes) {
            Ok(v) => Ok(v),
            Err((line, cause)) => {
                // Without its newline, the last entry may be cut: the others must read.
                let start = entry_starts(&bytes).last().map(|&(_, at)| at);
                if let (false, Some(start)) = (terminated, start)
                    && let Ok(v) = yaml_entries(&bytes[..start])
                {
                    let at = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
                    cut(at, &cause);
                    return Ok(v);
                }
                Err(bad(line, cause))
            }
        },
    }
}

/// The lines (from 1) and byte offsets where YAML entries start: `- ` at column 0, as
/// serde_norway writes block sequences.
fn entry_starts(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let line_end = line.strip_suffix(b"\n").unwrap_or(line);
        if line.starts_with(b"- ") || line_end == b"-" {
            out.push((i + 1, at));
        }
        at += line.len();
    }
    out
}

/// Where a document does not read (its line, when known) and why.
type Damage = (Option<usize>, String);

/// The entries of a YAML results document, located by [`entry_starts`] when there are
/// as many starts as entries; on error, the line (when known) and the cause.
fn yaml_entries<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<(Option<usize>, T)>, Damage> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        (Some(line), format!("not UTF-8 ({e})"))
    })?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<T> = match serde_norway::from_str::<Option<Vec<T>>>(text) {
        Ok(items) => items.unwrap_or_default(),
        Err(e) => {
            let not_a_sequence = matches!(
                serde_norway::from_str::<serde_norway::Value>(text),
                Ok(v) if !v.is_sequence() && !v.is_null()
            );
            if not_a_sequence {
                return Err((
                    None,
                    "expected a sequence of `- params: ...` entries".into(),
                ));
            }
            return Err((e.location().map(|l| l.line()), e.to_string()));
        }
    };
    let starts = entry_starts(bytes);
    let known = starts.len() == items.len();
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| (known.then(|| starts[i].0), v))
        .collect())
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
    /// `done.jsonl`). Also removes the temporary files a killed writer left (this runs under the
    /// sweeper's lock, so no live writer has one).
    pub fn reconcile(&mut self, done_log: &[u8]) -> Result<(), SweepError> {
        for name in [JSONL, YAML] {
            files::remove_leftovers_of(&self.dir, name);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    type Entry = ResultEntry<serde_json::Value, serde_json::Value>;

    /// A scratch directory of this test, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let d =
                std::env::temp_dir().join(format!("execo-results-{name}-{}", std::process::id()));
            std::fs::remove_dir_all(&d).ok();
            std::fs::create_dir_all(&d).unwrap();
            Scratch(d)
        }

        fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let p = self.0.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    fn lines(entries: &[(Option<usize>, Entry)]) -> Vec<Option<usize>> {
        entries.iter().map(|(l, _)| *l).collect()
    }

    #[test]
    fn a_cut_last_json_line_is_left_out_even_inside_a_character() {
        let d = Scratch::new("cut-jsonl");
        let mut bytes =
            b"{\"params\":{\"n\":1},\"result\":1}\n\n{\"params\":{\"n\":2},\"result\":2}\n"
                .to_vec();
        // Killed in the middle of `é` (0xc3 0xa9): the tail is not even UTF-8.
        bytes.extend_from_slice(b"{\"params\":{\"n\":3},\"result\":\"caf\xc3");
        let p = d.file("results.jsonl", &bytes);
        let got: Vec<(Option<usize>, Entry)> = read_entries(&p).unwrap();
        assert_eq!(lines(&got), [Some(1), Some(3)]);
        assert_eq!(got[1].1.result, 2);
    }

    #[test]
    fn a_complete_last_json_line_without_newline_is_read() {
        let d = Scratch::new("no-newline");
        let p = d.file(
            "results.jsonl",
            b"{\"params\":{\"n\":1},\"result\":1}\n{\"params\":{\"n\":2},\"result\":2}",
        );
        let got: Vec<Entry> = read_results(&p).unwrap();
        assert_eq!(got.len(), 2);
        // JSON that is not an entry is wrong, not cut, even last and unterminated.
        let p = d.file(
            "results.jsonl",
            b"{\"params\":{\"n\":1},\"result\":1}\n\"an entry\"",
        );
        match read_results::<serde_json::Value, serde_json::Value>(&p) {
            Err(SweepError::Results { line: Some(2), .. }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_damaged_middle_line_is_an_error_naming_file_and_line() {
        let d = Scratch::new("damaged");
        let p = d.file(
            "results.jsonl",
            b"{\"params\":{\"n\":1},\"result\":1}\n{\"params\":\n{\"params\":{\"n\":2},\"result\":2}\n",
        );
        let e = read_results::<serde_json::Value, serde_json::Value>(&p).unwrap_err();
        assert!(
            matches!(e, SweepError::Results { line: Some(2), .. }),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("results file `{}` line 2: ", p.display())),
            "{e}"
        );
        // Not UTF-8 in a complete line is damage too.
        let p = d.file(
            "results.jsonl",
            b"{\"params\":{\"n\":1},\"result\":\"\xff\"}\n{\"params\":{\"n\":2},\"result\":2}\n",
        );
        match read_results::<serde_json::Value, serde_json::Value>(&p) {
            Err(SweepError::Results {
                line: Some(1),
                cause,
                ..
            }) => {
                assert!(cause.starts_with("not UTF-8"), "{cause}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn yaml_entries_are_located_and_a_cut_last_one_left_out() {
        let d = Scratch::new("yaml");
        let whole = "- params:\n    n: 1\n  result: 1\n- params:\n    n: 2\n  result: 2\n";
        let p = d.file("results.yaml", whole.as_bytes());
        let got: Vec<(Option<usize>, Entry)> = read_entries(&p).unwrap();
        assert_eq!(lines(&got), [Some(1), Some(4)]);
        // Killed while writing a third entry.
        let p = d.file(
            "results.yml",
            format!("{whole}- params:\n    n: [3").as_bytes(),
        );
        let got: Vec<(Option<usize>, Entry)> = read_entries(&p).unwrap();
        assert_eq!(lines(&got), [Some(1), Some(4)]);
        // Damage before the end is an error.
        let p = d.file(
            "results.yaml",
            format!("- params:\n    n: [1\n  result: 1\n{whole}").as_bytes(),
        );
        assert!(matches!(
            read_entries::<Entry>(&p),
            Err(SweepError::Results { .. })
        ));
        // A document that is not a sequence says so.
        let p = d.file("results.yaml", b"params: {n: 1}\nresult: 1\n");
        match read_entries::<Entry>(&p) {
            Err(SweepError::Results {
                line: None, cause, ..
            }) => assert_eq!(cause, "expected a sequence of `- params: ...` entries"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_extension_is_refused_before_reading() {
        let e = read_results::<serde_json::Value, serde_json::Value>("/nonexistent/results.csv")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "results file `/nonexistent/results.csv`: unknown extension: expected `.jsonl`, \
             `.yaml` or `.yml`"
        );
    }
}
