//! File copies with scp, one process per host (execo's `Put` and `Get`), run as actions
//! with the same window, results and stats as [`Remote`](super::Remote).
//!
//! Paths go to scp as separate arguments (no local shell), so spaces are safe; they take
//! the same per-host substitutions as commands. `Get` from several hosts into one
//! directory collides unless the local path names the host: `out/<<host>>`.

use std::sync::Arc;

use super::{ActionHandle, DEFAULT_WINDOW};
use crate::host::{ConnectionParams, Host};
use crate::process::Process;
use crate::substitution::{SubstitutionError, Substitutions};

type Configure = dyn Fn(&mut Process, usize, &Host) + Send + Sync;

/// What both copies share: hosts, parameters, substitutions, window.
#[derive(Clone)]
struct Copy {
    hosts: Vec<Host>,
    params: ConnectionParams,
    subs: Substitutions,
    window: usize,
    configure: Option<Arc<Configure>>,
}

impl Copy {
    fn new(hosts: Vec<Host>) -> Copy {
        Copy {
            hosts,
            params: ConnectionParams::default(),
            subs: Substitutions::new(),
            window: DEFAULT_WINDOW,
            configure: None,
        }
    }

    fn build(
        &self,
        sources: &[String],
        dest: &str,
        argv: impl Fn(&Host, &[String], &str) -> Vec<String>,
    ) -> Result<Vec<Process>, SubstitutionError> {
        let sources = sources
            .iter()
            .map(|s| self.subs.compile(s))
            .collect::<Result<Vec<_>, _>>()?;
        let dest = self.subs.compile(dest)?;
        Ok(self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let srcs: Vec<String> =
                    sources.iter().map(|t| t.render(i, &host.address)).collect();
                let dst = dest.render(i, &host.address);
                let mut p = Process::argv(argv(host, &srcs, &dst));
                p.remote = Some((host.clone(), format!("{} -> {dst}", srcs.join(" "))));
                if let Some(f) = &self.configure {
                    f(&mut p, i, host);
                }
                p
            })
            .collect())
    }
}

macro_rules! copy_builders {
    ($ty:ident) => {
        impl $ty {
            /// The connection parameters (default: execo's).
            pub fn params(mut self, params: ConnectionParams) -> $ty {
                self.copy.params = params;
                self
            }
            /// Registers a list for `<<name>>` in paths, taken round robin over the hosts.
            pub fn list<I, S>(mut self, name: &str, values: I) -> $ty
            where
                I: IntoIterator<Item = S>,
                S: ToString,
            {
                self.copy.subs = self.copy.subs.list(name, values);
                self
            }
            /// At most `window` copies run at once (default [`DEFAULT_WINDOW`]).
            pub fn window(mut self, window: usize) -> $ty {
                self.copy.window = window.max(1);
                self
            }
            /// Adjusts each host's scp process before it starts: `f(process, index, host)`.
            pub fn configure(
                mut self,
                f: impl Fn(&mut Process, usize, &Host) + Send + Sync + 'static,
            ) -> $ty {
                self.copy.configure = Some(Arc::new(f));
                self
            }
            /// Starts the copies.
            pub fn start(&self) -> Result<ActionHandle, SubstitutionError> {
                Ok(ActionHandle::from_processes(
                    self.describe(),
                    self.copy.hosts.clone(),
                    self.processes()?,
                    self.copy.window,
                ))
            }
            /// Starts the copies and waits for them.
            pub async fn run(&self) -> Result<ActionHandle, SubstitutionError> {
                let a = self.start()?;
                a.wait().await;
                Ok(a)
            }
            /// Starts the copies and blocks until they end.
            pub fn blocking_run(&self) -> Result<ActionHandle, SubstitutionError> {
                let a = self.start()?;
                a.blocking_wait();
                Ok(a)
            }
        }
    };
}

/// Copies local files to a directory on each host (execo's `Put`, `scp -rp`).
#[derive(Clone)]
pub struct Put {
    copy: Copy,
    files: Vec<String>,
    remote_dir: String,
}

impl Put {
    /// Puts `files` into `remote_dir` (default `.`: the remote home) on every host.
    pub fn new<I, H, F, S>(hosts: I, files: F, remote_dir: &str) -> Put
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let remote_dir = if remote_dir.is_empty() {
            "."
        } else {
            remote_dir
        };
        Put {
            copy: Copy::new(hosts.into_iter().map(Into::into).collect()),
            files: files.into_iter().map(Into::into).collect(),
            remote_dir: remote_dir.to_string(),
        }
    }
    /// The scp process of each host, substitutions done.
    pub fn processes(&self) -> Result<Vec<Process>, SubstitutionError> {
        let params = &self.copy.params;
        self.copy
            .build(&self.files, &self.remote_dir, |h, srcs, dst| {
                params.scp_put_argv(h, srcs, dst)
            })
    }
    fn describe(&self) -> String {
        format!(
            "put {} to {} hosts",
            self.files.join(" "),
            self.copy.hosts.len()
        )
    }
}
copy_builders!(Put);

/// Copies files from each host into a local directory (execo's `Get`, `scp -rp`).
#[derive(Clone)]
pub struct Get {
    copy: Copy,
    remote_files: Vec<String>,
    local_dir: String,
}

impl Get {
    /// Gets `remote_files` of every host into `local_dir` (which may use `<<host>>`).
    pub fn new<I, H, F, S>(hosts: I, remote_files: F, local_dir: &str) -> Get
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let local_dir = if local_dir.is_empty() { "." } else { local_dir };
        Get {
            copy: Copy::new(hosts.into_iter().map(Into::into).collect()),
            remote_files: remote_files.into_iter().map(Into::into).collect(),
            local_dir: local_dir.to_string(),
        }
    }
    /// The scp process of each host, substitutions done.
    pub fn processes(&self) -> Result<Vec<Process>, SubstitutionError> {
        let params = &self.copy.params;
        self.copy
            .build(&self.remote_files, &self.local_dir, |h, srcs, dst| {
                params.scp_get_argv(h, srcs, dst)
            })
    }
    fn describe(&self) -> String {
        format!(
            "get {} from {} hosts",
            self.remote_files.join(" "),
            self.copy.hosts.len()
        )
    }
}
copy_builders!(Get);
