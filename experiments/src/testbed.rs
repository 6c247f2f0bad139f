//! Where an experiment's hosts are: real machines over ssh (`--hosts`), or, with none
//! given, this machine, so that an experiment runs on a fresh machine with nothing to
//! reserve or configure.
//!
//! - **ssh** (`--hosts a,b`, `--hosts 'node-[1-2]'`, `user@a:2222`): execo's `Remote`
//!   over OpenSSH, with the user's configuration.
//! - **network namespaces** (root, the default when possible): one namespace per host,
//!   `PREFIX-a`, `PREFIX-b`, ..., each with its own TCP stack, address
//!   (`10.215.0.1`, `10.215.0.2`, ...) and `eth0`, all plugged into a bridge in a
//!   `PREFIX-sw` namespace. Nothing is added to the machine's own network (no interface,
//!   route or address in the root namespace), so the addresses collide with nothing and
//!   two testbeds with different prefixes live side by side. Each `eth0` can be shaped
//!   (`tc qdisc ... netem`, see [`Testbed::new`]).
//! - **loopback** (not root, or `--loopback`): every host is this machine, `127.0.0.1`;
//!   commands run as local processes; ports must then differ ([`Testbed::ports`]).
//! - **Grid'5000** (feature `g5k`, `--g5k 'taurus:2,walltime=1:00'`): nodes reserved for
//!   the run ([`execo::g5k::reservation`]), in a job named after the experiment and its
//!   result directory, so that `-C DIR` after a `kill -9` reuses the job; reached over
//!   ssh with the configuration (`[connection]`, `[g5k]`), as root once deployed
//!   (`deploy=ENV`); released by the tear-down unless `keep`.
//!
//! All are reached the same way: through execo's [`ConnectionParams`], whose
//! "ssh program" is a parameter (it is how execo runs over `oarsh`). For namespaces it
//! is `sh -c 'exec ip netns exec "$1" sh -c "$2"'`, which receives the host and the
//! command where ssh would (after ssh's `--`, its `$0`); for loopback,
//! `sh -c 'exec sh -c "$2"'`. So an experiment
//! writes `remote!("iperf3 -s" on [server]).params(tb.params())` once, and gets the
//! same processes, timeouts, kills, expect and reports whatever the testbed.
//!
//! Namespaces are deleted when the [`Testbed`] is dropped, at program exit, and on
//! SIGINT/SIGTERM/SIGHUP (an [`execo::process::on_exit`] hook). A `kill -9` leaves them,
//! and the processes it started in them: the next run with the same prefix kills those
//! and deletes the leftovers before it creates its own. A run holds a lock on its prefix
//! (`/run/lock/execo-netns-PREFIX.lock`), so a second run beside it is told so instead
//! of pulling its namespaces away.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use execo::prelude::*;

/// The testbed part of an experiment's command line; `#[command(flatten)]` it.
#[derive(clap::Args, Debug, Clone)]
pub struct TestbedArgs {
    /// Run on these hosts over ssh, in order: `a,b`, `user@a:2222,b` or a node set
    /// `node-[1-2]`. Without it, on this machine: in network namespaces when root, else
    /// over loopback.
    #[arg(long, value_name = "HOSTS")]
    pub hosts: Option<String>,
    /// Without --hosts: run over loopback even as root (no network namespaces).
    #[arg(long, conflicts_with = "hosts")]
    pub loopback: bool,
    /// Names of the network namespaces: PREFIX-a, PREFIX-b... and PREFIX-sw.
    #[arg(long, value_name = "PREFIX", default_value = "execo-xp", hide = true)]
    pub netns_prefix: String,
    /// Reserve the hosts on Grid'5000: `CLUSTER:N[,SITE:N...]` and `walltime=H:MM`,
    /// `deploy=ENV`, `keep`, `queue=Q`, `site=S`. The job is named after the experiment
    /// and its result directory (`-C DIR` reuses it) and released at the end unless
    /// `keep`.
    #[cfg(feature = "g5k")]
    #[arg(long, value_name = "REQUEST", conflicts_with_all = ["hosts", "loopback"],
          value_parser = parse_request)]
    pub g5k: Option<execo::g5k::NodeRequest>,
}

/// `--g5k`'s value, checked before anything runs.
#[cfg(feature = "g5k")]
fn parse_request(s: &str) -> Result<execo::g5k::NodeRequest, String> {
    execo::g5k::NodeRequest::parse(s).map_err(|e| e.to_string())
}

