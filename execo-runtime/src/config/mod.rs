//! The configuration file: a user's defaults for connections and runs.
//!
//! Settings merge in this order, later winning: execo's built-in defaults, this file,
//! what a program sets on an action ([`ConnectionParams`] given to it), and a host's own
//! fields (`user@host:port`). The file is `$EXECO_CONFIG` if set, else
//! `$XDG_CONFIG_HOME/execo/config.toml` (`~/.config/execo/config.toml`). A missing
//! default file is fine; a missing `$EXECO_CONFIG` or a bad file is an error naming the
//! file, the line and column, and what is wrong (a value out of range too: `window = 0`
//! is refused like `execo run -f 0`, not quietly made 1). OpenSSH's own `~/.ssh/config` keeps applying
//! underneath (aliases, ProxyJump, keys): these settings only add options.
//!
//! ```toml
//! [connection]
//! user = "root"                      # default login, for hosts without their own
//! keyfile = "~/.ssh/id_ed25519"
//! port = 22
//! connect_timeout = 10               # seconds (ConnectTimeout)
//! extra_ssh_options = ["-o", "ServerAliveInterval=5"]
//! ssh_config = "~/.ssh/config-cluster"   # given to ssh and scp as -F
//! multiplex = true                   # one shared connection per host (ControlMaster)
//! max_sessions = 10                  # sessions at once per shared connection
//! control_persist = 60               # seconds an idle shared connection stays
//! # also: ssh, scp (programs), ssh_options / scp_options (replace execo's),
//! # extra_scp_options, pty, nolog_exit_code, nolog_timeout, nolog_error
//!
//! [run]
//! window = 512                       # processes of an action at once
//! timeout = 30.0                     # seconds, for `execo run` (at most 100 years)
//! ```

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::host::ConnectionParams;

/// How many processes of an action run at once by default (the `[run] window` of the
/// file overrides it; actions read it from here).
pub const DEFAULT_WINDOW: usize = 512;

#[cfg(feature = "g5k")]
pub mod g5k;

/// The settings of a configuration file, merged over execo's defaults.
#[derive(Clone, Debug)]
pub struct Config {
    /// The connection parameters every action starts from.
    pub params: ConnectionParams,
    /// How many processes of an action run at once.
    pub window: usize,
    /// The default timeout of `execo run`, if any.
    pub timeout: Option<Duration>,
    /// The file these settings came from, if any.
    pub path: Option<PathBuf>,
    /// Grid'5000 settings, the `[g5k]` section.
    #[cfg(feature = "g5k")]
    pub g5k: g5k::Settings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            params: ConnectionParams::default(),
            window: DEFAULT_WINDOW,
            timeout: None,
            path: None,
            #[cfg(feature = "g5k")]
            g5k: Default::default(),
        }
    }
}

/// A configuration file that cannot be used: which file and why (with the line and
/// column for a syntax or type error).
#[derive(Debug, thiserror::Error)]
#[error("failed to load configuration file `{}`: {message}", path.display())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with the position when known.
    pub message: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    connection: Connection,
    #[serde(default)]
    run: Run,
    #[cfg(feature = "g5k")]
    #[serde(default)]
    g5k: g5k::Settings,
    /// Read only with the `g5k` feature; accepted without it, so that one file serves
    /// every build.
    #[cfg(not(feature = "g5k"))]
    #[serde(default, rename = "g5k")]
    _g5k: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Connection {
    ssh: Option<String>,
    scp: Option<String>,
    ssh_options: Option<Vec<String>>,
    scp_options: Option<Vec<String>>,
    #[serde(default)]
    extra_ssh_options: Vec<String>,
    #[serde(default)]
    extra_scp_options: Vec<String>,
    user: Option<String>,
    keyfile: Option<String>,
    port: Option<Spanned<u16>>,
    pty: Option<bool>,
    connect_timeout: Option<u32>,
    ssh_config: Option<String>,
    multiplex: Option<bool>,
    max_sessions: Option<Spanned<usize>>,
    control_persist: Option<u64>,
    nolog_exit_code: Option<bool>,
    nolog_timeout: Option<bool>,
    nolog_error: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Run {
    window: Option<Spanned<usize>>,
    timeout: Option<Spanned<f64>>,
}

/// The longest timeout a setting or flag accepts: 100 years. Longer is a slip (`1e300`),
/// and would overflow the deadlines computed from it.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `secs` seconds as a timeout, or why it is not one: it must be positive, finite and at
/// most [`MAX_TIMEOUT`]. Shared by the configuration file and the `execo` command's
/// `-t`, which name the setting in their errors.
pub fn timeout_from_secs(secs: f64) -> Result<Duration, String> {
    let why = "must be a positive number of seconds, at most 100 years (3153600000)";
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() && d <= MAX_TIMEOUT => Ok(d),
        _ => Err(why.into()),
    }
}

