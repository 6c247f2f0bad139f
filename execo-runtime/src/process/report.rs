//! Reading a process back: its failure warning, `dump()`, `stats()` and one-line
//! `Display`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{ProcessHandle, Stream};
use crate::kernel::signal_name;

/// Counts over one process (or, summed, over many): execo's `stats()`. Serialized
/// with times as unix seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// The name of what is counted.
    pub name: String,
    /// The earliest start.
    #[serde(serialize_with = "unix_seconds")]
    pub start_time: Option<SystemTime>,
    /// The latest end, once everything has ended.
    #[serde(serialize_with = "unix_seconds")]
    pub end_time: Option<SystemTime>,
    /// Processes counted.
    pub num_processes: usize,
    /// Processes started.
    pub started: usize,
    /// Processes ended.
    pub ended: usize,
    /// Processes that could not start.
    pub errors: usize,
    /// Processes ended by their timeout.
    pub timeouts: usize,
    /// Processes that needed SIGKILL.
    pub forced_kills: usize,
    /// Processes killed on request.
    pub killed: usize,
    /// Processes that exited non-zero or died of a signal.
    pub non_zero_exit_codes: usize,
    /// Processes with a failed expect.
    pub expect_fails: usize,
    /// Processes with a write error.
    pub write_errors: usize,
    /// Processes ok.
    pub ok: usize,
    /// Processes started, ended and ok.
    pub finished_ok: usize,
}

fn unix_seconds<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

impl Stats {
    /// From the earliest start to the latest end, once both are known.
    pub fn length(&self) -> Option<std::time::Duration> {
        self.end_time?.duration_since(self.start_time?).ok()
    }

    /// Adds `other`'s counts to these: the earliest start and the latest end known.
    pub fn merge(&mut self, other: &Stats) {
        self.start_time = match (self.start_time, other.start_time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.end_time = match (self.end_time, other.end_time) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.num_processes += other.num_processes;
        self.started += other.started;
        self.ended += other.ended;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.forced_kills += other.forced_kills;
        self.killed += other.killed;
        self.non_zero_exit_codes += other.non_zero_exit_codes;
        self.expect_fails += other.expect_fails;
        self.write_errors += other.write_errors;
        self.ok += other.ok;
        self.finished_ok += other.finished_ok;
    }
}

fn unix_time(t: Option<SystemTime>) -> String {
    match t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
        Some(d) => format!("{:.3}", d.as_secs_f64()),
        None => "-".into(),
    }
}

/// The last `lines` lines of `text`, at most `max` bytes.
fn tail(text: &str, lines: usize, max: usize) -> &str {
    let text = text.trim_end();
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let text = &text[start..];
    match text.rmatch_indices('\n').nth(lines.saturating_sub(1)) {
        Some((i, _)) => &text[i + 1..],
        None => text,
    }
}

/// First and last 2 KiB of an output over 4 KiB, as execo's `dump()` does.
fn compact(text: &str) -> String {
    const THRESHOLD: usize = 4096;
    const KEEP: usize = 2048;
    if text.len() <= THRESHOLD {
        return text.to_string();
    }
    let mut head = KEEP;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail_at = text.len() - KEEP;
    while !text.is_char_boundary(tail_at) {
        tail_at += 1;
    }
    format!(
        "{}\n[... {} bytes ...]\n{}",
        &text[..head],
        tail_at - head,
        &text[tail_at..]
    )
}

/// The warning of a failed process, unless its `nolog_*` flags silence it.
pub(crate) fn log_failure(p: &ProcessHandle) {
    let st = p.inner.state().clone();
    let (ignore, nolog) = (p.inner.spec.ignore, p.inner.spec.nolog);
    let name = &p.inner.name;
    let why = if let Some(e) = &st.start_error {
        (!ignore.error && !nolog.error).then(|| format!("failed to start `{name}`: {e}"))
    } else if st.timed_out {
        (!ignore.timeout && !nolog.timeout).then(|| {
            format!(
                "`{name}` timed out after {:?}",
                p.inner.spec.timeout.unwrap_or_default()
            )
        })
    } else if st.killed || ignore.exit_code || nolog.exit_code {
        None
    } else if crate::kernel::interrupted().is_some() {
        // Terminated with every other process by the program's own Ctrl-C: said once.
        None
    } else if p.connection_failed() {
        Some(format!(
            "`{name}` on `{}` exited with code 255 (ssh's or scp's own failure, or the \
             command's)",
            p.host().map(|h| h.to_string()).unwrap_or_default()
        ))
    } else if let Some(code) = st.exit_code.filter(|&c| c != 0) {
        Some(format!("`{name}` exited with code {code}"))
    } else if let Some(sig) = st.signal {
        Some(format!("`{name}` was killed by {}", signal_name(sig)))
    } else if st.lost {
        Some(format!(
            "`{name}`: exit status lost (the child was reaped outside execo)"
        ))
    } else {
        None
    };
    if let Some(why) = why {
        let stderr = p.stderr();
        let pid = st.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
        if stderr.trim().is_empty() {
            crate::log::warn_failure(&format!("{why}{pid}"));
        } else {
            crate::log::warn_failure(&format!(
                "{why}{pid}; stderr ends with:\n{}",
                tail(&stderr, 5, 1024)
            ));
        }
    }
}

