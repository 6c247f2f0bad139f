//! Actions: many processes with one lifecycle (execo's `Action`).
//!
//! [`Remote`] runs a command on many hosts over ssh, one process per host, with per-host
//! substitutions and a window that bounds how many run at once, so that 1,000 hosts
//! need neither 1,000 simultaneous connections nor 4,000 descriptors. The running action
//! is an [`ActionHandle`]: wait, kill, `ok()`, per-process results, and summed stats.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{Notify, Semaphore};

use crate::host::{ConnectionParams, Host};
use crate::kernel::{self, kernel};
use crate::process::{Process, ProcessHandle, Stats};
use crate::substitution::{SubstitutionError, Substitutions};

mod copy;
pub use copy::{Get, Put};

/// How many processes of an action run at once by default.
pub const DEFAULT_WINDOW: usize = 512;

type Configure = dyn Fn(&mut Process, usize, &Host) + Send + Sync;

/// A command to run on many hosts over ssh, one process per host (execo's `Remote`).
///
/// ```no_run
/// use execo_runtime::{ConnectionParams, Host, action::Remote};
/// let hosts: Vec<Host> = ["node-1", "node-2", "node-3"].into_iter().map(Host::new).collect();
/// let run = Remote::new("iperf3 -c <<servers>> -p 52<<index>>", hosts)
///     .list("servers", ["srv-a", "srv-b"])
///     .blocking_run()?;
/// println!("{} of {} hosts ok", run.processes().iter().filter(|p| p.ok()).count(), run.len());
/// # Ok::<(), execo_runtime::substitution::SubstitutionError>(())
/// ```
#[derive(Clone)]
pub struct Remote {
    cmd: String,
    hosts: Vec<Host>,
    params: ConnectionParams,
    subs: Substitutions,
    window: usize,
    name: Option<String>,
    configure: Option<Arc<Configure>>,
}

impl Remote {
    /// `cmd` (a template: see [`substitution`](crate::substitution)) on each of `hosts`.
    pub fn new<I, H>(cmd: impl Into<String>, hosts: I) -> Remote
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        Remote {
            cmd: cmd.into(),
            hosts: hosts.into_iter().map(Into::into).collect(),
            params: ConnectionParams::default(),
            subs: Substitutions::new(),
            window: DEFAULT_WINDOW,
            name: None,
            configure: None,
        }
    }
    /// The connection parameters (default: execo's).
    pub fn params(mut self, params: ConnectionParams) -> Remote {
        self.params = params;
        self
    }
    /// Registers a list for `<<name>>`, taken round robin over the hosts.
    pub fn list<I, S>(mut self, name: &str, values: I) -> Remote
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        self.subs = self.subs.list(name, values);
        self
    }
    /// At most `window` processes run at once (default [`DEFAULT_WINDOW`]; 0 means 1).
    pub fn window(mut self, window: usize) -> Remote {
        self.window = window.max(1);
        self
    }
    /// The action's name in reports.
    pub fn name(mut self, name: impl Into<String>) -> Remote {
        self.name = Some(name.into());
        self
    }
    /// Adjusts each host's process before it starts (timeout, `ignore_*`, handlers...):
    /// `f(process, index, host)`.
    pub fn configure(
        mut self,
        f: impl Fn(&mut Process, usize, &Host) + Send + Sync + 'static,
    ) -> Remote {
        self.configure = Some(Arc::new(f));
        self
    }

    /// The process each host will run, substitutions done: what `start` would run.
    pub fn processes(&self) -> Result<Vec<Process>, SubstitutionError> {
        let template = self.subs.compile(&self.cmd)?;
        Ok(self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let mut p = Process::ssh(
                    host.clone(),
                    template.render(i, &host.address),
                    &self.params,
                );
                if let Some(f) = &self.configure {
                    f(&mut p, i, host);
                }
                p
            })
            .collect())
    }

    /// Starts the action: processes start in host order as the window allows.
    pub fn start(&self) -> Result<ActionHandle, SubstitutionError> {
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("remote `{}` on {} hosts", self.cmd, self.hosts.len()));
        Ok(ActionHandle::from_processes(
            name,
            self.hosts.clone(),
            self.processes()?,
            self.window,
        ))
    }

    /// Starts the action and waits for it to end.
    pub async fn run(&self) -> Result<ActionHandle, SubstitutionError> {
        let a = self.start()?;
        a.wait().await;
        Ok(a)
    }

    /// Starts the action and blocks until it ends.
    pub fn blocking_run(&self) -> Result<ActionHandle, SubstitutionError> {
        let a = self.start()?;
        a.blocking_wait();
        Ok(a)
    }
}

struct ActionInner {
    name: String,
    hosts: Vec<Host>,
    slots: Vec<OnceLock<ProcessHandle>>,
    killed: AtomicBool,
    ended: AtomicBool,
    ended_notify: Notify,
    stopped: Notify,
    specs: Mutex<Vec<Process>>,
}

