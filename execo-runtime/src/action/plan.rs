//! What an action will run, fully prepared: the [`Action`] trait and its [`Plan`].
//!
//! Every action (`Remote`, `Local`, `Put`, `Get`, `ParallelActions`,
//! `SequentialActions`) first turns into a plan: its processes built, substitutions done,
//! every error found. Starting a plan cannot fail, so a sequential action that starts its
//! third step an hour later cannot then discover a typo in its template.

use std::future::Future;

use super::ActionHandle;
use crate::error::Result;
use crate::host::Host;
use crate::process::Process;
use crate::substitution::SubstitutionError;

/// An action: something that plans processes and starts them with one lifecycle.
///
/// Implementors only write [`plan`](Action::plan); `start`, `run` and `blocking_run`
/// come with the trait. They return the crate's [`Result`] (a plan's
/// [`SubstitutionError`] is its [`Error::Substitution`](crate::Error::Substitution)), so
/// that `?` mixes them with every other execo call.
pub trait Action: Send + Sync {
    /// The processes (or sub-actions) this action will run, every substitution done.
    fn plan(&self) -> Result<Plan, SubstitutionError>;

    /// Starts the action (its processes start as its window allows).
    fn start(&self) -> Result<ActionHandle> {
        Ok(ActionHandle::start(self.plan()?))
    }

    /// Starts the action and waits for it to end.
    fn run(&self) -> impl Future<Output = Result<ActionHandle>> + Send
    where
        Self: Sized,
    {
        let started = self.start();
        async move {
            let a = started?;
            a.wait().await;
            Ok(a)
        }
    }

    /// Starts the action and blocks until it ends; [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// where it cannot block (nothing is started then).
    fn blocking_run(&self) -> Result<ActionHandle> {
        crate::blocking::check("Action::blocking_run")?;
        let a = self.start()?;
        a.blocking_wait();
        Ok(a)
    }
}

/// A prepared action: a named set of processes, or of sub-plans run in parallel or in
/// sequence.
#[derive(Clone)]
pub struct Plan {
    pub(crate) name: String,
    pub(crate) body: PlanBody,
}

#[derive(Clone)]
pub(crate) enum PlanBody {
    Processes {
        hosts: Vec<Host>,
        processes: Vec<Process>,
        window: usize,
    },
    Group {
        sequential: bool,
        children: Vec<Plan>,
    },
}

impl Plan {
    /// One process per host (`processes[i]` for `hosts[i]`), at most `window` running at
    /// once. Extra hosts or processes beyond the shorter list are dropped.
    pub fn processes(
        name: impl Into<String>,
        hosts: Vec<Host>,
        processes: Vec<Process>,
        window: usize,
    ) -> Plan {
        let n = hosts.len().min(processes.len());
        let (mut hosts, mut processes) = (hosts, processes);
        hosts.truncate(n);
        processes.truncate(n);
        Plan {
            name: name.into(),
            body: PlanBody::Processes {
                hosts,
                processes,
                window: window.max(1),
            },
        }
    }

    /// Sub-plans that all start at once.
    pub fn parallel(name: impl Into<String>, children: Vec<Plan>) -> Plan {
        Plan {
            name: name.into(),
            body: PlanBody::Group {
                sequential: false,
                children,
            },
        }
    }

    /// Sub-plans started one after the other, each when the previous one has ended.
    pub fn sequential(name: impl Into<String>, children: Vec<Plan>) -> Plan {
        Plan {
            name: name.into(),
            body: PlanBody::Group {
                sequential: true,
                children,
            },
        }
    }

    /// The action's name, for reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every host of the plan, sub-plans in order (a host appears once per process).
    pub fn hosts(&self) -> Vec<Host> {
        match &self.body {
            PlanBody::Processes { hosts, .. } => hosts.clone(),
            PlanBody::Group { children, .. } => children.iter().flat_map(Plan::hosts).collect(),
        }
    }

    /// Every process of the plan, sub-plans in order.
    pub fn into_processes(self) -> Vec<Process> {
        match self.body {
            PlanBody::Processes { processes, .. } => processes,
            PlanBody::Group { children, .. } => children
                .into_iter()
                .flat_map(Plan::into_processes)
                .collect(),
        }
    }
}

impl Action for Plan {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        Ok(self.clone())
    }
}