/// Where a result was measured on Grid'5000: put in each result of a `--g5k` run.
#[derive(serde::Serialize, Debug, Clone, PartialEq, Eq)]
pub struct G5kRecord {
    /// The sites, comma-separated.
    pub site: String,
    /// The nodes' clusters, comma-separated.
    pub cluster: String,
    /// The job ids, comma-separated, in the sites' order.
    pub job: String,
    /// The experiment's hosts.
    pub nodes: Vec<String>,
}

/// What the hosts of a [`Testbed`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Machines reached over ssh.
    Ssh,
    /// Network namespaces of this machine.
    Netns,
    /// This machine, over loopback.
    Loopback,
    /// Grid'5000 nodes reserved for the run (`--g5k`).
    G5k,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Ssh => "ssh",
            Kind::Netns => "netns",
            Kind::Loopback => "loopback",
            Kind::G5k => "g5k",
        })
    }
}

/// Why a testbed could not be set up; the message names the host or command and the
/// cause, and says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestbedError(pub String);

impl From<TestbedError> for execo::Error {
    /// So that an experiment returning `execo::Result` takes a testbed error with `?`.
    fn from(e: TestbedError) -> execo::Error {
        execo::Error::Message(e.0)
    }
}

impl fmt::Display for TestbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestbedError {}

/// The hosts an experiment runs on and how to reach them.
pub struct Testbed {
    kind: Kind,
    hosts: Vec<Host>,
    params: ConnectionParams,
    link: String,
    namespaces: Vec<String>,
    /// Held while the namespaces are ours (see [`lock`]).
    _lock: Option<std::fs::File>,
    /// The jobs of a `--g5k` run, released by [`Testbed::tear_down`].
    #[cfg(feature = "g5k")]
    reservation: Option<execo::g5k::Reservation>,
}

/// The first address of the namespace hosts; host `i` is `10.215.0.{i+1}`. Not the test
/// harness's 10.214.X.0/24, and never routed from the root namespace anyway.
const NETNS_SUBNET: &str = "10.215.0";

