//! Commands on many hosts: over ssh ([`Remote`], execo's `Remote`) or locally, once per
//! host ([`Local`], execo's `Local` generalised), with per-host substitutions.

use super::plan::{Action, Plan};
use super::targets::{Targets, targets_builders};
use crate::host::Host;
use crate::process::Process;
use crate::substitution::{SubstitutionError, TemplateSource};

/// A command to run on many hosts over ssh, one process per host (execo's `Remote`).
///
/// Hosts are anything that turns into [`Host`]s: `&str` names, [`Host`]s, or a
/// [`NodeSet`](crate::NodeSet) (`&set`).
///
/// ```no_run
/// use execo_runtime::action::{Action, Remote};
/// use execo_runtime::NodeSet;
/// let nodes = NodeSet::parse("node-[1-3]").unwrap();
/// let run = Remote::new("iperf3 -c <<servers>> -p 52<<index>>", &nodes)
///     .list("servers", ["srv-a", "srv-b"])
///     .blocking_run()?;
/// println!("{} of {} hosts ok", run.ok_hosts().len(), run.len());
/// # Ok::<(), execo_runtime::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Remote {
    t: Targets,
    cmd: TemplateSource,
}

impl Remote {
    /// `cmd` (a template: see [`substitution`](crate::substitution); text, or a template
    /// read before, as `remote!` gives) on each of `hosts`.
    pub fn new<I, H>(cmd: impl Into<TemplateSource>, hosts: I) -> Remote
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        Remote {
            t: Targets::new(hosts),
            cmd: cmd.into(),
        }
    }
}
targets_builders!(Remote);

impl Action for Remote {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let template = self.t.compile(&self.cmd)?;
        let params = &self.t.params;
        Ok(self.t.plan(
            || format!("remote `{}` on {} hosts", self.cmd, self.t.hosts.len()),
            |i, host| Process::ssh(host.clone(), template.render(i, &host.address), params),
        ))
    }
}

/// A command run locally through `sh -c` (execo's `Local`), or once per host with that
/// host's substitutions ([`Local::per_host`]): a dry run of a [`Remote`], or local work
/// about each host.
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct Local {
    t: Targets,
    cmd: TemplateSource,
}

impl Local {
    /// One local process running `cmd` (its host is `localhost`).
    pub fn new(cmd: impl Into<TemplateSource>) -> Local {
        Local::per_host(cmd, ["localhost"])
    }
    /// One local process per host, `cmd` rendered with that host's substitutions.
    pub fn per_host<I, H>(cmd: impl Into<TemplateSource>, hosts: I) -> Local
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        Local {
            t: Targets::new(hosts),
            cmd: cmd.into(),
        }
    }
}
targets_builders!(Local);

impl Action for Local {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let template = self.t.compile(&self.cmd)?;
        Ok(self.t.plan(
            || format!("local `{}` for {} hosts", self.cmd, self.t.hosts.len()),
            |i, host| Process::sh(template.render(i, &host.address)),
        ))
    }
}
