//! The running action: [`ActionHandle`], and waiting on several ([`wait_any`],
//! [`wait_all`]).
//!
//! A kernel task drives each action: it starts processes as the window allows (or
//! sub-actions, all at once or one after the other), then marks the action ended. The
//! handle reads results as they come: processes started so far, `ok()` so far, stats.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::Report;
use super::plan::{Plan, PlanBody};
use crate::host::Host;
use crate::kernel::kernel;
use crate::process::{Expect, ExpectMatch, Patterns, Process, ProcessHandle, Stats};
use crate::{Error, Result};

struct Inner {
    name: String,
    /// Every host, sub-actions in order.
    hosts: Vec<Host>,
    body: Body,
    killed: AtomicBool,
    ended: AtomicBool,
    /// Woken whenever a process or sub-action starts, and at the end.
    progress: Notify,
    /// Wakes the driving task after a kill (one listener: `notify_one` keeps a permit).
    stopped: Notify,
    owners: AtomicUsize,
    detached: AtomicBool,
    /// The first blocking call made on it where it could not block.
    would_block: OnceLock<&'static str>,
}

enum Body {
    Processes(Vec<OnceLock<ProcessHandle>>),
    Group {
        sequential: bool,
        /// Where each sub-action's hosts start in `hosts`.
        offsets: Vec<usize>,
        children: Vec<OnceLock<ActionHandle>>,
    },
}

/// A started action: its processes, one per host, and their common lifecycle.
///
/// Clones share the action. Dropping the last handle of an action still running kills it
/// (execo's context manager), unless it was [detached](ActionHandle::detach). Waiting
/// calls come as `wait().await` and `blocking_wait()`, with the same result; a
/// `blocking_*` call made where it cannot block (a handler, async code) does not wait: it
/// returns [`Error::WouldBlock`] when it returns a `Result`, else records it on the action
/// (see [`would_block`](ActionHandle::would_block)).
#[must_use = "dropping a handle kills what still runs at once: keep it and wait for it, call `.detach()` to let it run on, or `let _ =` a handle that has ended"]
pub struct ActionHandle {
    inner: Arc<Inner>,
    owner: bool,
}

impl Clone for ActionHandle {
    fn clone(&self) -> Self {
        self.inner.owners.fetch_add(1, Ordering::AcqRel);
        ActionHandle {
            inner: self.inner.clone(),
            owner: true,
        }
    }
}

impl Drop for ActionHandle {
    fn drop(&mut self) {
        if self.owner
            && self.inner.owners.fetch_sub(1, Ordering::AcqRel) == 1
            && !self.inner.detached.load(Ordering::Acquire)
        {
            self.kill();
        }
    }
}

impl std::fmt::Debug for ActionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ActionHandle({:?}, {} hosts, ended: {})",
            self.inner.name,
            self.len(),
            self.ended()
        )
    }
}

impl ActionHandle {
    /// Starts `plan`: its processes start on the caller's thread as the window allows,
    /// the rest from the kernel as earlier ones end. When this returns, every process
    /// the window lets start has started, recorded why it could not, or (on a
    /// multiplexed connection) waits for a session: a `write` right after reaches all of
    /// them (once started, for those that wait).
    pub fn start(plan: Plan) -> ActionHandle {
        let hosts = plan.hosts();
        let (body, work) = match plan.body {
            PlanBody::Processes {
                processes, window, ..
            } => (
                Body::Processes(processes.iter().map(|_| OnceLock::new()).collect()),
                Work::Processes(processes, window),
            ),
            PlanBody::Group {
                sequential,
                children,
            } => {
                let mut offsets = Vec::with_capacity(children.len());
                let mut at = 0;
                for c in &children {
                    offsets.push(at);
                    at += c.hosts().len();
                }
                (
                    Body::Group {
                        sequential,
                        offsets,
                        children: children.iter().map(|_| OnceLock::new()).collect(),
                    },
                    Work::Group(children),
                )
            }
        };
        let inner = Arc::new(Inner {
            name: plan.name,
            hosts,
            body,
            killed: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            progress: Notify::new(),
            stopped: Notify::new(),
            owners: AtomicUsize::new(1),
            detached: AtomicBool::new(false),
            would_block: OnceLock::new(),
        });
        let work = match work {
            Work::Processes(specs, window) => Work::Started(start_window(&inner, specs, window)),
            Work::Group(plans) => Work::StartedGroup(start_children(&inner, plans)),
            started => started,
        };
        kernel().spawn(drive(inner.clone(), work));
        ActionHandle { inner, owner: true }
    }

