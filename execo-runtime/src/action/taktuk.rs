//! Commands and copies on many hosts through ONE `taktuk` process (execo's
//! `TaktukRemote`, `TaktukPut`, `TaktukGet`): TakTuk deploys itself over ssh as a tree,
//! so a thousand hosts cost the client one process and a few descriptors instead of a
//! thousand ssh clients.
//!
//! Users read them as [`Remote`](super::Remote), [`Put`](super::Put) and
//! [`Get`](super::Get): one [`ProcessHandle`](crate::ProcessHandle) per host (its exit
//! code or signal, stdout, stderr, handlers, `expect`), `ok()`, stats and a
//! [`Report`](super::Report). Each host's record is fed from TakTuk's output (see
//! `process::fed`), read as length-prefixed frames (`taktuk_frames`). What differs:
//!
//! - every host's record has TakTuk's pid, and killing any of them (or the action)
//!   kills the whole TakTuk run, the other hosts' commands included;
//! - the hosts' commands have no stdin (`write` records an error), as in execo;
//! - a per-host timeout (the action's [`timeout`](TaktukRemote::timeout), or one set
//!   with `configure`) is TakTuk's own `exec timeout N kill 9`, enforced on the host;
//! - a host TakTuk cannot reach, and one whose connection is lost, are that host's
//!   recorded failures (a start error; an exit status lost), with ssh's words in its
//!   stderr, never the action's.
//!
//! Commands reach the remote shell exactly as written: they travel base64-encoded, so
//! TakTuk's grammar (brackets, `;`, its escape character) never sees them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::plan::{Action, Plan, PlanBody};
use super::taktuk_frames::{self as frames, Frame, Next};
use super::targets::{Targets, targets_builders};
use crate::config::DEFAULT_WINDOW;
use crate::host::{ConnectionParams, Host};
use crate::kernel::kernel;
use crate::process::{Ending, FedBy, Feed, Keep, Process, ProcessHandle, Sink, Stream};
use crate::substitution::SubstitutionError;
use crate::substitution::TemplateSource;

/// How TakTuk spreads over the hosts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Deployment {
    /// TakTuk's default: a tree grown by work stealing, no arity limit.
    #[default]
    Adaptive,
    /// A tree whose nodes deploy at most `arity` children each (`-d arity`).
    Tree {
        /// The largest number of children per node.
        arity: usize,
    },
    /// Every host reached from here (`-d -1`: static, only this machine connects).
    Flat,
}

/// What every TakTuk action shares beyond its hosts: the program and how it deploys.
#[derive(Clone, Debug)]
pub(crate) struct TaktukOptions {
    program: String,
    self_propagate: bool,
    deployment: Deployment,
    gateway: Option<Host>,
    timeout: Option<Duration>,
}

impl Default for TaktukOptions {
    fn default() -> Self {
        TaktukOptions {
            program: "taktuk".into(),
            self_propagate: true,
            deployment: Deployment::Adaptive,
            gateway: None,
            timeout: None,
        }
    }
}

/// The TakTuk builder methods of an action type with `t: Targets` and `o: TaktukOptions`.
macro_rules! taktuk_builders {
    ($ty:ident) => {
        impl $ty {
            /// The `taktuk` program (default: `taktuk` from `PATH`).
            pub fn program(mut self, program: impl Into<String>) -> $ty {
                self.o.program = program.into();
                self
            }
            /// Whether TakTuk sends itself to the hosts (`-s`, the default: the hosts
            /// need only perl), or runs the `taktuk` installed there.
            pub fn self_propagate(mut self, yes: bool) -> $ty {
                self.o.self_propagate = yes;
                self
            }
            /// How TakTuk deploys (default: its adaptive tree).
            pub fn deployment(mut self, deployment: Deployment) -> $ty {
                self.o.deployment = deployment;
                self
            }
            /// Reaches every host through `gateway` (`-G`): TakTuk runs there, forwards,
            /// and runs none of the commands.
            pub fn gateway(mut self, gateway: impl Into<Host>) -> $ty {
                self.o.gateway = Some(gateway.into());
                self
            }
            /// A timeout for each host's command, enforced on the host by TakTuk
            /// (`exec timeout N kill 9`); a host's own `timeout` (set with
            /// `configure`) wins.
            pub fn timeout(mut self, timeout: Duration) -> $ty {
                self.o.timeout = Some(timeout);
                self
            }
        }
    };
}