/// How long one setup command (`ip`, `tc`) may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Namespaces to delete at exit, whatever way the program ends.
static TO_DELETE: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl Testbed {
    /// The `n` hosts `args` says: those of `--hosts` (at least `n`, the first `n` used),
    /// else `n` network namespaces when root (their `eth0` shaped by `tc qdisc replace
    /// dev eth0 root netem <netem>` when `netem` is given and the kernel has netem; a
    /// warning and no shaping otherwise), else loopback.
    pub fn new(args: &TestbedArgs, n: usize, netem: Option<&str>) -> Result<Testbed, TestbedError> {
        if let Some(spec) = &args.hosts {
            return Testbed::ssh(spec, n);
        }
        if args.loopback {
            return Ok(Testbed::loopback(n, "loopback"));
        }
        if !rustix::process::geteuid().is_root() {
            tracing::info!(
                "not root: the hosts are this machine over loopback (network namespaces need \
                 root)"
            );
            return Ok(Testbed::loopback(n, "loopback (not root)"));
        }
        match Testbed::netns(&args.netns_prefix, n, netem) {
            Ok(tb) => Ok(tb),
            // A container without CAP_SYS_ADMIN, no iproute2...: still run, over loopback.
            Err(e) => {
                tracing::warn!("{e}; running over loopback instead");
                Ok(Testbed::loopback(n, "loopback (no network namespaces)"))
            }
        }
    }

    /// The `n` hosts of experiment `experiment` writing to `result_dir`: reserved on
    /// Grid'5000 with `--g5k` (see [`Testbed::g5k`]), else as [`Testbed::new`] says.
    pub fn for_experiment(
        experiment: &str,
        result_dir: &Path,
        args: &TestbedArgs,
        n: usize,
        netem: Option<&str>,
    ) -> Result<Testbed, TestbedError> {
        #[cfg(feature = "g5k")]
        if let Some(req) = &args.g5k {
            return Testbed::g5k(experiment, result_dir, req, n);
        }
        let _ = (experiment, result_dir);
        Testbed::new(args, n, netem)
    }

    /// The first `n` nodes of `req`, reserved (or reused: the job is named after
    /// `experiment` and `result_dir`), waited for and deployed as it asks; reached over
    /// ssh with the configured connection parameters (through the access host when
    /// `[g5k] through_access`), as root once deployed.
    #[cfg(feature = "g5k")]
    pub fn g5k(
        experiment: &str,
        result_dir: &Path,
        req: &execo::g5k::NodeRequest,
        n: usize,
    ) -> Result<Testbed, TestbedError> {
        use execo::g5k::reservation::{Reservation, job_name};
        if (req.nodes() as usize) < n {
            return Err(TestbedError(format!(
                "--g5k `{req}`: {} node(s), this experiment needs {n}",
                req.nodes()
            )));
        }
        let settings = execo::config::Config::global().g5k.clone();
        let name = job_name(experiment, result_dir);
        let r = Reservation::blocking_make(req, &name, &settings)
            .map_err(|e| TestbedError(e.to_string()))?;
        let mut params = ConnectionParams::configured();
        execo::g5k::frontend::through_access(&mut params, &settings);
        if r.deployed {
            params.user = Some("root".into());
        }
        let hosts: Vec<Host> = r.nodes.iter().take(n).cloned().collect();
        tracing::info!(
            "hosts: {} ({}, job {name})",
            hosts
                .iter()
                .map(|h| h.address.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            r.jobs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Testbed {
            kind: Kind::G5k,
            link: format!("g5k {}", r.clusters().join("+")),
            hosts,
            params,
            namespaces: Vec::new(),
            _lock: None,
            reservation: Some(r),
        })
    }

    /// `n` hosts over ssh from `spec`.
    pub fn ssh(spec: &str, n: usize) -> Result<Testbed, TestbedError> {
        let hosts = parse_hosts(spec)?;
        if hosts.len() < n {
            return Err(TestbedError(format!(
                "--hosts `{spec}`: {} host(s), this experiment needs {n}",
                hosts.len()
            )));
        }
        Ok(Testbed {
            kind: Kind::Ssh,
            hosts: hosts.into_iter().take(n).collect(),
            params: ConnectionParams::configured(),
            link: "ssh".into(),
            namespaces: Vec::new(),
            _lock: None,
            #[cfg(feature = "g5k")]
            reservation: None,
        })
    }

    /// `n` hosts that are all this machine, `127.0.0.1`.
    pub fn loopback(n: usize, link: &str) -> Testbed {
        Testbed {
            kind: Kind::Loopback,
            hosts: vec![Host::new("127.0.0.1"); n],
            params: shell_params(r#"exec sh -c "$2""#, None),
            link: link.into(),
            namespaces: Vec::new(),
            _lock: None,
            #[cfg(feature = "g5k")]
            reservation: None,
        }
    }

    /// `n` network namespaces `prefix-a`, `prefix-b`... on a bridge (needs root).
    pub fn netns(prefix: &str, n: usize, netem: Option<&str>) -> Result<Testbed, TestbedError> {
        if n == 0 || n > 26 {
            return Err(TestbedError(format!(
                "{n} namespace hosts: between 1 and 26 are supported"
            )));
        }
        let names: Vec<String> = (0..n)
            .map(|i| format!("{prefix}-{}", (b'a' + i as u8) as char))
            .collect();
        let switch = format!("{prefix}-sw");
        let lock = lock(prefix)?;
        remove_leftovers(prefix)?;
        // From here on, whatever fails or however the program ends, they go.
        let mut tb = Testbed {
            kind: Kind::Netns,
            hosts: Vec::new(),
            params: ConnectionParams::default(),
            link: "veth".into(),
            namespaces: Vec::new(),
            _lock: Some(lock),
            #[cfg(feature = "g5k")]
            reservation: None,
        };
        let mut add = |ns: &str| -> Result<(), TestbedError> {
            cmd(&["ip", "netns", "add", ns])?;
            tb.namespaces.push(ns.to_string());
            TO_DELETE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ns.to_string());
            Ok(())
        };
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| execo::process::on_exit(delete_registered));
        add(&switch)?;
        cmd(&["ip", "-n", &switch, "link", "add", "br0", "type", "bridge"])?;
        cmd(&["ip", "-n", &switch, "link", "set", "br0", "up"])?;
        let mut addresses = Vec::new();
        for (i, ns) in names.iter().enumerate() {
            add(ns)?;
            let port = format!("p{i}");
            let address = format!("{NETNS_SUBNET}.{}", i + 1);
            cmd(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
            // Created directly in the two namespaces: no name taken in the root one.
            cmd(&[
                "ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", &port,
                "netns", &switch,
            ])?;
            cmd(&[
                "ip", "-n", &switch, "link", "set", &port, "master", "br0", "up",
            ])?;
            cmd(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("{address}/24"),
                "dev",
                "eth0",
            ])?;
            cmd(&["ip", "-n", ns, "link", "set", "eth0", "up"])?;
            addresses.push(address);
        }
        if let Some(spec) = netem {
            tb.link = shape(&names, spec);
        }
        let by_address: Vec<(String, String)> = addresses
            .iter()
            .cloned()
            .zip(names.iter().cloned())
            .collect();
        tb.hosts = addresses.iter().map(Host::new).collect();
        tb.params = shell_params(
            r#"exec ip netns exec "$1" sh -c "$2""#,
            Some(Arc::new(move |address: &str| {
                by_address
                    .iter()
                    .find(|(a, _)| a == address)
                    .map_or_else(|| address.to_string(), |(_, ns)| ns.clone())
            })),
        );
        wait_reachable(&tb)?;
        tracing::info!(
            "hosts: network namespaces {} ({}), link {}",
            names.join(", "),
            addresses.join(", "),
            tb.link
        );
        Ok(tb)
    }

    /// What the hosts are.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The hosts, in order. Their addresses are what the other hosts connect to.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// How to reach the hosts: give it to every action (`.params(tb.params())`).
    pub fn params(&self) -> ConnectionParams {
        self.params.clone()
    }

    /// The link between the hosts, for the record: `ssh`, `loopback`, `veth`, or `veth,
    /// netem delay 10ms rate 1gbit`.
    pub fn link(&self) -> &str {
        &self.link
    }

    /// `n` TCP ports to listen on: `base`, `base + 1`... on separate hosts; ports free
    /// right now on loopback, where every host is this machine.
    pub fn ports(&self, base: u16, n: usize) -> Result<Vec<u16>, TestbedError> {
        if self.kind != Kind::Loopback {
            return Ok((0..n as u16).map(|i| base.saturating_add(i)).collect());
        }
        // Held together so that they differ, then released for the servers to take.
        let listeners = (0..n)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| TestbedError(format!("failed to find a free port on 127.0.0.1: {e}")))?;
        listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| TestbedError(format!("failed to find a free port on 127.0.0.1: {e}")))
    }

    /// Where the hosts are on Grid'5000, for each result of a `--g5k` run; `None`
    /// elsewhere.
    pub fn g5k_record(&self) -> Option<G5kRecord> {
        #[cfg(feature = "g5k")]
        if let Some(r) = &self.reservation {
            let join = |v: Vec<String>| v.join(",");
            return Some(G5kRecord {
                site: join(r.sites()),
                cluster: join(r.clusters()),
                job: join(r.jobs.iter().map(|j| j.id.to_string()).collect()),
                nodes: self.hosts.iter().map(|h| h.address.clone()).collect(),
            });
        }
        None
    }

    /// Whether the hosts are still the experiment's: on Grid'5000, an error naming the
    /// job when it no longer runs (deleted by someone else, walltime over); always so
    /// elsewhere. One `oarstat` per job.
    pub async fn check(&self) -> Result<(), TestbedError> {
        #[cfg(feature = "g5k")]
        if let Some(r) = &self.reservation {
            return r.check().await.map_err(|e| TestbedError(e.to_string()));
        }
        Ok(())
    }

    /// Runs `work` while [`check`](Self::check)ing, at the same time, that the hosts are
    /// still the experiment's (so the check's round trip to the frontend costs no time);
    /// the check's error wins over `work`'s result.
    pub async fn while_held<T, E: From<TestbedError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let (held, done) = both(self.check(), work).await;
        held?;
        done
    }

    /// Deletes the namespaces and releases the Grid'5000 jobs (unless `keep`) now, once;
    /// also done on drop, and for namespaces at exit. A job that ended before (deleted by
    /// someone else) is an error saying so.
    pub fn tear_down(&mut self) -> Result<(), TestbedError> {
        delete(&std::mem::take(&mut self.namespaces));
        #[cfg(feature = "g5k")]
        if let Some(mut r) = self.reservation.take() {
            let released = r.blocking_release();
            let t = &r.timings;
            let secs = |d: Option<std::time::Duration>| {
                d.map_or("-".to_string(), |d| format!("{:.2} s", d.as_secs_f64()))
            };
            tracing::info!(
                "g5k timings: plan {}, submit {}, wait {}, deploy {}, release {}",
                secs(Some(t.plan)),
                secs(Some(t.submit)),
                secs(Some(t.wait)),
                secs(t.deploy),
                secs(t.release)
            );
            released.map_err(|e| TestbedError(e.to_string()))?;
        }
        Ok(())
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        if let Err(e) = self.tear_down() {
            tracing::warn!("{e}");
        }
    }
}