    fn non_owning(&self) -> ActionHandle {
        ActionHandle {
            inner: self.inner.clone(),
            owner: false,
        }
    }

    /// Lets the action run on when its handles are dropped (its processes still end
    /// with the program).
    pub fn detach(self) {
        self.inner.detached.store(true, Ordering::Release);
    }

    /// The action's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// How many processes (one per host, sub-actions included) the action runs.
    pub fn len(&self) -> usize {
        self.inner.hosts.len()
    }
    /// Whether the action runs no process at all.
    pub fn is_empty(&self) -> bool {
        self.inner.hosts.is_empty()
    }
    /// Every host, in order (sub-actions one after the other).
    pub fn hosts(&self) -> &[Host] {
        &self.inner.hosts
    }
    /// The sub-actions started so far (none for an action of processes).
    pub fn children(&self) -> Vec<ActionHandle> {
        match &self.inner.body {
            Body::Processes(_) => Vec::new(),
            Body::Group { children, .. } => {
                children.iter().filter_map(|c| c.get().cloned()).collect()
            }
        }
    }
    /// Each host with its process, if started, in host order.
    pub fn entries(&self) -> Vec<(Host, Option<ProcessHandle>)> {
        let mut out = Vec::with_capacity(self.len());
        self.collect_entries(&mut out);
        out
    }
    fn collect_entries(&self, out: &mut Vec<(Host, Option<ProcessHandle>)>) {
        match &self.inner.body {
            Body::Processes(slots) => out.extend(
                self.inner
                    .hosts
                    .iter()
                    .zip(slots)
                    .map(|(h, s)| (h.clone(), s.get().cloned())),
            ),
            Body::Group {
                offsets, children, ..
            } => {
                for (i, c) in children.iter().enumerate() {
                    match c.get() {
                        Some(c) => c.collect_entries(out),
                        None => {
                            let end = offsets.get(i + 1).copied().unwrap_or(self.len());
                            out.extend(
                                self.inner.hosts[offsets[i]..end]
                                    .iter()
                                    .map(|h| (h.clone(), None)),
                            );
                        }
                    }
                }
            }
        }
    }
    /// The processes started so far, in host order.
    pub fn processes(&self) -> Vec<ProcessHandle> {
        self.entries().into_iter().filter_map(|(_, p)| p).collect()
    }
    /// The process of host number `i`, if it started.
    pub fn process(&self, i: usize) -> Option<ProcessHandle> {
        match &self.inner.body {
            Body::Processes(slots) => slots.get(i)?.get().cloned(),
            Body::Group { .. } => self.entries().into_iter().nth(i)?.1,
        }
    }
    /// Whether everything has ended (what was never started after a kill included).
    pub fn ended(&self) -> bool {
        self.inner.ended.load(Ordering::Acquire)
    }
    /// Whether the action was killed.
    pub fn killed(&self) -> bool {
        self.inner.killed.load(Ordering::Acquire)
    }
    /// Every process started and is ok (execo's `ok`); a running action is ok so far.
    pub fn ok(&self) -> bool {
        if self.inner.would_block.get().is_some() {
            return false;
        }
        let ended = self.ended();
        self.entries()
            .iter()
            .all(|(_, p)| p.as_ref().map_or(!ended, ProcessHandle::ok))
    }
    /// The hosts whose process is not ok, or never started once the action ended.
    pub fn failed_hosts(&self) -> Vec<Host> {
        let ended = self.ended();
        self.entries()
            .into_iter()
            .filter(|(_, p)| p.as_ref().map_or(ended, |p| !p.ok()))
            .map(|(h, _)| h)
            .collect()
    }
    /// The hosts whose process ended ok.
    pub fn ok_hosts(&self) -> Vec<Host> {
        self.entries()
            .into_iter()
            .filter(|(_, p)| p.as_ref().is_some_and(|p| p.ended() && p.ok()))
            .map(|(h, _)| h)
            .collect()
    }

