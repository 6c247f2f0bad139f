//! `expect`: wait for one of several regexes on a process's stdout or stderr.
//!
//! It searches the kept output from where the last match on that stream ended (execo's
//! `backtrack`: output that came before the call counts), so a dialogue reads naturally:
//! write, expect, write, expect. It returns on a match, on end of stream, or on timeout,
//! each distinctly; it never waits on a stream that has ended (an execo 2.8.2 bug).

use std::pin::pin;
use std::time::{Duration, Instant};

use regex::bytes::{Regex, RegexBuilder};

use super::{Keep, ProcessHandle, Stream, handle::lock};
use crate::kernel::kernel;
use crate::{Error, Result};

/// What to expect: regexes (multi-line mode: `^` and `$` match at line boundaries), on
/// which stream, for how long. Build once, reuse for many expects.
#[derive(Clone, Debug)]
pub struct Expect {
    regexes: Vec<Regex>,
    stream: Stream,
    timeout: Option<Duration>,
    backtrack: bool,
}

impl Expect {
    /// Compiles `patterns` (one or several); an invalid one is an error naming it.
    pub fn new<P: Patterns>(patterns: P) -> Result<Expect> {
        let regexes = patterns
            .patterns()
            .into_iter()
            .map(|p| {
                RegexBuilder::new(&p)
                    .multi_line(true)
                    .build()
                    .map_err(|e| Error::InvalidPattern {
                        pattern: p.clone(),
                        cause: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Expect {
            regexes,
            stream: Stream::Stdout,
            timeout: None,
            backtrack: true,
        })
    }
    /// Watches `stream` (default stdout).
    pub fn stream(mut self, stream: Stream) -> Expect {
        self.stream = stream;
        self
    }
    /// Gives up after `timeout` (default: the process's `expect_timeout`, else none).
    pub fn timeout(mut self, timeout: Duration) -> Expect {
        self.timeout = Some(timeout);
        self
    }
    /// With `false`, only output arriving after the call is searched.
    pub fn backtrack(mut self, backtrack: bool) -> Expect {
        self.backtrack = backtrack;
        self
    }

    fn describe(&self) -> String {
        let quoted: Vec<String> = self
            .regexes
            .iter()
            .map(|r| format!("`{}`", r.as_str()))
            .collect();
        quoted.join(" or ")
    }
}

/// One or several patterns: `"re"`, `["a", "b"]`, `&["a"][..]`, `vec![...]`.
pub trait Patterns {
    /// The patterns as strings.
    fn patterns(self) -> Vec<String>;
}
impl Patterns for &str {
    fn patterns(self) -> Vec<String> {
        vec![self.to_string()]
    }
}
impl Patterns for String {
    fn patterns(self) -> Vec<String> {
        vec![self]
    }
}
impl<S: AsRef<str>, const N: usize> Patterns for [S; N] {
    fn patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}
impl<S: AsRef<str>> Patterns for &[S] {
    fn patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}
impl<S: AsRef<str>> Patterns for Vec<S> {
    fn patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_string()).collect()
    }
}

/// A successful expect: which pattern matched, the text, and its capture groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectMatch {
    index: usize,
    groups: Vec<Option<String>>,
    names: Vec<Option<String>>,
}

impl ExpectMatch {
    /// The index of the pattern that matched.
    pub fn index(&self) -> usize {
        self.index
    }
    /// The whole matched text.
    pub fn as_str(&self) -> &str {
        self.groups[0].as_deref().unwrap_or("")
    }
    /// Capture group `i` (0 is the whole match), if it took part in the match.
    pub fn group(&self, i: usize) -> Option<&str> {
        self.groups.get(i)?.as_deref()
    }
    /// The named capture group `name`, if it took part in the match.
    pub fn name(&self, name: &str) -> Option<&str> {
        let i = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.group(i)
    }
}

enum Found {
    Match(ExpectMatch),
    Eof,
    Waiting(u64),
}

impl ProcessHandle {
    /// Waits until one of `patterns` matches on stdout (see [`Expect`]).
    pub async fn expect<P: Patterns>(&self, patterns: P) -> Result<ExpectMatch> {
        self.expect_with(&Expect::new(patterns)?).await
    }