/// `~/x` with the home directory.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

impl Config {
    /// Where the configuration file is looked for: `$EXECO_CONFIG`, else
    /// `$XDG_CONFIG_HOME/execo/config.toml`, else `~/.config/execo/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("EXECO_CONFIG") {
            return Some(PathBuf::from(p));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
        Some(base.join("execo").join("config.toml"))
    }

    /// Reads the configuration file (see [`default_path`](Self::default_path)); the
    /// defaults when there is none. `$EXECO_CONFIG` naming a missing file is an error.
    pub fn load() -> Result<Config, ConfigError> {
        let explicit = std::env::var_os("EXECO_CONFIG").is_some();
        match Config::default_path() {
            Some(p) if explicit || p.exists() => Config::from_file(&p),
            _ => Ok(Config::default()),
        }
    }

    /// Reads the configuration file at `path`.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            message: format!("cannot read it: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parses a configuration's `text`; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            message,
        };
        // A value out of range: its key, its text as written, and where.
        let bad = |key: &str, span: std::ops::Range<usize>, why: &str| {
            let (line, col) = line_col(text, span.start);
            let written = text.get(span).unwrap_or("").trim();
            err(format!(
                "line {line}, column {col}: bad `{key}` {written}: {why}"
            ))
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| line_col(text, s.start));
            let msg = e.message().trim_end().to_string();
            err(match at {
                Some((line, col)) => format!("line {line}, column {col}: {msg}"),
                None => msg,
            })
        })?;
        let c = file.connection;
        let mut params = ConnectionParams::default();
        if let Some(s) = c.ssh {
            params.ssh = s;
        }
        if let Some(s) = c.scp {
            params.scp = s;
        }
        if let Some(o) = c.ssh_options {
            params.ssh_options = o;
        }
        if let Some(o) = c.scp_options {
            params.scp_options = o;
        }
        params.ssh_options.extend(c.extra_ssh_options);
        params.scp_options.extend(c.extra_scp_options);
        params.user = c.user.or(params.user);
        params.keyfile = c.keyfile.as_deref().map(expand_home).or(params.keyfile);
        if let Some(p) = c.port.as_ref().filter(|p| *p.get_ref() == 0) {
            return Err(bad("connection.port", p.span(), "cannot be 0"));
        }
        params.port = c.port.map(Spanned::into_inner).or(params.port);
        params.pty = c.pty.unwrap_or(params.pty);
        if let Some(t) = c.connect_timeout {
            params.set_option("ConnectTimeout", &t.to_string());
        }
        params.ssh_config = c.ssh_config.as_deref().map(expand_home);
        params.multiplex = c.multiplex.unwrap_or(params.multiplex);
        if let Some(m) = c.max_sessions.as_ref().filter(|m| *m.get_ref() == 0) {
            return Err(bad(
                "connection.max_sessions",
                m.span(),
                "must be at least 1",
            ));
        }
        params.max_sessions = c
            .max_sessions
            .map_or(params.max_sessions, Spanned::into_inner);
        if let Some(s) = c.control_persist {
            params.control_persist = Duration::from_secs(s);
        }
        params.nolog_exit_code = c.nolog_exit_code.unwrap_or(false);
        params.nolog_timeout = c.nolog_timeout.unwrap_or(false);
        params.nolog_error = c.nolog_error.unwrap_or(false);
        let timeout = match file.run.timeout {
            Some(t) => Some(
                timeout_from_secs(*t.get_ref())
                    .map_err(|why| bad("run.timeout", t.span(), &why))?,
            ),
            None => None,
        };
        let window = match file.run.window {
            Some(w) if *w.get_ref() == 0 => {
                return Err(bad("run.window", w.span(), "must be at least 1"));
            }
            Some(w) => w.into_inner(),
            None => DEFAULT_WINDOW,
        };
        Ok(Config {
            params,
            window,
            timeout,
            path: Some(path.to_path_buf()),
            #[cfg(feature = "g5k")]
            g5k: file.g5k,
        })
    }

    /// The configuration of this program, read once: on an error, the error is logged
    /// and execo's defaults apply.
    pub fn global() -> &'static Config {
        static GLOBAL: OnceLock<Config> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Config::load().unwrap_or_else(|e| {
                tracing::error!("{e}; using execo's defaults");
                Config::default()
            })
        })
    }
}