/// A started action: its processes (one per host, in host order) and their lifecycle.
/// Dropping it kills what still runs, as for a process.
#[derive(Clone)]
pub struct ActionHandle {
    inner: Arc<ActionInner>,
}

impl ActionHandle {
    /// Starts `specs` (one per host, in order) as one action, at most `window` at once.
    pub fn from_processes(
        name: String,
        hosts: Vec<Host>,
        specs: Vec<Process>,
        window: usize,
    ) -> ActionHandle {
        let n = specs.len();
        let inner = Arc::new(ActionInner {
            name,
            hosts,
            slots: (0..n).map(|_| OnceLock::new()).collect(),
            killed: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            ended_notify: Notify::new(),
            stopped: Notify::new(),
            specs: Mutex::new(specs),
        });
        kernel().spawn(drive(inner.clone(), window));
        ActionHandle { inner }
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// How many processes (hosts) the action has.
    pub fn len(&self) -> usize {
        self.inner.slots.len()
    }
    /// Whether the action has no host at all.
    pub fn is_empty(&self) -> bool {
        self.inner.slots.is_empty()
    }
    /// The hosts, in order.
    pub fn hosts(&self) -> &[Host] {
        &self.inner.hosts
    }
    /// The processes started so far, in host order (all of them once the action ended,
    /// unless it was killed before some could start).
    pub fn processes(&self) -> Vec<ProcessHandle> {
        self.inner
            .slots
            .iter()
            .filter_map(|s| s.get().cloned())
            .collect()
    }
    /// The process of host number `i`, if it started.
    pub fn process(&self, i: usize) -> Option<ProcessHandle> {
        self.inner.slots.get(i)?.get().cloned()
    }
    /// Whether every process has ended (or will never start, after a kill).
    pub fn ended(&self) -> bool {
        self.inner.ended.load(Ordering::Acquire)
    }
    /// Every host's process started and is ok (execo's `ok`; a running action is ok so
    /// far).
    pub fn ok(&self) -> bool {
        let all_started = self.inner.slots.iter().all(|s| s.get().is_some());
        self.processes().iter().all(ProcessHandle::ok) && (all_started || !self.ended())
    }
    /// The hosts whose process is not ok (or never started).
    pub fn failed_hosts(&self) -> Vec<Host> {
        self.inner
            .slots
            .iter()
            .zip(&self.inner.hosts)
            .filter(|(s, _)| s.get().is_none_or(|p| !p.ok()))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Waits until every process has ended.
    pub async fn wait(&self) -> &Self {
        loop {
            let mut ended = std::pin::pin!(self.inner.ended_notify.notified());
            ended.as_mut().enable();
            if self.ended() {
                return self;
            }
            ended.await;
        }
    }
    /// Blocking form of [`wait`](Self::wait).
    pub fn blocking_wait(&self) -> &Self {
        if kernel::block_on(self.wait()).is_none() {
            tracing::error!(
                "{}",
                crate::Error::BlockingOnKernel {
                    call: "ActionHandle::blocking_wait"
                }
            );
        }
        self
    }
    /// Kills every running process and starts no more.
    pub fn kill(&self) -> &Self {
        self.inner.killed.store(true, Ordering::Release);
        self.inner.stopped.notify_one();
        for p in self.processes() {
            p.kill();
        }
        self
    }

    /// The stats of every process, summed (a host whose process never started counts in
    /// `num_processes` only); no end time while the action runs.
    pub fn stats(&self) -> Stats {
        let mut total = Stats {
            name: self.inner.name.clone(),
            ..Stats::default()
        };
        for slot in &self.inner.slots {
            match slot.get() {
                Some(p) => total.merge(&p.stats()),
                None => total.num_processes += 1,
            }
        }
        if !self.ended() {
            total.end_time = None;
        }
        total
    }
}

/// The kernel task of an action: start processes as the window allows, then wait.
async fn drive(inner: Arc<ActionInner>, window: usize) {
    let specs = std::mem::take(&mut *inner.specs.lock().unwrap_or_else(|e| e.into_inner()));
    let slots = Arc::new(Semaphore::new(window));
    let mut running = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p,
            _ = inner.stopped.notified() => break,
        };
        let Ok(permit) = permit else { break };
        if inner.killed.load(Ordering::Acquire) {
            break;
        }
        let p = spec.start();
        // Watch through a non-owning view: the slot holds the owning handle.
        let watch = p.non_owning();
        inner.slots[i].set(p).ok();
        running.push(tokio::spawn(async move {
            watch.wait().await;
            drop(permit);
        }));
    }
    for r in running {
        r.await.ok();
    }
    inner.ended.store(true, Ordering::Release);
    inner.ended_notify.notify_waiters();
}
