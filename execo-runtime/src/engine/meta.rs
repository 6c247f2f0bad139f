//! What is recorded about each run of an experiment, so that a result directory says
//! how its results were obtained: argv, start time, machine, versions, git revision.
//! One entry per run is appended to `runs.yaml` (a `-C` continuation adds its own).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::EngineError;

/// One run of an experiment, as appended to `<result_dir>/runs.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    /// The experiment's name.
    pub experiment: String,
    /// The program's arguments, the program first.
    pub argv: Vec<String>,
    /// Local start time, `YYYY-mm-dd HH:MM:SS +zone`.
    pub start: String,
    /// Start time in seconds since the epoch.
    pub start_unix: f64,
    /// The machine's host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The working directory.
    pub cwd: String,
    /// Whether this run continued in an existing result directory.
    pub continued: bool,
    /// The version of execo the experiment was built with.
    pub execo_version: String,
    /// `git rev-parse HEAD` of the working directory, `-dirty` when tracked files
    /// changed; absent outside a git repository.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub git_revision: Option<String>,
}

/// A point in time, local, in the two forms the engine prints.
pub(super) struct Now {
    /// `YYYYmmdd_HHMMSS_+zone`, for directory names (execo's `%Y%m%d_%H%M%S_%z`).
    pub stamp: String,
    /// `YYYY-mm-dd HH:MM:SS +zone`.
    pub human: String,
    pub unix: f64,
}

pub(super) fn now() -> Now {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t = since.as_secs() as libc::time_t;
    Now {
        stamp: strftime(t, c"%Y%m%d_%H%M%S_%z"),
        human: strftime(t, c"%Y-%m-%d %H:%M:%S %z"),
        unix: since.as_secs_f64(),
    }
}

fn strftime(t: libc::time_t, format: &std::ffi::CStr) -> String {
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r fills the zeroed `tm` from `t`; strftime writes at most
    // `buf.len()` bytes into `buf` and returns how many (0 on failure).
    let n = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return t.to_string();
        }
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

impl RunRecord {
    pub(super) fn new(experiment: &str, start: &Now, continued: bool) -> RunRecord {
        let cwd = std::env::current_dir().unwrap_or_default();
        RunRecord {
            experiment: experiment.to_string(),
            argv: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            start: start.human.clone(),
            start_unix: start.unix,
            host: host_name(),
            pid: std::process::id(),
            cwd: cwd.display().to_string(),
            continued,
            execo_version: env!("CARGO_PKG_VERSION").to_string(),
            git_revision: git_revision(&cwd),
        }
    }

    /// Appends this record to the YAML sequence in `file`.
    pub(super) fn append_to(&self, file: &Path) -> Result<(), EngineError> {
        let err = |cause: String| EngineError::Record {
            file: file.to_path_buf(),
            cause,
        };
        let yaml = serde_norway::to_string(&[self]).map_err(|e| err(e.to_string()))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .map_err(|e| err(e.to_string()))?;
        f.write_all(yaml.as_bytes()).map_err(|e| err(e.to_string()))
    }
}

/// The machine's host name (the kernel's node name).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// `git rev-parse HEAD` in `dir`, with `-dirty` when tracked files changed; `None` when
/// git is missing or `dir` is not in a repository.
fn git_revision(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "HEAD"]).filter(|h| !h.is_empty())?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