    /// Waits until everything has ended.
    pub async fn wait(&self) -> &Self {
        loop {
            let mut progress = std::pin::pin!(self.inner.progress.notified());
            progress.as_mut().enable();
            if self.ended() {
                return self;
            }
            progress.await;
        }
    }
    /// Waits at most `timeout`; returns whether the action has ended.
    pub async fn wait_timeout(&self, timeout: Duration) -> bool {
        let sleep = kernel().sleep_until(Instant::now() + timeout);
        tokio::select! {
            _ = self.wait() => true,
            _ = sleep => self.ended(),
        }
    }
    /// Blocking form of [`wait`](Self::wait). Where it cannot block (a handler, async
    /// code) it returns at once and records [`Error::WouldBlock`] (see
    /// [`would_block`](Self::would_block)).
    pub fn blocking_wait(&self) -> &Self {
        self.blocking(self.wait(), "ActionHandle::blocking_wait");
        self
    }
    /// Blocking form of [`wait_timeout`](Self::wait_timeout); where it cannot block it
    /// returns whether the action has ended, as [`blocking_wait`](Self::blocking_wait)
    /// does.
    pub fn blocking_wait_timeout(&self, timeout: Duration) -> bool {
        self.blocking(
            self.wait_timeout(timeout),
            "ActionHandle::blocking_wait_timeout",
        )
        .unwrap_or_else(|| self.ended())
    }

    /// Runs `fut` to completion on this thread; where it cannot block, records
    /// [`Error::WouldBlock`] for `call` and returns `None`.
    fn blocking<F: Future>(&self, fut: F, call: &'static str) -> Option<F::Output> {
        match crate::blocking::block_on_for(fut, call) {
            Ok(out) => Some(out),
            Err(_) => {
                self.record_would_block(call);
                None
            }
        }
    }

    /// Records that blocking call `call` could not block on this action: the first is
    /// kept and logged; the action is no longer ok.
    pub(crate) fn record_would_block(&self, call: &'static str) {
        if self.inner.would_block.set(call).is_ok() {
            tracing::error!(
                "failed to block on `{}`: {}",
                self.inner.name,
                crate::blocking::WouldBlock::new(call)
            );
        }
    }

    /// The error of the first `blocking_*` call made on this action where it could not
    /// block (always [`Error::WouldBlock`]), if any.
    pub fn would_block(&self) -> Option<Error> {
        self.inner
            .would_block
            .get()
            .map(|&call| crate::blocking::WouldBlock::new(call).into())
    }

    /// Kills every running process (and sub-action) and starts no more.
    pub fn kill(&self) -> &Self {
        self.inner.killed.store(true, Ordering::Release);
        self.inner.stopped.notify_one();
        match &self.inner.body {
            Body::Processes(slots) => {
                for p in slots.iter().filter_map(OnceLock::get) {
                    p.kill();
                }
            }
            Body::Group { children, .. } => {
                for c in children.iter().filter_map(OnceLock::get) {
                    c.kill();
                }
            }
        }
        self
    }

