//! File copies with scp, one process per host (execo's `Put` and `Get`), run as actions
//! with the same window, results and stats as [`Remote`](super::Remote).
//!
//! Paths go to scp as separate arguments after `--` (no local shell, no option), so
//! spaces and leading dashes are safe; they take the same per-host substitutions as
//! commands. `Get` from several hosts into one directory collides unless the local path
//! names the host: `out/<<host>>`.
//!
//! Local paths are what a shell would have made of them, since users write them as in a
//! shell: a leading `~` or `~/` is the home directory (`$HOME`; `~user` is left as is).
//! `Get` creates its local directory (per host, after substitution) just before scp
//! runs, as `mkdir -p` would; a failure to create it is that host's start error.
//!
//! A host name substituted into a local path (`Get`'s directory, `Put`'s files) must
//! stay within one path component: a host named `.` or `..`, or holding `/`, is refused
//! (that host's start error) rather than sanitized, because a rewritten name could land
//! in another host's or the user's directory and mix their files, and no real host has
//! such a name.

use super::plan::{Action, Plan};
use super::targets::{Targets, targets_builders};
use crate::host::{ConnectionParams, Host};
use crate::process::Process;
use crate::substitution::{SubstitutionError, Template, TemplateSource};

/// Copies local files to a directory on each host (execo's `Put`, `scp -rp`).
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Put {
    t: Targets,
    files: Vec<TemplateSource>,
    remote_dir: TemplateSource,
}

/// Copies files from each host into a local directory (execo's `Get`, `scp -rp`).
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Get {
    t: Targets,
    remote_files: Vec<TemplateSource>,
    local_dir: TemplateSource,
}

/// The directory, `.` if empty.
fn or_dot(dir: TemplateSource) -> TemplateSource {
    if dir.as_str().is_empty() {
        TemplateSource::from(".")
    } else {
        dir
    }
}

/// The paths of a copy, as its name shows them.
fn joined(paths: &[TemplateSource]) -> String {
    let paths: Vec<&str> = paths.iter().map(TemplateSource::as_str).collect();
    paths.join(" ")
}

impl Put {
    /// Puts local `files` (`~` is the home directory) into `remote_dir` (empty: the
    /// remote home) on every host.
    pub fn new<I, H, F, S>(hosts: I, files: F, remote_dir: impl Into<TemplateSource>) -> Put
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<TemplateSource>,
    {
        Put {
            t: Targets::new(hosts),
            files: files.into_iter().map(Into::into).collect(),
            remote_dir: or_dot(remote_dir.into()),
        }
    }
}
targets_builders!(Put);

impl Get {
    /// Gets `remote_files` of every host into `local_dir` (which may use `<<host>>`,
    /// and `~` for the home directory), created if missing.
    pub fn new<I, H, F, S>(hosts: I, remote_files: F, local_dir: impl Into<TemplateSource>) -> Get
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<TemplateSource>,
    {
        Get {
            t: Targets::new(hosts),
            remote_files: remote_files.into_iter().map(Into::into).collect(),
            local_dir: or_dot(local_dir.into()),
        }
    }
}
targets_builders!(Get);

/// Which paths of a copy are on this machine.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Local {
    /// `Put`: the sources.
    Sources,
    /// `Get`: the destination directory.
    Destination,
}

/// `path` with a leading `~` or `~/` replaced by the home directory.
fn expand_home(path: &str) -> Result<String, String> {
    let rest = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return Ok(path.to_string()),
    };
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() => Ok(format!("{}{rest}", home.trim_end_matches('/'))),
        _ => Err(format!("cannot expand `~` in `{path}`: HOME is not set")),
    }
}

/// Why `host`'s address cannot be a directory name, if it cannot.
fn unsafe_dir_name(address: &str) -> Option<&'static str> {
    match address {
        "" => Some("it is empty"),
        "." | ".." => Some("it is `.` or `..`"),
        a if a.contains(['/', '\0']) => Some("it holds `/`"),
        _ => None,
    }
}

/// The plan of a copy: `argv(host, sources, dest)` is the scp command line; `local`
/// says which paths are local (`~` expanded; for `Get`, the directory made).
fn plan_copy(
    t: &Targets,
    params: &ConnectionParams,
    name: impl FnOnce() -> String,
    (sources, dest): (&[TemplateSource], &TemplateSource),
    local: Local,
    argv: impl Fn(&Host, &[String], &str) -> Vec<String>,
) -> Result<Plan, SubstitutionError> {
    let sources = sources
        .iter()
        .map(|s| t.compile_path(s))
        .collect::<Result<Vec<_>, _>>()?;
    let dest = t.compile_path(dest)?;
    Ok(t.plan(name, |i, host| {
        let mut problem = None;
        let mut home = |path: String| {
            expand_home(&path).unwrap_or_else(|e| {
                problem.get_or_insert(e);
                path
            })
        };
        let mut srcs: Vec<String> = sources.iter().map(|s| s.render(i, &host.address)).collect();
        let mut dst = dest.render(i, &host.address);
        match local {
            Local::Sources => srcs = srcs.into_iter().map(&mut home).collect(),
            Local::Destination => dst = home(dst),
        }
        // A NUL is never in a template: where it shows, the host was substituted.
        let names_host = |t: &Template| t.render(i, "\0").contains('\0');
        let local_names_host = match local {
            Local::Sources => sources.iter().any(names_host),
            Local::Destination => names_host(&dest),
        };
        if local_names_host && let Some(why) = unsafe_dir_name(&host.address) {
            let (verb, path) = match local {
                Local::Sources => ("put", srcs.join(" ")),
                Local::Destination => ("get into", dst.clone()),
            };
            problem.get_or_insert(format!(
                "failed to {verb} `{path}` for host `{}`: the host name cannot be part of a \
                 local path ({why})",
                host.address.escape_debug()
            ));
        }
        let mut p = Process::argv(argv(host, &srcs, &dst));
        p.apply_params(params, host);
        p.remote = Some((host.clone(), format!("{} -> {dst}", srcs.join(" "))));
        if let Some(e) = problem {
            p.before_start(move || Err(e.clone()));
        } else if local == Local::Destination {
            let host = host.to_string();
            p.before_start(move || {
                std::fs::create_dir_all(&dst).map_err(|e| {
                    format!("failed to create local directory `{dst}` for host `{host}`: {e}")
                })
            });
        }
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
                    joined(&self.files),
                    self.t.hosts.len()
                )
            },
            (&self.files, &self.remote_dir),
            Local::Sources,
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
                    joined(&self.remote_files),
                    self.t.hosts.len()
                )
            },
            (&self.remote_files, &self.local_dir),
            Local::Destination,
            |h, srcs, dst| params.scp_get_argv(h, srcs, dst),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_is_the_home_directory_in_local_paths() {
        let home = std::env::var("HOME").unwrap_or_default();
        if home.is_empty() {
            assert!(expand_home("~/x").unwrap_err().contains("HOME is not set"));
        } else {
            let home = home.trim_end_matches('/');
            assert_eq!(
                expand_home("~/.profile").unwrap(),
                format!("{home}/.profile")
            );
            assert_eq!(expand_home("~").unwrap(), home);
        }
        for kept in ["~user/x", "a/~/b", "/x~", "x"] {
            assert_eq!(expand_home(kept).unwrap(), kept);
        }
    }

    #[test]
    fn a_host_in_a_local_path_stays_one_component() {
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(unsafe_dir_name(bad).is_some(), "{bad:?}");
        }
        for good in ["node-1", "...", "u@h:22", "::1"] {
            assert_eq!(unsafe_dir_name(good), None, "{good:?}");
        }
    }
}