/// A command on many hosts through one `taktuk` (execo's `TaktukRemote`).
///
/// ```no_run
/// use execo_runtime::action::{Action, TaktukRemote};
/// let run = TaktukRemote::new("uname -r", ["node-1", "node-2"]).blocking_run()?;
/// for (host, p) in run.entries() {
///     println!("{host}: {}", p.map(|p| p.stdout()).unwrap_or_default());
/// }
/// # Ok::<(), execo_runtime::Error>(())
/// ```
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct TaktukRemote {
    t: Targets,
    o: TaktukOptions,
    cmd: String,
}

impl TaktukRemote {
    /// `cmd` (a template: see [`substitution`](crate::substitution)) on each of `hosts`.
    pub fn new<I, H>(cmd: impl Into<String>, hosts: I) -> TaktukRemote
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
    {
        TaktukRemote {
            t: Targets::new(hosts),
            o: TaktukOptions::default(),
            cmd: cmd.into(),
        }
    }
}
targets_builders!(TaktukRemote);
taktuk_builders!(TaktukRemote);

impl Action for TaktukRemote {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let template = self.t.compile(&TemplateSource::from(self.cmd.as_str()))?;
        let cmds: Vec<String> = (self.t.hosts.iter().enumerate())
            .map(|(i, h)| template.render(i, &h.address))
            .collect();
        let name = || format!("taktuk `{}` on {} hosts", self.cmd, self.t.hosts.len());
        Ok(plan_run(&self.t, &self.o, name, Job::Exec(cmds)))
    }
}

/// Copies local files to a directory on each host through one `taktuk` (execo's
/// `TaktukPut`). The directory may differ per host (`<<host>>`, lists): TakTuk sends
/// the files once to a staging directory on every host, then each host moves them
/// to its own directory.
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct TaktukPut {
    t: Targets,
    o: TaktukOptions,
    files: Vec<String>,
    remote_dir: String,
}

impl TaktukPut {
    /// Puts local `files` into `remote_dir` (a template; empty: the remote home) on
    /// every host.
    pub fn new<I, H, F, S>(hosts: I, files: F, remote_dir: &str) -> TaktukPut
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TaktukPut {
            t: Targets::new(hosts),
            o: TaktukOptions::default(),
            files: files.into_iter().map(Into::into).collect(),
            remote_dir: remote_dir.to_string(),
        }
    }
}
targets_builders!(TaktukPut);
taktuk_builders!(TaktukPut);

/// Copies files from each host into a local directory through one `taktuk` (execo's
/// `TaktukGet`). The local directory may name the host (`out/<<host>>`); it is created.
#[derive(Clone)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct TaktukGet {
    t: Targets,
    o: TaktukOptions,
    remote_files: Vec<String>,
    local_dir: String,
}

impl TaktukGet {
    /// Gets `remote_files` of every host into `local_dir` (a template), created if
    /// missing.
    pub fn new<I, H, F, S>(hosts: I, remote_files: F, local_dir: &str) -> TaktukGet
    where
        I: IntoIterator<Item = H>,
        H: Into<Host>,
        F: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TaktukGet {
            t: Targets::new(hosts),
            o: TaktukOptions::default(),
            remote_files: remote_files.into_iter().map(Into::into).collect(),
            local_dir: if local_dir.is_empty() { "." } else { local_dir }.to_string(),
        }
    }
}
targets_builders!(TaktukGet);
taktuk_builders!(TaktukGet);

impl Action for TaktukPut {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let dest = self
            .t
            .compile_path(&TemplateSource::from(self.remote_dir.as_str()))?;
        let dests: Vec<String> = (self.t.hosts.iter().enumerate())
            .map(|(i, h)| dest.render(i, &h.address))
            .collect();
        let name = || {
            format!(
                "taktuk put {} to {} hosts",
                self.files.join(" "),
                self.t.hosts.len()
            )
        };
        Ok(plan_run(
            &self.t,
            &self.o,
            name,
            Job::Put {
                files: self.files.clone(),
                dests,
            },
        ))
    }
}

impl Action for TaktukGet {
    fn plan(&self) -> Result<Plan, SubstitutionError> {
        let srcs = (self.remote_files.iter())
            .map(|s| self.t.compile_path(&TemplateSource::from(s.as_str())))
            .collect::<Result<Vec<_>, _>>()?;
        let dir = self
            .t
            .compile_path(&TemplateSource::from(self.local_dir.as_str()))?;
        let per_host = (self.t.hosts.iter().enumerate())
            .map(|(i, h)| {
                let s = srcs.iter().map(|s| s.render(i, &h.address)).collect();
                (s, dir.render(i, &h.address))
            })
            .collect();
        let name = || {
            format!(
                "taktuk get {} from {} hosts",
                self.remote_files.join(" "),
                self.t.hosts.len()
            )
        };
        Ok(plan_run(&self.t, &self.o, name, Job::Get(per_host)))
    }
}