    /// Waits until a pattern matches on every process, each started in its turn
    /// (execo's action `expect`): the result of each host, in host order. A host whose
    /// process never starts (the action was killed) gets [`Error::NotStarted`].
    pub async fn expect<P: Patterns>(&self, patterns: P) -> Result<Vec<Result<ExpectMatch>>> {
        self.expect_with(&Expect::new(patterns)?).await
    }
    /// Like [`expect`](Self::expect), with an [`Expect`] (stream, timeout, backtrack);
    /// the same shape.
    pub async fn expect_with(&self, e: &Expect) -> Result<Vec<Result<ExpectMatch>>> {
        let each = (0..self.len()).map(|i| async move {
            match self.started_process(i).await {
                Some(p) => p.expect_with(e).await,
                None => Err(Error::NotStarted {
                    action: self.name().to_string(),
                    host: self.inner.hosts[i].to_string(),
                }),
            }
        });
        Ok(join_all(each.collect()).await)
    }
    /// Blocking form of [`expect`](Self::expect); [`Error::WouldBlock`] where it cannot
    /// block.
    pub fn blocking_expect<P: Patterns>(&self, patterns: P) -> Result<Vec<Result<ExpectMatch>>> {
        crate::blocking::check("ActionHandle::blocking_expect")?;
        self.blocking_expect_with(&Expect::new(patterns)?)
    }
    /// Blocking form of [`expect_with`](Self::expect_with); [`Error::WouldBlock`] where
    /// it cannot block.
    pub fn blocking_expect_with(&self, e: &Expect) -> Result<Vec<Result<ExpectMatch>>> {
        crate::blocking::block_on_for(self.expect_with(e), "ActionHandle::blocking_expect_with")?
    }

    /// Waits for host `i`'s process to start; `None` if it never will.
    async fn started_process(&self, i: usize) -> Option<ProcessHandle> {
        loop {
            let mut progress = std::pin::pin!(self.inner.progress.notified());
            progress.as_mut().enable();
            if let Some(p) = self.process(i) {
                return Some(p);
            }
            if self.ended() {
                return None;
            }
            progress.await;
        }
    }

    /// Writes `data` to the stdin of every process started so far (each built with
    /// `Stdin::Piped`); a failed write is recorded on its process.
    pub async fn write(&self, data: impl AsRef<[u8]>) -> &Self {
        let data = data.as_ref();
        let procs = self.processes();
        join_all(
            procs
                .iter()
                .map(|p| async move {
                    p.write(data).await;
                })
                .collect(),
        )
        .await;
        self
    }
    /// Blocking form of [`write`](Self::write). Where it cannot block it writes nothing
    /// and records [`Error::WouldBlock`] on the action.
    pub fn blocking_write(&self, data: impl AsRef<[u8]>) -> &Self {
        self.blocking(self.write(data), "ActionHandle::blocking_write");
        self
    }

    /// The stats of every process, summed (a host whose process never started counts in
    /// `num_processes` only); no end time while the action runs.
    pub fn stats(&self) -> Stats {
        let mut total = Stats {
            name: self.inner.name.clone(),
            ..Stats::default()
        };
        for (_, p) in self.entries() {
            match p {
                Some(p) => total.merge(&p.stats()),
                None => total.num_processes += 1,
            }
        }
        if !self.ended() {
            total.end_time = None;
        }
        total
    }

    /// execo's `Report` of this action: its stats, and its sub-actions' reports.
    pub fn report(&self) -> Report {
        let children = match &self.inner.body {
            Body::Processes(_) => Vec::new(),
            Body::Group { children, .. } => children
                .iter()
                .filter_map(|c| c.get().map(ActionHandle::report))
                .collect(),
        };
        Report::new(self.stats(), children)
    }

    /// Whether this action's sub-actions run one after the other.
    pub fn is_sequential(&self) -> bool {
        matches!(
            self.inner.body,
            Body::Group {
                sequential: true,
                ..
            }
        )
    }
}

/// What the driving task starts.
enum Work {
    Processes(Vec<Process>, usize),
    Group(Vec<Plan>),
    /// Processes, the first ones already started on the caller's thread.
    Started(Window),
    /// Sub-actions, the first (sequential) or all (parallel) already started.
    StartedGroup(Vec<Plan>),
}

/// A process action's window, its first processes started.
struct Window {
    specs: Vec<Process>,
    /// How many of `specs` have started.
    next: usize,
    window: Arc<Semaphore>,
    /// The started processes, each with the window's permit it holds while it runs.
    running: Vec<(ProcessHandle, OwnedSemaphorePermit)>,
}