/// 1-based line and column of byte `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl ConnectionParams {
    /// execo's defaults with the configuration file's settings over them (see
    /// [`config`](crate::config)): what actions use unless given other parameters.
    pub fn configured() -> ConnectionParams {
        Config::global().params.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_merge_over_defaults() {
        let c = Config::parse(
            "[connection]\nuser = \"root\"\nport = 2222\nconnect_timeout = 5\n\
             extra_ssh_options = [\"-o\", \"ServerAliveInterval=1\"]\nmultiplex = true\n\
             [run]\nwindow = 64\ntimeout = 1.5\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.params.user.as_deref(), Some("root"));
        assert_eq!(c.params.port, Some(2222));
        assert!(c.params.multiplex);
        let o = c.params.ssh_options.join(" ");
        assert!(
            o.contains("ConnectTimeout=5") && !o.contains("ConnectTimeout=20"),
            "{o}"
        );
        assert!(o.ends_with("-o ServerAliveInterval=1"), "{o}");
        assert!(c.params.scp_options.join(" ").contains("ConnectTimeout=5"));
        assert_eq!(c.window, 64);
        assert_eq!(c.timeout, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn errors_name_file_line_and_cause() {
        let cases = [
            ("[connection]\nport = \"x\"\n", "line 2, column 8", "string"),
            (
                "[connection]\nusr = \"root\"\n",
                "line 2, column 1",
                "unknown field `usr`",
            ),
            ("[connection\n", "line 1", ""),
            ("[run]\ntimeout = -1.0\n", "run.timeout", "positive"),
            (
                "[run]\ntimeout = 1e300\n",
                "line 2, column 11: bad `run.timeout` 1e300",
                "at most 100 years",
            ),
            ("[run]\ntimeout = nan\n", "line 2, column 11", "positive"),
            (
                "[run]\nwindow = 0\n",
                "line 2, column 10: bad `run.window` 0",
                "at least 1",
            ),
            (
                "[connection]\nport = 0\n",
                "line 2, column 8: bad `connection.port` 0",
                "cannot be 0",
            ),
            (
                "[connection]\nmax_sessions = 0\n",
                "line 2, column 16",
                "at least 1",
            ),
        ];
        for (text, at, why) in cases {
            let e = Config::parse(text, Path::new("/etc/x.toml"))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("failed to load configuration file `/etc/x.toml`: "),
                "{e}"
            );
            assert!(e.contains(at) && e.contains(why), "{text:?} gave {e}");
        }
    }

    #[test]
    fn timeouts_are_positive_finite_and_at_most_100_years() {
        assert_eq!(timeout_from_secs(1.5), Ok(Duration::from_millis(1500)));
        assert_eq!(
            timeout_from_secs(3e9),
            Ok(Duration::from_secs(3_000_000_000))
        );
        assert_eq!(timeout_from_secs(3_153_600_000.0), Ok(MAX_TIMEOUT));
        for bad in [0.0, -1.0, 1e-300, 3.2e9, 1e300, f64::INFINITY, f64::NAN] {
            let e = timeout_from_secs(bad).unwrap_err();
            assert!(
                e.contains("positive") && e.contains("100 years"),
                "{bad}: {e}"
            );
        }
    }
}