impl fmt::Debug for Testbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Testbed")
            .field("kind", &self.kind)
            .field("hosts", &self.hosts)
            .field("link", &self.link)
            .field("namespaces", &self.namespaces)
            .finish()
    }
}

/// Awaits `a` and `b` together (polled in turn on one task): both outputs.
async fn both<A, B>(a: impl Future<Output = A>, b: impl Future<Output = B>) -> (A, B) {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        match (ra.take(), rb.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                (ra, rb) = (x, y);
                Poll::Pending
            }
        }
    })
    .await
}

/// Connection parameters whose "ssh" is `sh -c SCRIPT -- HOST CMD` (ssh's options end with
/// `--`, which `sh` takes as `$0`): the host as `$1`, the command as `$2`.
fn shell_params(script: &str, rewrite: Option<execo::host::HostRewrite>) -> ConnectionParams {
    ConnectionParams {
        ssh: "sh".into(),
        ssh_options: vec!["-c".into(), script.into()],
        host_rewrite: rewrite,
        ..ConnectionParams::default()
    }
}

/// `a,b`, `user@a:2222,b`, or a node set (`node-[1-4]`), in the order given.
fn parse_hosts(spec: &str) -> Result<Vec<Host>, TestbedError> {
    let bad = |e: &dyn fmt::Display| TestbedError(format!("--hosts `{spec}`: {e}"));
    if spec.contains('[') {
        let set = NodeSet::parse(spec).map_err(|e| bad(&e))?;
        return Ok(set.iter().map(Host::new).collect());
    }
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Host::parse(s).map_err(|e| bad(&e)))
        .collect()
}