/// What the TakTuk run does on the hosts.
#[derive(Clone, Debug)]
enum Job {
    /// One command per host.
    Exec(Vec<String>),
    /// Local files to each host's directory.
    Put {
        files: Vec<String>,
        dests: Vec<String>,
    },
    /// Each host's remote files to its local directory.
    Get(Vec<(Vec<String>, String)>),
}

impl Job {
    /// Why TakTuk cannot copy these paths, if it cannot (every host's failure).
    fn paths_problem(&self) -> Option<String> {
        let (verb, paths): (&str, Vec<&String>) = match self {
            Job::Exec(_) => return None,
            Job::Put { files, dests } => ("put", files.iter().chain(dests).collect()),
            Job::Get(g) => {
                if g.windows(2).any(|w| w[0].0 != w[1].0) {
                    return Some(
                        "failed to get through TakTuk: its `get` takes the same remote \
                         paths on every host (they differ here after substitution)"
                            .into(),
                    );
                }
                (
                    "get",
                    g.first().map(|p| p.0.iter().collect()).unwrap_or_default(),
                )
            }
        };
        paths.into_iter().find_map(|p| {
            path_problem(p).map(|why| format!("failed to {verb} `{p}` through TakTuk: {why}"))
        })
    }
}

/// The plan: one fed record per host, all fed by one shared run of `taktuk`.
fn plan_run(t: &Targets, o: &TaktukOptions, name: impl FnOnce() -> String, job: Job) -> Plan {
    let describe = |i: usize| match &job {
        Job::Exec(c) => c[i].clone(),
        Job::Put { files, dests } => format!("taktuk put {} -> {}", files.join(" "), dests[i]),
        Job::Get(g) => format!("taktuk get {} -> {}", g[i].0.join(" "), g[i].1),
    };
    let mut plan = t.plan(name, |i, host| {
        let mut p = Process::argv([o.program.clone()])
            .nolog_exit_code(t.params.nolog_exit_code)
            .nolog_timeout(t.params.nolog_timeout)
            .nolog_error(t.params.nolog_error);
        p.remote = Some((host.clone(), describe(i)));
        if let Some(d) = o.timeout {
            p = p.timeout(d);
        }
        p
    });
    let PlanBody::Processes {
        processes, window, ..
    } = &mut plan.body
    else {
        return plan;
    };
    let timeouts: Vec<Option<Duration>> = processes.iter().map(|p| p.timeout).collect();
    let run = Run::new(t, o, job, timeouts);
    let attach: Arc<crate::process::fed::AttachFn> = {
        let run = run.clone();
        Arc::new(move |i, feed| Run::attach(&run, i, feed))
    };
    for (i, p) in processes.iter_mut().enumerate() {
        p.fed = Some(FedBy {
            index: i,
            attach: attach.clone(),
        });
    }
    // Every record attaches at once: TakTuk's own window (`-w`) paces the connections.
    *window = processes.len().max(1);
    plan
}

