//! File copies with scp, one process per host (execo's `Put` and `Get`), run as actions
//! with the same window, results and stats as [`Remote`](super::Remote).
//!
//! Paths go to scp as separate arguments (no local shell), so spaces are safe; they take
//! the same per-host substitutions as commands. `Get` from several hosts into one
//! directory collides unless the local path names the host: `out/<<host>>`.

use super::plan::{Action, Plan};
use super::targets::{Targets, targets_builders};
use crate::host::{ConnectionParams, Host};
use crate::process::Process;
use crate::substitution::SubstitutionError;

/// Copies local files to a directory on each host (execo's `Put`, `scp -rp`).
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Put {
    t: Targets,
    files: Vec<String>,
    remote_dir: String,
}

/// Copies files from each host into a local directory (execo's `Get`, `scp -rp`).
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Get {
    t: Targets,
    remote_files: Vec<String>,
    local_dir: String,
}

fn or_dot(dir: &str) -> String {
    if dir.is_empty() { "." } else { dir }.to_string()
}

impl Put {
    /// Puts `files` into `remote_dir` (empty: the remote home) on every host.
    pub fn new<I, H, F, S>(hosts: I, files: F, remote_dir: &str) -> Put
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Put {
            t: Targets::new(hosts),
            files: files.into_iter().map(Into::into).collect(),
            remote_dir: or_dot(remote_dir),
        }
    }
}
targets_builders!(Put);

impl Get {
    /// Gets `remote_files` of every host into `local_dir` (which may use `<<host>>`).
    pub fn new<I, H, F, S>(hosts: I, remote_files: F, local_dir: &str) -> Get
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Get {
            t: Targets::new(hosts),
            remote_files: remote_files.into_iter().map(Into::into).collect(),
            local_dir: or_dot(local_dir),
        }
    }
}
targets_builders!(Get);

/// The plan of a copy: `argv(host, sources, dest)` is the scp command line.
fn plan_copy(
    t: &Targets,
    params: &ConnectionParams,
    name: impl FnOnce() -> String,
    sources: &[String],
    dest: &str,
    argv: impl Fn(&Host, &[String], &str) -> Vec<String>,
) -> Result<Plan, SubstitutionError> {
    let sources = sources
        .iter()
        .map(|s| t.compile_path(s))
        .collect::<Result<Vec<_>, _>>()?;
    let dest = t.compile_path(dest)?;
    Ok(t.plan(name, |i, host| {
        let srcs: Vec<String> = sources.iter().map(|s| s.render(i, &host.address)).collect();
        let dst = dest.render(i, &host.address);
        let mut p = Process::argv(argv(host, &srcs, &dst));
        params.apply(&mut p, host);
        p.remote = Some((host.clone(), format!("{} -> {dst}", srcs.join(" "))));
        p
    }))
}

impl Action for Put {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let params = &self.t.params;
        plan_copy(
            &self.t,
            params,
            || {
                format!(
                    "put {} to {} hosts",
                    self.files.join(" "),
                    self.t.hosts.len()
                )
            },
            &self.files,
            &self.remote_dir,
            |h, srcs, dst| params.scp_put_argv(h, srcs, dst),
        )
    }
}

impl Action for Get {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let params = &self.t.params;
        plan_copy(
            &self.t,
            params,
            || {
                format!(
                    "get {} from {} hosts",
                    self.remote_files.join(" "),
                    self.t.hosts.len()
                )
            },
            &self.remote_files,
            &self.local_dir,
            |h, srcs, dst| params.scp_get_argv(h, srcs, dst),
        )
    }
}