/// Runs a setup command; an error names it and says why.
fn cmd(argv: &[&str]) -> Result<String, TestbedError> {
    let p = Process::argv(argv.iter().copied())
        .timeout(SETUP_TIMEOUT)
        .nolog_exit_code(true)
        .nolog_error(true)
        .nolog_timeout(true)
        .blocking_run();
    if p.ok() {
        return Ok(p.stdout());
    }
    let why = if let Some(e) = p.start_error() {
        if argv[0] == "ip" || argv[0] == "tc" {
            format!("{e} (install iproute2: apt-get install iproute2)")
        } else {
            e
        }
    } else if p.timed_out() {
        format!("no answer within {SETUP_TIMEOUT:?}")
    } else {
        let err = p.stderr();
        format!(
            "exit code {}: {}",
            p.exit_code().unwrap_or(-1),
            err.trim().lines().last().unwrap_or("")
        )
    };
    Err(TestbedError(format!(
        "failed to run `{}`: {why}",
        argv.join(" ")
    )))
}

/// Takes the lock of the namespaces `prefix-*` (a `flock` on a file in `/run/lock`,
/// released by the kernel however the holder ends, `kill -9` included), or says that
/// another run holds them.
fn lock(prefix: &str) -> Result<std::fs::File, TestbedError> {
    let dir = Path::new("/run/lock");
    let dir = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("execo-netns-{prefix}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| TestbedError(format!("failed to open `{}`: {e}", path.display())))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
        |e| {
            TestbedError(format!(
                "the network namespaces {prefix}-* are in use by another run (it holds `{}`:                  {e}): wait for it to end, or stop it",
                path.display()
            ))
        },
    )?;
    Ok(file)
}

/// Deletes the namespaces named `prefix-*` that a killed run left (we hold the lock, so
/// their run is dead), and ends the processes it left running in them.
fn remove_leftovers(prefix: &str) -> Result<(), TestbedError> {
    let listing = cmd(&["ip", "netns", "list"])?;
    let mine = format!("{prefix}-");
    let leftovers: Vec<String> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&mine))
        .map(String::from)
        .collect();
    if leftovers.is_empty() {
        return Ok(());
    }
    tracing::info!(
        "deleting network namespaces left by an earlier run: {}",
        leftovers.join(", ")
    );
    for ns in &leftovers {
        let pids = cmd(&["ip", "netns", "pids", ns]).unwrap_or_default();
        for pid in pids
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
        {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                rustix::process::kill_process(pid, rustix::process::Signal::KILL).ok();
            }
        }
    }
    delete(&leftovers);
    Ok(())
}