/// Starts, on the caller's thread, the processes that the window lets start now (a
/// process on a multiplexed connection may then wait for a session: see `Process::start`).
fn start_window(inner: &Inner, specs: Vec<Process>, window: usize) -> Window {
    let mut w = Window {
        specs,
        next: 0,
        window: Arc::new(Semaphore::new(window)),
        running: Vec::new(),
    };
    let Body::Processes(slots) = &inner.body else {
        return w;
    };
    while w.next < w.specs.len() {
        let Ok(permit) = w.window.clone().try_acquire_owned() else {
            break;
        };
        let p = w.specs[w.next].start();
        let watch = p.non_owning();
        slots[w.next].set(p).ok();
        w.running.push((watch, permit));
        w.next += 1;
    }
    w
}

/// Starts, on the caller's thread, the sub-actions that start at once: all of a parallel
/// group, the first of a sequence. Returns the plans left for the driving task.
fn start_children(inner: &Inner, plans: Vec<Plan>) -> Vec<Plan> {
    let Body::Group {
        sequential,
        children,
        ..
    } = &inner.body
    else {
        return plans;
    };
    let now = if *sequential { 1 } else { plans.len() };
    let mut plans = plans.into_iter();
    for (slot, plan) in children.iter().zip(plans.by_ref().take(now)) {
        slot.set(ActionHandle::start(plan)).ok();
    }
    plans.collect()
}

/// The kernel task of an action: start what the plan says as it allows, then mark the
/// action ended.
async fn drive(inner: Arc<Inner>, work: Work) {
    match work {
        Work::Processes(specs, window) => {
            let w = start_window(&inner, specs, window);
            drive_processes(&inner, w).await
        }
        Work::Started(w) => drive_processes(&inner, w).await,
        Work::Group(plans) => {
            let left = start_children(&inner, plans);
            drive_group(&inner, left).await
        }
        Work::StartedGroup(left) => drive_group(&inner, left).await,
    }
    inner.ended.store(true, Ordering::Release);
    inner.progress.notify_waiters();
}

async fn drive_processes(inner: &Inner, w: Window) {
    let Body::Processes(slots) = &inner.body else {
        return;
    };
    let Window {
        specs,
        next,
        window,
        running: started,
    } = w;
    let mut running = Vec::with_capacity(specs.len());
    for (watch, permit) in started {
        if inner.killed.load(Ordering::Acquire) {
            watch.kill();
        }
        running.push(tokio::spawn(async move {
            watch.wait().await;
            drop(permit);
        }));
    }
    for (i, spec) in specs.into_iter().enumerate().skip(next) {
        let permit = tokio::select! {
            p = window.clone().acquire_owned() => p,
            _ = inner.stopped.notified() => break,
        };
        let Ok(permit) = permit else { break };
        if inner.killed.load(Ordering::Acquire) {
            break;
        }
        let p = spec.start();
        // Watch through a non-owning view: the slot holds the owning handle.
        let watch = p.non_owning();
        slots[i].set(p).ok();
        inner.progress.notify_waiters();
        if inner.killed.load(Ordering::Acquire) {
            watch.kill();
        }
        running.push(tokio::spawn(async move {
            watch.wait().await;
            drop(permit);
        }));
    }
    for r in running {
        r.await.ok();
    }
}

async fn drive_group(inner: &Inner, plans: Vec<Plan>) {
    let Body::Group {
        sequential,
        children,
        ..
    } = &inner.body
    else {
        return;
    };
    // The sub-actions started on the caller's thread come first.
    let first = children.len() - plans.len();
    let mut started = Vec::with_capacity(children.len());
    let early = children[..first]
        .iter()
        .filter_map(|c| c.get().map(ActionHandle::non_owning));
    let later = plans.into_iter().enumerate().map(|(i, plan)| {
        let child = ActionHandle::start(plan);
        let watch = child.non_owning();
        children[first + i].set(child).ok();
        inner.progress.notify_waiters();
        watch
    });
    for watch in early.chain(later) {
        if inner.killed.load(Ordering::Acquire) {
            watch.kill();
            if !*sequential {
                started.push(watch);
            }
            break;
        }
        if *sequential {
            tokio::select! {
                _ = watch.wait() => {}
                _ = inner.stopped.notified() => {
                    watch.kill();
                    watch.wait().await;
                    break;
                }
            }
        } else {
            started.push(watch);
        }
    }
    for c in started {
        c.wait().await;
    }
    // A kill that came before the loop above went through every branch breaks it early:
    // the branches it did not reach were killed by `kill` and are waited for here, so
    // that the group ends after all of them.
    for c in children.iter().filter_map(OnceLock::get) {
        c.wait().await;
    }
}