/// One run of `taktuk` and the records it feeds.
struct Run {
    /// Hosts TakTuk is not given, and why (each its own failure).
    refused: Vec<Option<String>>,
    hosts: Vec<Host>,
    argv: Vec<String>,
    /// TakTuk position (`1`, `1.2`) of each host.
    positions: HashMap<String, usize>,
    timeouts: Vec<Option<Duration>>,
    /// What ends a host: its command (`Exec`, and `Put`'s move), or its files (`Get`).
    job: Job,
    /// Local staging directory of a `Get`.
    staging: Option<std::path::PathBuf>,
    state: Mutex<RunState>,
    done: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct RunState {
    spawned: bool,
    taktuk: Option<ProcessHandle>,
    pid: Option<i32>,
    feeds: Vec<Option<Feed>>,
    /// Frames for hosts whose record has not attached yet.
    pending: Vec<Vec<Frame>>,
    status: Vec<Option<i32>>,
    /// The last words of ssh (TakTuk's connector) about each host.
    connector: Vec<String>,
    /// Files received (`Get`: by this machine from the host; `Put`: by the host).
    received: Vec<usize>,
    failures: Vec<Vec<String>>,
    buf: Vec<u8>,
    /// TakTuk's own complaints, for the hosts it never reported on.
    diagnostics: Vec<String>,
    killed: bool,
}

/// Where `Put` stages files on every host before moving them to each host's directory.
fn remote_staging() -> String {
    format!(
        "/tmp/.execo-taktuk-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

impl Run {
    fn new(t: &Targets, o: &TaktukOptions, job: Job, timeouts: Vec<Option<Duration>>) -> Arc<Run> {
        let n = t.hosts.len();
        let mut params = t.params.clone();
        params.multiplex = false;
        let mut argv = vec![o.program.clone()];
        argv.extend(frames::template_args());
        if o.self_propagate {
            argv.push("-s".into());
        }
        match o.deployment {
            Deployment::Adaptive => {}
            Deployment::Tree { arity } => argv.extend(["-d".into(), arity.to_string()]),
            Deployment::Flat => argv.extend(["-d".into(), "-1".into()]),
        }
        if t.window != DEFAULT_WINDOW {
            argv.extend(["-w".into(), t.window.to_string()]);
        }
        let mut positions = HashMap::new();
        let prefix = match &o.gateway {
            Some(gw) => {
                argv.extend(["-c".into(), connector(&params, gw)]);
                argv.extend(["-G".into(), params.address(gw), "-[".into()]);
                "1."
            }
            None => "",
        };
        let staging_remote = remote_staging();
        let mut last_connector = None;
        let mut refused: Vec<Option<String>> = vec![None; n];
        let paths_problem = job.paths_problem();
        let mut next_position = 1;
        for (i, host) in t.hosts.iter().enumerate() {
            let address = params.address(host);
            let why = match (&paths_problem, params.check(host)) {
                (Some(p), _) => Some(p.clone()),
                (None, Err(e)) => Some(e.to_string()),
                // TakTuk expands brackets and `/` exclusions in host names.
                (None, Ok(())) if address.contains(['[', ']', '/']) => Some(format!(
                    "failed to reach `{host}` through TakTuk: TakTuk would read `[`, `]` or \
                     `/` in a host name as a host list"
                )),
                _ => None,
            };
            if why.is_some() {
                refused[i] = why;
                continue;
            }
            positions.insert(format!("{prefix}{next_position}"), i);
            next_position += 1;
            let c = connector(&params, host);
            if last_connector.as_ref() != Some(&c) {
                argv.extend(["-c".into(), c.clone()]);
                last_connector = Some(c);
            }
            argv.extend(["-m".into(), address]);
            if let Job::Exec(cmds) = &job {
                argv.extend(["-[".into(), "exec".into()]);
                if let Some(d) = timeouts[i] {
                    let secs = format!("{:.3}", d.as_secs_f64().max(0.001));
                    argv.extend(["timeout".into(), secs, "kill".into(), "9".into()]);
                }
                argv.push("[".into());
                argv.extend(frames::opaque_command(&cmds[i]));
                argv.extend(["]".into(), "-]".into()]);
            }
        }
        if o.gateway.is_some() {
            argv.push("-]".into());
        }
        let mut staging = None;
        match &job {
            Job::Exec(_) => {}
            Job::Put { files, dests } => {
                let same = dests.windows(2).all(|w| w[0] == w[1]);
                let to = if same && !dests.is_empty() {
                    dests[0].clone()
                } else {
                    staging_remote.clone()
                };
                let to = if to.is_empty() { ".".into() } else { to };
                for (k, f) in files.iter().enumerate() {
                    // Staged per host (`$TAKTUK_POSITION` is the receiver's), so that hosts sharing
                    // a file system do not share a staged file.
                    let to = if same {
                        to.clone()
                    } else {
                        format!("{staging_remote}-{k}-$TAKTUK_POSITION")
                    };
                    argv.extend(["broadcast", "put", "["].map(String::from));
                    argv.push(expand_home(f));
                    argv.extend(["]", "["].map(String::from));
                    argv.push(to);
                    argv.extend(["]", ";"].map(String::from));
                }
                // Then each host moves the staged files to its own directory; with one
                // directory for all, a no-op that tells each host is done.
                let mut script = String::from("case \"$TAKTUK_POSITION\" in\n");
                if !same {
                    let names: Vec<(String, String)> = (files.iter().enumerate())
                        .map(|(k, f)| {
                            let base = f.trim_end_matches('/').rsplit('/').next().unwrap_or(f);
                            (format!("{staging_remote}-{k}-"), base.to_string())
                        })
                        .collect();
                    for (pos, &i) in &positions {
                        let d = if dests[i].is_empty() { "." } else { &dests[i] };
                        let d = crate::shell::quote(d);
                        let mut line = format!("{pos}) mkdir -p -- {d}");
                        for (staged, base) in &names {
                            let to = crate::shell::quote(&format!("{}/{base}", dests[i]));
                            let staged = crate::shell::quote(&format!("{staged}{pos}"));
                            line += &format!(" && cp -rp -- {staged} {to} && rm -rf -- {staged}");
                        }
                        script += &line;
                        script += ";;\n";
                    }
                    script += "esac";
                } else {
                    script += "esac";
                }
                // `synchronize`: only once the puts are complete everywhere.
                argv.extend(["synchronize", "broadcast", "exec", "["].map(String::from));
                argv.extend(frames::opaque_command(&script));
                argv.push("]".into());
            }
            Job::Get(_) => {
                let dir = std::env::temp_dir().join(format!(
                    ".execo-taktuk-get-{}",
                    &staging_remote[staging_remote.rfind('-').map_or(0, |i| i + 1)..]
                ));
                let Job::Get(per_host) = &job else {
                    unreachable!()
                };
                // TakTuk's get takes one source list for all: each host's own sources
                // are its first host's (substitutions in remote paths are by host,
                // below, through TakTuk's `$position`-free paths).
                let srcs: Vec<&String> = per_host
                    .first()
                    .map(|p| p.0.iter().collect())
                    .unwrap_or_default();
                for s in srcs {
                    argv.extend(["broadcast", "get", "["].map(String::from));
                    argv.push(s.clone());
                    argv.extend(["]", "["].map(String::from));
                    argv.push(format!("{}/$position/", dir.display()));
                    argv.extend(["]", ";"].map(String::from));
                }
                staging = Some(dir);
            }
        }
        let (done, _) = tokio::sync::watch::channel(false);
        Arc::new(Run {
            refused,
            hosts: t.hosts.clone(),
            argv,
            positions,
            timeouts,
            job,
            staging,
            state: Mutex::new(RunState {
                feeds: (0..n).map(|_| None).collect(),
                pending: (0..n).map(|_| Vec::new()).collect(),
                status: vec![None; n],
                connector: vec![String::new(); n],
                received: vec![0; n],
                failures: vec![Vec::new(); n],
                ..RunState::default()
            }),
            done,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RunState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A host's record starts: the first one starts `taktuk`.
    fn attach(run: &Arc<Run>, i: usize, mut feed: Feed) {
        if let Some(Some(why)) = run.refused.get(i) {
            return feed.end(Ending::Failed(why.clone()));
        }
        let mut st = run.lock();
        if !st.spawned {
            st.spawned = true;
            drop(st);
            Run::spawn(run);
            st = run.lock();
        }
        match (st.pid, st.feeds.get(i)) {
            (Some(pid), Some(None)) => {
                feed.started(pid);
                // Killing this host's record kills the run.
                let kill = feed.kill_requested();
                let mut done = run.done.subscribe();
                let r = run.clone();
                kernel().spawn(async move {
                    tokio::select! {
                        _ = kill => r.kill(),
                        _ = done.wait_for(|d| *d) => {}
                    }
                });
                st.feeds[i] = Some(feed);
                let pending = std::mem::take(&mut st.pending[i]);
                for f in pending {
                    run.handle(&mut st, f);
                }
                if st.taktuk.is_none() {
                    // TakTuk ended before this record attached.
                    run.finish_host(&mut st, i);
                }
            }
            (Some(_), _) => feed.end(Ending::Failed(format!(
                "failed to run `{}` on `{}`: this TakTuk plan was already started (plan it again)",
                run.argv[0],
                run.hosts.get(i).map(Host::to_string).unwrap_or_default()
            ))),
            (None, _) => {
                let why = st.diagnostics.last().cloned().unwrap_or_default();
                feed.end(Ending::Failed(format!(
                    "failed to run `{}` for `{}`: {why}",
                    run.argv[0],
                    run.hosts.get(i).map(Host::to_string).unwrap_or_default()
                )))
            }
        }
    }

    fn spawn(run: &Arc<Run>) {
        let reader = run.clone();
        let ender = run.clone();
        let mut p = Process::argv(run.argv.clone())
            .name(format!("taktuk ({} hosts)", run.hosts.len()))
            .keep_stdout(Keep::Nothing)
            .keep_stderr(Keep::Tail(16 * 1024))
            .stdout_to(Sink::chunks(move |chunk| reader.read(chunk)))
            .nolog_exit_code(true)
            .nolog_error(true)
            .nolog_timeout(true)
            .on_end(move |h| ender.ended(h));
        if let Some(dir) = &run.staging {
            // TakTuk's `get` writes into `DIR/$position/`, which must exist.
            let dirs: Vec<_> = run.positions.keys().map(|p| dir.join(p)).collect();
            p.before_start(move || {
                for d in &dirs {
                    std::fs::create_dir_all(d).map_err(|e| {
                        format!("failed to create local directory `{}`: {e}", d.display())
                    })?;
                }
                Ok(())
            });
        }
        let h = p.start();
        let mut st = run.lock();
        match h.start_error() {
            Some(e) => {
                let e = if e.contains("No such file") || e.contains("not found") {
                    format!("{e} (install TakTuk: `apt-get install taktuk`)")
                } else {
                    e
                };
                st.diagnostics.push(e);
            }
            None => {
                st.pid = h.pid();
                st.taktuk = Some(h);
            }
        }
    }

    /// Kills the run: TakTuk and its ssh connections (its process group).
    fn kill(&self) {
        let t = {
            let mut st = self.lock();
            st.killed = true;
            st.taktuk.as_ref().map(ProcessHandle::non_owning)
        };
        if let Some(t) = t {
            t.kill();
        }
    }

    /// A chunk of TakTuk's output.
    fn read(&self, chunk: &[u8]) {
        let mut st = self.lock();
        st.buf.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            match frames::next(&st.buf[at..]) {
                Next::Frame(f, n) => {
                    at += n;
                    self.handle(&mut st, f);
                }
                Next::Garbage(n, why) => {
                    let line = String::from_utf8_lossy(&st.buf[at..at + n]).into_owned();
                    tracing::warn!("taktuk: unreadable output ({why}): {:?}", line.trim_end());
                    at += n;
                }
                Next::Incomplete => break,
            }
        }
        st.buf.drain(..at);
    }

    fn host_of(&self, position: &str) -> Option<usize> {
        self.positions.get(position).copied()
    }

    fn handle(&self, st: &mut RunState, f: Frame) {
        let about = match f.kind {
            b't' | b'c' if !f.peer.is_empty() => self.host_of(&f.peer),
            _ => self.host_of(&f.position),
        };
        match f.kind {
            b'k' | b'd' => {
                let text = String::from_utf8_lossy(&f.payload).trim_end().to_string();
                tracing::debug!("taktuk [{}]: {text}", f.position);
                st.diagnostics.push(text);
                if st.diagnostics.len() > 16 {
                    st.diagnostics.remove(0);
                }
                return;
            }
            b'c' if f.peer.is_empty() => return,
            _ => {}
        }
        let Some(i) = about else {
            return;
        };
        if st.feeds[i].is_none() {
            st.pending[i].push(f);
            return;
        }
        match f.kind {
            b'o' | b'e' => {
                let stream = if f.kind == b'o' {
                    Stream::Stdout
                } else {
                    Stream::Stderr
                };
                if let Some(feed) = st.feeds[i].as_mut() {
                    feed.output(stream, &f.payload);
                }
            }
            b'c' => {
                if let Some(feed) = st.feeds[i].as_mut() {
                    feed.output(Stream::Stderr, &f.payload);
                }
                let text = String::from_utf8_lossy(&f.payload).trim_end().to_string();
                if !text.is_empty() {
                    st.connector[i] = text;
                }
            }
            b's' => {
                st.status[i] = String::from_utf8_lossy(&f.payload).trim().parse().ok();
            }
            b't' => self.state_event(st, i, &f),
            _ => {}
        }
    }

    fn state_event(&self, st: &mut RunState, i: usize, f: &Frame) {
        let code: i32 = String::from_utf8_lossy(&f.payload)
            .trim()
            .parse()
            .unwrap_or(-1);
        let host = self.hosts[i].to_string();
        let peer_event = !f.peer.is_empty();
        match code {
            // Connection failed.
            3 if peer_event => {
                let why = match st.connector[i].as_str() {
                    "" => "connection failed".to_string(),
                    c => c.to_string(),
                };
                self.end(
                    st,
                    i,
                    Ending::Failed(format!(
                        "failed to connect to `{host}` through TakTuk: {why}"
                    )),
                );
            }
            // Connection lost: this host and all it deployed.
            5 if peer_event => {
                let prefix = format!("{}.", f.peer);
                let behind: Vec<usize> = (self.positions.iter())
                    .filter(|(p, _)| p.starts_with(&prefix) || **p == f.peer)
                    .map(|(_, &j)| j)
                    .collect();
                for j in behind {
                    if let Some(feed) = st.feeds[j].as_mut()
                        && !feed.is_done()
                    {
                        feed.output(
                            Stream::Stderr,
                            format!("execo: TakTuk lost its connection to `{}`\n", self.hosts[j])
                                .as_bytes(),
                        );
                    }
                    self.end(st, j, Ending::Lost);
                }
            }
            // Command failed to start.
            7 if !peer_event => {
                self.end(
                    st,
                    i,
                    Ending::Failed(format!(
                        "failed to run `{}` on `{host}`: TakTuk could not execute it",
                        self.describe(i)
                    )),
                );
            }
            // Command terminated.
            8 if !peer_event => {
                let ending = match st.status[i] {
                    None => Ending::Lost,
                    Some(ws) => match frames::decode_wait_status(ws) {
                        Ok(code) => Ending::Exit(code),
                        Err(signal) => {
                            let ran = st.feeds[i].as_ref().and_then(Feed::elapsed);
                            let timed_out = signal == 9
                                && matches!((self.timeouts[i], ran), (Some(t), Some(r)) if r + Duration::from_millis(50) >= t);
                            Ending::Signal { signal, timed_out }
                        }
                    },
                };
                let ending = match (&self.job, ending) {
                    (Job::Put { files, .. }, Ending::Exit(0)) if st.received[i] < files.len() => {
                        let why = st.failures[i].join("; ");
                        Ending::Failed(format!(
                            "failed to put {} on `{host}`: {}",
                            files.join(" "),
                            if why.is_empty() {
                                "not every file arrived".into()
                            } else {
                                why
                            }
                        ))
                    }
                    (_, e) => e,
                };
                self.end(st, i, ending);
            }
            // File reception terminated (by the host for a put, here for a get).
            15 => st.received[i] += 1,
            14 | 16 => {
                let what = if code == 14 {
                    "file reception failed"
                } else {
                    "file send failed"
                };
                st.failures[i].push(what.to_string());
            }
            _ => {}
        }
    }

    fn describe(&self, i: usize) -> String {
        match &self.job {
            Job::Exec(c) => c[i].clone(),
            Job::Put { dests, .. } => format!("put to {}", dests[i]),
            Job::Get(g) => format!("get {}", g[i].0.join(" ")),
        }
    }

    fn end(&self, st: &mut RunState, i: usize, ending: Ending) {
        if let Some(feed) = st.feeds[i].as_mut() {
            feed.end(ending);
        }
    }

    /// TakTuk has ended: every host not reported on ends now.
    fn ended(&self, h: &ProcessHandle) {
        let mut st = self.lock();
        st.taktuk = None;
        let tail: String = h.stderr().lines().last().unwrap_or_default().to_string();
        if !tail.is_empty() {
            st.diagnostics.push(tail);
        }
        let signal = h.signal();
        for i in 0..self.hosts.len() {
            if st.feeds[i].as_ref().is_some_and(|f| !f.is_done()) {
                if st.killed || h.killed() {
                    self.end(&mut st, i, Ending::Killed { signal });
                } else {
                    self.finish_host(&mut st, i);
                }
            }
        }
        self.done.send_replace(true);
    }

    /// The end of a host TakTuk has stopped reporting on.
    fn finish_host(&self, st: &mut RunState, i: usize) {
        let host = self.hosts[i].to_string();
        let ending = match &self.job {
            Job::Get(per_host) => {
                let failures = st.failures[i].join("; ");
                match self.collect_get(i, &per_host[i].1) {
                    Err(e) => Ending::Failed(e),
                    Ok(_) if !failures.is_empty() => Ending::Failed(format!(
                        "failed to get {} from `{host}`: {failures}",
                        per_host[i].0.join(" ")
                    )),
                    Ok(0) => Ending::Failed(format!(
                        "failed to get {} from `{host}`: nothing arrived",
                        per_host[i].0.join(" ")
                    )),
                    Ok(_) => Ending::Exit(0),
                }
            }
            _ => {
                let why = match st.diagnostics.last() {
                    Some(d) => format!("TakTuk ended without its result ({d})"),
                    None => "TakTuk ended without its result".into(),
                };
                Ending::Failed(format!(
                    "failed to run `{}` on `{host}`: {why}",
                    self.describe(i)
                ))
            }
        };
        self.end(st, i, ending);
    }

    /// Moves what a `Get` staged for host `i` into its local directory: how many
    /// entries.
    fn collect_get(&self, i: usize, local: &str) -> Result<usize, String> {
        let Some(stage) = &self.staging else {
            return Ok(0);
        };
        let pos = self
            .positions
            .iter()
            .find(|(_, j)| **j == i)
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        let from = stage.join(&pos);
        let local = expand_home(local);
        let host = &self.hosts[i];
        let entries = match std::fs::read_dir(&from) {
            Ok(e) => e,
            Err(_) => return Ok(0),
        };
        std::fs::create_dir_all(&local).map_err(|e| {
            format!("failed to create local directory `{local}` for host `{host}`: {e}")
        })?;
        let mut n = 0;
        for e in entries.flatten() {
            let to = std::path::Path::new(&local).join(e.file_name());
            std::fs::rename(e.path(), &to).map_err(|err| {
                format!(
                    "failed to move `{}` to `{}` for host `{host}`: {err}",
                    e.path().display(),
                    to.display()
                )
            })?;
            n += 1;
        }
        std::fs::remove_dir(&from).ok();
        Ok(n)
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(dir) = &self.staging {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// The ssh command TakTuk connects to `host` with: our ssh, its options, the host's (or
/// the parameters') user, key, port and `-F` configuration, each word quoted (TakTuk
/// gives it to a shell). TakTuk appends the address and its own command.
fn connector(params: &ConnectionParams, host: &Host) -> String {
    let mut argv = params.ssh_argv_without_command(host, &[]);
    // `… -- address`: TakTuk adds the address itself.
    argv.truncate(argv.len().saturating_sub(2));
    crate::shell::join(&argv)
}

/// Why TakTuk's command grammar would misread `path` in `put [ path ]`, if it would:
/// a lone bracket ends or opens a word group, `;` and newlines end a command.
fn path_problem(path: &str) -> Option<&'static str> {
    if path.split(' ').any(|w| w == "[" || w == "]") {
        Some("a lone `[` or `]` in it would end TakTuk's brackets")
    } else if path.contains([';', '\n']) || path.is_empty() {
        Some("TakTuk would read `;` or a newline as the end of its command")
    } else {
        None
    }
}

/// `path` with a leading `~` or `~/` made the home directory.
fn expand_home(path: &str) -> String {
    match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => match std::env::var("HOME") {
            Ok(home) if !home.is_empty() => format!("{}{rest}", home.trim_end_matches('/')),
            _ => path.to_string(),
        },
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_taktuk_would_misread_are_refused() {
        for bad in ["a ] b", "[ x", "a;b", "a\nb", ""] {
            assert!(path_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["/tmp/a b", "x]y", "[x]", "/data/$HOME", "~/f"] {
            assert_eq!(path_problem(good), None, "{good:?}");
        }
    }

    #[test]
    fn the_connector_is_our_ssh_with_the_hosts_own_user_port_key_and_config() {
        let params = ConnectionParams {
            ssh_config: Some("/etc/my ssh/config".into()),
            user: Some("root".into()),
            ..ConnectionParams::default()
        };
        let host = Host::new("n1").user("alice").port(2222).keyfile("/k");
        let c = connector(&params, &host);
        assert!(c.starts_with("ssh "), "{c}");
        assert!(c.contains("-F '/etc/my ssh/config'"), "{c}");
        assert!(c.contains("User=alice") && !c.contains("User=root"), "{c}");
        assert!(c.contains("Port=2222") && c.contains("-i /k"), "{c}");
        assert!(!c.contains("n1") && !c.ends_with("--"), "{c}");
    }

    #[test]
    fn per_host_commands_and_timeouts_go_into_the_argv() {
        let t = Targets::new(["a", "b"]);
        let run = Run::new(
            &t,
            &TaktukOptions::default(),
            Job::Exec(vec!["echo ] [ ;".into(), "true".into()]),
            vec![Some(Duration::from_millis(1500)), None],
        );
        let argv = run.argv.join(" ");
        assert!(
            argv.contains("-m a -[ exec timeout 1.500 kill 9 [ eval"),
            "{argv}"
        );
        assert!(argv.contains("-m b -[ exec [ eval"), "{argv}");
        assert!(
            !argv.contains("echo ]"),
            "the command travels encoded: {argv}"
        );
        assert_eq!(run.positions.get("2"), Some(&1));
    }
}