impl ProcessHandle {
    /// execo's `stats()`: the counts over this one process.
    pub fn stats(&self) -> Stats {
        let ok = self.ok();
        let st = self.inner.state();
        let ignore_exit = st.killed || st.timed_out || st.start_error.is_some();
        Stats {
            name: self.inner.name.clone(),
            start_time: st.start_time,
            end_time: st.end_time,
            num_processes: 1,
            started: st.started as usize,
            ended: st.ended as usize,
            errors: st.start_error.is_some() as usize,
            timeouts: st.timed_out as usize,
            forced_kills: st.forced_kill as usize,
            killed: st.killed as usize,
            non_zero_exit_codes: (!ignore_exit && st.ended && st.exit_code != Some(0)) as usize,
            expect_fails: st.expect_fail as usize,
            write_errors: st.write_error.is_some() as usize,
            ok: ok as usize,
            finished_ok: (ok && st.started && st.ended) as usize,
        }
    }

    /// Everything recorded, and the output (compacted to its first and last 2 KiB when
    /// over 4 KiB): what to print when a process misbehaves.
    pub fn dump(&self) -> String {
        let st = self.inner.state().clone();
        let mut s = format!("{self}\n");
        s += &format!("  command: {}\n", self.inner.spec.cmdline());
        s += &format!(
            "  pid: {}  started: {}  ended: {}  ok: {}\n",
            st.pid.map_or("-".into(), |p| p.to_string()),
            st.started,
            st.ended,
            self.ok()
        );
        s += &format!(
            "  start: {}  end: {} (unix time)",
            unix_time(st.start_time),
            unix_time(st.end_time)
        );
        if let Some(d) = self.duration() {
            s += &format!("  duration: {:.3} s", d.as_secs_f64());
        }
        s += "\n";
        if let Some(e) = &st.start_error {
            s += &format!("  start error: {e}\n");
        }
        if let Some(call) = st.would_block {
            s += &format!("  {}\n", crate::blocking::WouldBlock::new(call));
        }
        s += &format!(
            "  exit code: {}  signal: {}  timed out: {}  killed: {}  forced kill: {}  expect failed: {}  write error: {}\n",
            st.exit_code.map_or("-".into(), |c| c.to_string()),
            st.signal.map_or("-".into(), signal_name),
            st.timed_out,
            st.killed,
            st.forced_kill,
            st.expect_fail,
            st.write_error.as_deref().unwrap_or("-"),
        );
        for stream in [Stream::Stdout, Stream::Stderr] {
            let text = String::from_utf8_lossy(self.inner.store(stream).kept()).into_owned();
            s += &format!(
                "  {stream} ({} bytes):\n{}\n",
                self.output_len(stream),
                compact(&text)
            );
        }
        s
    }
}

impl fmt::Display for ProcessHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state();
        write!(f, "`{}`", self.inner.name)?;
        if let Some(pid) = st.pid {
            write!(f, " (pid {pid})")?;
        }
        if let Some(e) = &st.start_error {
            return write!(f, ": start error: {e}");
        }
        if !st.ended {
            return f.write_str(": running");
        }
        match (st.exit_code, st.signal) {
            (Some(c), _) => write!(f, ": exit code {c}")?,
            (None, Some(s)) => write!(f, ": killed by {}", signal_name(s))?,
            _ => f.write_str(": exit status lost")?,
        }
        if st.timed_out {
            f.write_str(", timed out")?;
        }
        if let (Some(a), Some(b)) = (st.started_at, st.ended_at) {
            write!(f, " in {:.3} s", (b - a).as_secs_f64())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProcessHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