/// Polls every future to completion, concurrently, on the current task.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// Waits until one of `actions` has ended, or `timeout` passed: the index of one that
/// has ended, if any (`None` when given none).
pub async fn wait_any<'a>(
    actions: impl IntoIterator<Item = &'a ActionHandle>,
    timeout: Option<Duration>,
) -> Option<usize> {
    let actions: Vec<&ActionHandle> = actions.into_iter().collect();
    if actions.is_empty() {
        return None;
    }
    let mut waits: Vec<_> = actions.iter().map(|a| Box::pin(a.wait())).collect();
    let any = std::future::poll_fn(|cx| {
        for (i, w) in waits.iter_mut().enumerate() {
            if w.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(i));
            }
        }
        Poll::Pending
    });
    match timeout {
        None => any.await,
        Some(t) => {
            let sleep = kernel().sleep_until(Instant::now() + t);
            tokio::select! {
                i = any => i,
                _ = sleep => actions.iter().position(|a| a.ended()),
            }
        }
    }
}

/// Waits until every one of `actions` has ended, or `timeout` passed: whether all have.
pub async fn wait_all<'a>(
    actions: impl IntoIterator<Item = &'a ActionHandle>,
    timeout: Option<Duration>,
) -> bool {
    let actions: Vec<&ActionHandle> = actions.into_iter().collect();
    let all = async {
        for a in &actions {
            a.wait().await;
        }
    };
    if let Some(t) = timeout {
        let sleep = kernel().sleep_until(Instant::now() + t);
        tokio::select! {
            _ = all => {}
            _ = sleep => {}
        }
    } else {
        all.await;
    }
    actions.iter().all(|a| a.ended())
}

/// Blocking form of [`wait_any`]. Where it cannot block it returns at once (the index of
/// one that has ended, if any) and records [`Error::WouldBlock`] on each action.
pub fn blocking_wait_any<'a>(
    actions: impl IntoIterator<Item = &'a ActionHandle>,
    timeout: Option<Duration>,
) -> Option<usize> {
    let actions: Vec<&ActionHandle> = actions.into_iter().collect();
    let wait = wait_any(actions.iter().copied(), timeout);
    blocking_on_all(&actions, wait, "blocking_wait_any")
        .unwrap_or_else(|| actions.iter().position(|a| a.ended()))
}

/// Blocking form of [`wait_all`]. Where it cannot block it returns at once (whether all
/// have ended) and records [`Error::WouldBlock`] on each action.
pub fn blocking_wait_all<'a>(
    actions: impl IntoIterator<Item = &'a ActionHandle>,
    timeout: Option<Duration>,
) -> bool {
    let actions: Vec<&ActionHandle> = actions.into_iter().collect();
    let wait = wait_all(actions.iter().copied(), timeout);
    blocking_on_all(&actions, wait, "blocking_wait_all")
        .unwrap_or_else(|| actions.iter().all(|a| a.ended()))
}

/// Runs `fut` to completion on this thread; where it cannot block, records
/// [`Error::WouldBlock`] for `call` on each of `actions` and returns `None`.
fn blocking_on_all<F: Future>(
    actions: &[&ActionHandle],
    fut: F,
    call: &'static str,
) -> Option<F::Output> {
    match crate::blocking::block_on_for(fut, call) {
        Ok(out) => Some(out),
        Err(_) => {
            for a in actions {
                a.record_would_block(call);
            }
            None
        }
    }
}

/// `hosts` without those on which `action` failed (execo's `filter_bad_hosts`).
pub fn filter_bad_hosts(action: &ActionHandle, hosts: &[Host]) -> Vec<Host> {
    let bad: std::collections::HashSet<Host> = action.failed_hosts().into_iter().collect();
    hosts.iter().filter(|h| !bad.contains(h)).cloned().collect()
}