/// Applies netem to each host's `eth0`; returns the link's description. Without netem
/// in the kernel, warns and leaves the link as it is.
fn shape(names: &[String], spec: &str) -> String {
    let args: Vec<&str> = spec.split_whitespace().collect();
    for ns in names {
        let mut argv = vec![
            "tc", "-n", ns, "qdisc", "replace", "dev", "eth0", "root", "netem",
        ];
        argv.extend(&args);
        if let Err(e) = cmd(&argv) {
            let e = e.to_string();
            tracing::warn!(
                "{}. The link is not shaped: netem is the kernel module sch_netem (`modprobe \
                 sch_netem`; Debian's kernels have it); results measure the bare veth",
                e.trim_end_matches('.')
            );
            for ns in names {
                cmd(&["tc", "-n", ns, "qdisc", "del", "dev", "eth0", "root"]).ok();
            }
            return "veth, no netem".into();
        }
    }
    format!("veth, netem {spec}")
}

/// Every host answers from its namespace with its address (a bridge port takes a moment
/// to forward): the first command of the experiment then does not meet a cold link.
fn wait_reachable(tb: &Testbed) -> Result<(), TestbedError> {
    let run = Remote::new("cat /sys/class/net/eth0/operstate", &tb.hosts)
        .params(tb.params())
        .configure(|p, _, _| p.timeout(SETUP_TIMEOUT))
        .blocking_run()
        .map_err(|e| TestbedError(e.to_string()))?;
    for (host, p) in run.entries() {
        match p {
            Some(p) if p.ok() => {}
            Some(p) => {
                return Err(TestbedError(format!(
                    "failed to run a command in the namespace of {host}: {}",
                    p.dump()
                )));
            }
            None => return Err(TestbedError(format!("{host}: never started"))),
        }
    }
    Ok(())
}

fn delete(namespaces: &[String]) {
    for ns in namespaces {
        // Deleting a namespace deletes its interfaces, and the veth pairs with them.
        std::process::Command::new("ip")
            .args(["netns", "del", ns])
            .stderr(std::process::Stdio::null())
            .status()
            .ok();
    }
    let mut registered = TO_DELETE.lock().unwrap_or_else(|e| e.into_inner());
    registered.retain(|n| !namespaces.contains(n));
}

/// The exit hook: whatever namespaces are still there.
fn delete_registered() {
    let left = std::mem::take(&mut *TO_DELETE.lock().unwrap_or_else(|e| e.into_inner()));
    delete(&left);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_their_order_users_and_ports() {
        let h = parse_hosts("b, root@a:2222,").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].address, "b");
        assert_eq!(h[1].address, "a");
        assert_eq!(h[1].user.as_deref(), Some("root"));
        assert_eq!(h[1].port, Some(2222));
        let set = parse_hosts("node-[1-3]").unwrap();
        assert_eq!(set.len(), 3);
        assert!(parse_hosts("node-[1-").is_err());
    }

    #[test]
    fn loopback_runs_each_command_here_and_names_a_free_port_per_host() {
        let tb = Testbed::loopback(2, "loopback");
        let run = Remote::new("echo <<index>> $((20 + 1))", tb.hosts())
            .params(tb.params())
            .blocking_run()
            .unwrap();
        assert!(run.ok());
        let out: Vec<String> = run.processes().iter().map(|p| p.stdout()).collect();
        assert_eq!(out, ["0 21\n", "1 21\n"]);
        let ports = tb.ports(5201, 2).unwrap();
        assert_ne!(ports[0], ports[1]);
    }

    #[test]
    fn while_held_gives_the_work_s_result_and_both_awaits_both() {
        let tb = Testbed::loopback(2, "loopback");
        let ok: Result<u32, TestbedError> =
            execo::process::block_on(tb.while_held(async { Ok(7) })).unwrap();
        assert_eq!(ok, Ok(7));
        let failed: Result<u32, TestbedError> = execo::process::block_on(
            tb.while_held(async { Err(TestbedError("no measure".into())) }),
        )
        .unwrap();
        assert_eq!(failed, Err(TestbedError("no measure".into())));
        // ready only on its second poll
        let mut polled = false;
        let slow = std::future::poll_fn(move |cx| {
            if polled {
                Poll::Ready("slow")
            } else {
                polled = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        });
        let pair = execo::process::block_on(both(slow, async { 2 })).unwrap();
        assert_eq!(pair, ("slow", 2));
    }
}
