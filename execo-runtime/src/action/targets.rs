//! What every per-host action shares: the hosts, how to reach them, the substitution
//! lists, the window and a per-process hook, with one set of builder methods.

use std::sync::Arc;

use super::plan::Plan;
use crate::config::DEFAULT_WINDOW;
use crate::host::{ConnectionParams, Host};
use crate::process::Process;
use crate::substitution::{Mode, SubstitutionError, Substitutions, Template, TemplateSource};

pub(crate) type Configure = dyn Fn(Process, usize, &Host) -> Process + Send + Sync;

/// Hosts and what applies to each of their processes.
#[derive(Clone)]
pub(crate) struct Targets {
    pub(crate) hosts: Vec<Host>,
    pub(crate) params: ConnectionParams,
    pub(crate) subs: Substitutions,
    pub(crate) window: usize,
    pub(crate) name: Option<String>,
    pub(crate) configure: Option<Arc<Configure>>,
}

impl Targets {
    pub(crate) fn new<I, H>(hosts: I) -> Targets
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        Targets {
            hosts: hosts.into_iter().map(Into::into).collect(),
            params: ConnectionParams::configured(),
            subs: Substitutions::new(),
            window: DEFAULT_WINDOW,
            name: None,
            configure: None,
        }
    }

    /// A shell command's template, checked against every host's address.
    pub(crate) fn compile(&self, template: &TemplateSource) -> Result<Template, SubstitutionError> {
        let t = self.subs.compile_source(template, Mode::Shell)?;
        for host in &self.hosts {
            t.check_host(&host.address)?;
        }
        Ok(t)
    }

    /// A path's template (scp's sources and destination: no shell, values as they are).
    pub(crate) fn compile_path(
        &self,
        template: &TemplateSource,
    ) -> Result<Template, SubstitutionError> {
        self.subs.compile_source(template, Mode::Path)
    }

    /// The plan: `build(index, host)` makes each host's process, then the hook runs.
    pub(crate) fn plan(
        &self,
        default_name: impl FnOnce() -> String,
        build: impl Fn(usize, &Host) -> Process,
    ) -> Plan {
        let processes = self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let p = build(i, host);
                match &self.configure {
                    Some(f) => f(p, i, host),
                    None => p,
                }
            })
            .collect();
        let name = self.name.clone().unwrap_or_else(default_name);
        Plan::processes(name, self.hosts.clone(), processes, self.window)
    }
}

/// The builder methods of an action type with a `t: Targets` field.
macro_rules! targets_builders {
    ($ty:ident) => {
        impl $ty {
            /// The connection parameters (default: execo's, then the configuration
            /// file's; see [`ConnectionParams::configured`](crate::ConnectionParams::configured)).
            pub fn params(mut self, params: $crate::host::ConnectionParams) -> $ty {
                self.t.params = params;
                self
            }
            /// Registers a list for `<<name>>`, taken round robin over the hosts.
            pub fn list<I, S>(mut self, name: &str, values: I) -> $ty
            where
                I: IntoIterator<Item = S>,
                S: ToString,
            {
                self.t.subs = self.t.subs.list(name, values);
                self
            }
            /// At most `window` processes run at once (default
            /// [`DEFAULT_WINDOW`](crate::action::DEFAULT_WINDOW); 0 means 1).
            pub fn window(mut self, window: usize) -> $ty {
                self.t.window = window.max(1);
                self
            }
            /// The action's name in reports and logs.
            pub fn name(mut self, name: impl Into<String>) -> $ty {
                self.t.name = Some(name.into());
                self
            }
            /// Adjusts each host's process before it starts (timeout, `ignore_*`,
            /// handlers, stdin...): `f(process, index, host)` returns the process to run,
            /// e.g. `.configure(|p, _, _| p.timeout(t))`.
            pub fn configure(
                mut self,
                f: impl Fn(
                    $crate::process::Process,
                    usize,
                    &$crate::host::Host,
                ) -> $crate::process::Process
                + Send
                + Sync
                + 'static,
            ) -> $ty {
                self.t.configure = Some(std::sync::Arc::new(f));
                self
            }
            /// The hosts, in order.
            pub fn hosts(&self) -> &[$crate::host::Host] {
                &self.t.hosts
            }
            /// The process each host will run, substitutions done: what `start` runs.
            pub fn processes(
                &self,
            ) -> Result<Vec<$crate::process::Process>, $crate::substitution::SubstitutionError>
            {
                use $crate::action::Action;
                Ok(self.plan()?.into_processes())
            }
        }
    };
}
pub(crate) use targets_builders;