    /// Blocking form of [`expect`](Self::expect); [`Error::WouldBlock`] where it cannot
    /// block.
    pub fn blocking_expect<P: Patterns>(&self, patterns: P) -> Result<ExpectMatch> {
        crate::blocking::check("ProcessHandle::blocking_expect")?;
        crate::blocking::block_on_for(
            self.expect_with(&Expect::new(patterns)?),
            "ProcessHandle::blocking_expect",
        )?
    }

    /// Blocking form of [`expect_with`](Self::expect_with); [`Error::WouldBlock`] where
    /// it cannot block.
    pub fn blocking_expect_with(&self, e: &Expect) -> Result<ExpectMatch> {
        crate::blocking::block_on_for(self.expect_with(e), "ProcessHandle::blocking_expect_with")?
    }

    /// Waits until one of `e`'s patterns matches. The earliest match in the stream wins
    /// (the lowest index on a tie). The next expect on that stream starts after it.
    ///
    /// A timeout or the end of the stream is an error ([`Error::ExpectTimeout`],
    /// [`Error::ExpectEof`]) and records an expect failure on the process.
    pub async fn expect_with(&self, e: &Expect) -> Result<ExpectMatch> {
        let inner = &self.inner;
        let s = e.stream;
        if e.regexes.is_empty() {
            return Err(Error::NoPattern {
                process: inner.name.clone(),
            });
        }
        if inner.spec.out[s.index()].keep == Keep::Nothing {
            return Err(Error::NotKept {
                process: inner.name.clone(),
                stream: s.name(),
            });
        }
        let timeout = e.timeout.or(inner.spec.expect_timeout);
        let mut sleep = pin!(timeout.map(|t| kernel().sleep_until(Instant::now() + t)));
        let mut from = if e.backtrack {
            lock(&inner.expect_pos)[s.index()]
        } else {
            inner.store(s).end()
        };
        loop {
            let mut changed = pin!(inner.changed.notified());
            changed.as_mut().enable();
            match self.search(e, from) {
                Found::Match(m) => return Ok(m),
                Found::Eof => {
                    self.record_expect_fail(e, "end of stream");
                    return Err(Error::ExpectEof {
                        process: inner.name.clone(),
                        stream: s.name(),
                        patterns: e.describe(),
                    });
                }
                Found::Waiting(searched_from) => from = searched_from,
            }
            let timed_out = match sleep.as_mut().as_pin_mut() {
                Some(sleep) => tokio::select! {
                    _ = changed => false,
                    _ = sleep => true,
                },
                None => {
                    changed.await;
                    false
                }
            };
            if timed_out {
                let timeout = timeout.unwrap_or_default();
                self.record_expect_fail(e, &format!("timeout after {timeout:?}"));
                return Err(Error::ExpectTimeout {
                    process: inner.name.clone(),
                    patterns: e.describe(),
                    timeout,
                });
            }
        }
    }

    fn search(&self, e: &Expect, from: u64) -> Found {
        let s = e.stream;
        let store = self.inner.store(s);
        let start = from.max(store.base);
        let hay = &store.data[(start - store.base) as usize..];
        let best = e
            .regexes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.find(hay).map(|m| (m.start(), i)))
            .min();
        if let Some((_, i)) = best {
            let re = &e.regexes[i];
            if let Some(caps) = re.captures(hay) {
                let end = caps.get(0).map_or(0, |m| m.end());
                let groups = caps
                    .iter()
                    .map(|g| g.map(|g| String::from_utf8_lossy(g.as_bytes()).into_owned()))
                    .collect();
                let names = re.capture_names().map(|n| n.map(str::to_string)).collect();
                lock(&self.inner.expect_pos)[s.index()] = start + end as u64;
                return Found::Match(ExpectMatch {
                    index: i,
                    groups,
                    names,
                });
            }
        }
        if store.eof {
            Found::Eof
        } else {
            Found::Waiting(start)
        }
    }

    fn record_expect_fail(&self, e: &Expect, why: &str) {
        self.inner.state().expect_fail = true;
        if !self.inner.spec.nolog.expect_fail {
            tracing::warn!(
                "expect on the {} of `{}` failed ({why}) waiting for {}",
                e.stream,
                self.inner.name,
                e.describe()
            );
        }
        self.inner.changed.notify_waiters();
    }
}
