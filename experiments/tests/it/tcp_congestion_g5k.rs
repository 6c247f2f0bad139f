//! The flagship on its own nodes: `tcp_congestion --g5k 'oarn:2,...' --quick` against
//! the real test OAR (scripts/oar-testbed.sh), whose nodes are network-namespace hosts
//! with their own sshd, reached as a Grid'5000 user reaches a site (a configuration file
//! giving the test's ssh_config). It reserves, runs the quick sweep on the two granted
//! nodes and releases; a `kill -9` in the middle then `-C` reuses the same job; `keep`
//! keeps it; a cluster that does not exist, a walltime too long, and a job deleted by
//! someone else mid-run fail with errors saying so. With `deploy=ENV` the job is a
//! deploy job and the nodes are deployed by the kadeploy3 stand-in run on the frontend;
//! a deployment failing every node ends with an error naming the job and the nodes, and
//! the job is released.
//!
//! The test OAR has three nodes in cluster `oarn`: tests asking for two of them queue
//! behind each other in OAR, as users do. Every job a test makes is deleted at its end,
//! whatever happens (a guard).
#![cfg(feature = "g5k")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TempDir, run_logged, text, unique, wait_timeout};

const XP: &str = env!("CARGO_BIN_EXE_tcp_congestion");
const QUICK: usize = 6;
/// A bound for a whole run (queueing behind the other tests' jobs included).
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// The test OAR, up (idempotent), and its state: site, nodes, ssh_config...
fn oar_up() -> BTreeMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/oar-testbed.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("up")
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "`scripts/oar-testbed.sh up` failed (it needs root and the OAR packages: \
         `bash scripts/deps.sh` installs them):\n{}",
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One test's world: the test OAR, a result directory, a configuration reaching the
/// frontend and nodes, and the job ids seen, deleted at the end whatever happens.
struct World {
    state: BTreeMap<String, String>,
    dir: TempDir,
    config: PathBuf,
    jobs: std::cell::RefCell<Vec<u64>>,
}

impl World {
    fn new(tag: &str) -> World {
        World::with_g5k_settings(tag, "")
    }

    /// A world whose configuration's `[g5k]` section has `more` lines too.
    fn with_g5k_settings(tag: &str, more: &str) -> World {
        let state = oar_up();
        let dir = TempDir::new(tag);
        let config = dir.path().with_extension("toml");
        std::fs::write(
            &config,
            format!(
                "[connection]\nssh_config = \"{}\"\n\n[g5k]\nfrontend_domain = \"\"\n{more}",
                state["ssh_config"]
            ),
        )
        .unwrap();
        World {
            state,
            dir,
            config,
            jobs: Default::default(),
        }
    }

    fn results(&self) -> PathBuf {
        self.dir.path().join("results")
    }

    /// `tcp_congestion -C DIR --quick --g5k REQUEST`.
    fn xp(&self, request: &str) -> Command {
        let mut cmd = Command::new(XP);
        cmd.arg("-C")
            .arg(self.results())
            .args(["--quick", "--g5k", request])
            .env("EXECO_CONFIG", &self.config)
            .env_remove("EXECO_LOG");
        cmd
    }

    /// Runs `cmd` on the frontend as the test user (what a user types there).
    fn frontend(&self, cmd: &str) -> String {
        let out = Command::new("ssh")
            .args(["-F", &self.state["ssh_config"], &self.state["site"], cmd])
            .output()
            .expect("run ssh");
        format!("{}{}", text(&out.stdout), text(&out.stderr))
    }

    /// What OAR says of job `id`: its state (`Running`, `Error`...).
    fn job_state(&self, id: u64) -> String {
        let out = self.frontend(&format!("oarstat -fj {id} -J"));
        let json = &out[out.find('{').unwrap_or(0)..];
        let v: serde_json::Value = serde_json::from_str(json)
            .unwrap_or_else(|e| panic!("oarstat -fj {id} -J: {e}: {out}"));
        v[id.to_string()]["state"]
            .as_str()
            .unwrap_or_else(|| panic!("no state in {out}"))
            .to_string()
    }

    /// Waits (bounded) until job `id` has ended.
    fn wait_job_ended(&self, id: u64) -> String {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.job_state(id);
            if ["Error", "Terminated"].contains(&s.as_str()) {
                return s;
            }
            assert!(Instant::now() < end, "job {id} still {s} after 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The results so far, each noting its job (remembered for the clean-up).
    fn measures(&self) -> Vec<serde_json::Value> {
        let v: Vec<serde_json::Value> =
            std::fs::read_to_string(self.results().join("results.jsonl"))
                .unwrap_or_default()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["result"].clone())
                .collect();
        for r in &v {
            if let Some(id) = r["g5k"]["job"].as_str().and_then(|j| j.parse().ok()) {
                let mut jobs = self.jobs.borrow_mut();
                if !jobs.contains(&id) {
                    jobs.push(id);
                }
            }
        }
        v
    }

    /// Every result was measured on the test OAR's nodes, in job `job`.
    fn assert_measured_on_oar(&self, results: &[serde_json::Value], job: u64) {
        let nodes: Vec<&str> = self.state["nodes"].split(' ').collect();
        for r in results {
            let g = &r["g5k"];
            assert_eq!(g["site"], self.state["site"].as_str(), "{r}");
            assert_eq!(g["cluster"], "oarn", "{r}");
            assert_eq!(g["job"], job.to_string(), "{r}");
            let used: Vec<&str> = g["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            assert_eq!(used.len(), 2, "{r}");
            assert!(used.iter().all(|n| nodes.contains(n)), "{r}");
            assert_eq!(r["server"], used[0], "{r}");
            assert_eq!(r["client"], used[1], "{r}");
            assert!(r["throughput_mbps"].as_f64().unwrap_or(0.0) > 1.0, "{r}");
            assert_eq!(r["link"], "g5k oarn", "{r}");
        }
    }

    /// Starts a run with its outputs in files; waits until it has recorded a result.
    fn start_until_first_result(&self, request: &str) -> (Child, u64) {
        let log = self.dir.path().join(unique("run-"));
        let mut child = self
            .xp(request)
            .stdout(Stdio::from(
                std::fs::File::create(log.with_extension("out")).unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(log.with_extension("err")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let end = Instant::now() + RUN_LIMIT;
        loop {
            if let Some(r) = self.measures().first() {
                let job = r["g5k"]["job"].as_str().unwrap().parse().unwrap();
                return (child, job);
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the run ended ({status}) before any result: {}",
                    std::fs::read_to_string(log.with_extension("err")).unwrap_or_default()
                );
            }
            assert!(Instant::now() < end, "no result within {RUN_LIMIT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.measures();
        for id in self.jobs.borrow().iter() {
            self.frontend(&format!("oardel {id}"));
        }
        std::fs::remove_file(&self.config).ok();
    }
}

/// The kadeploy3 stand-in (tests/stand-ins/kadeploy3: kadeploy3 exists nowhere here) as
/// the test OAR's frontend runs it, with its state in a directory of its own that the
/// frontend's user (who runs it) writes and the nodes (which share this machine's file
/// system) read: the `[g5k]` settings running it and checking its marks on the nodes.
struct Kadeploy {
    state: PathBuf,
}

impl Kadeploy {
    fn new() -> Kadeploy {
        let state = std::env::temp_dir().join(unique("execo-kadeploy3-standin-"));
        std::fs::create_dir_all(&state).unwrap();
        // the frontend's user runs it
        std::fs::set_permissions(&state, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        Kadeploy { state }
    }

    fn settings(&self) -> String {
        let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/stand-ins/kadeploy3");
        format!(
            "kadeploy3 = \"KADEPLOY3_STANDIN_DIR={} {}\"\n\
             check_deployed_command = \"test -e {}/deployed/<<host>>\"\n",
            self.state.display(),
            standin.display(),
            self.state.display()
        )
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.join(name)).unwrap_or_default()
    }
}

impl Drop for Kadeploy {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.state).ok();
    }
}

/// The job `submitted job N on testsite` names in `log`.
fn submitted_job(log: &str) -> u64 {
    let at = log
        .find("submitted job ")
        .unwrap_or_else(|| panic!("no job submitted in {log}"));
    log[at + "submitted job ".len()..]
        .split_whitespace()
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no job id in {log}"))
}

fn signal(child: &Child, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, sig).unwrap();
}

#[test]
fn tcp_congestion_g5k_reserves_runs_on_the_granted_nodes_and_releases() {
    let w = World::new("g5k-e2e");
    let t = Instant::now();
    let out = run_logged(&mut w.xp("oarn:2,walltime=0:10,site=testsite"));
    let took = t.elapsed();
    let results = w.measures();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(results.len(), QUICK);
    let job: u64 = results[0]["g5k"]["job"].as_str().unwrap().parse().unwrap();
    w.assert_measured_on_oar(&results, job);
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("submitted job {job} on testsite")),
        "{err}"
    );
    assert!(
        err.contains(&format!("released job {job} on testsite")),
        "{err}"
    );
    // gone at the end: released, not left to its walltime
    let state = w.wait_job_ended(job);
    println!(
        "end to end {:.1} s; job {job} ended ({state})",
        took.as_secs_f64()
    );
    let timings = err
        .lines()
        .find(|l| l.contains("g5k timings"))
        .unwrap_or("");
    println!("{timings}");
}

#[test]
fn tcp_congestion_g5k_killed_then_continued_reuses_its_job() {
    let w = World::new("g5k-kill");
    let request = "oarn:2,walltime=0:10,site=testsite";
    let (mut child, job) = w.start_until_first_result(request);
    signal(&child, rustix::process::Signal::KILL);
    wait_timeout(&mut child, Duration::from_secs(30));
    let before = w.measures().len();
    assert!(before < QUICK, "all done before the kill");
    // the killed run's job lives on, and the next run takes it
    assert_eq!(w.job_state(job), "Running");
    let out = run_logged(&mut w.xp(request));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("reusing job {job} on testsite")),
        "{err}"
    );
    let results = w.measures();
    assert_eq!(results.len(), QUICK);
    w.assert_measured_on_oar(&results, job);
    w.wait_job_ended(job);
}

#[test]
fn tcp_congestion_g5k_keep_keeps_the_job() {
    let w = World::new("g5k-keep");
    let out = run_logged(&mut w.xp("oarn:2,walltime=0:10,site=testsite,keep"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results = w.measures();
    assert_eq!(results.len(), QUICK);
    let job: u64 = results[0]["g5k"]["job"].as_str().unwrap().parse().unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("keeping job {job} on testsite")),
        "{err}"
    );
    assert_eq!(w.job_state(job), "Running");
    // (the guard deletes it)
}

#[test]
fn tcp_congestion_g5k_job_deleted_by_someone_else_stops_the_sweep() {
    let w = World::new("g5k-deleted");
    let (mut child, job) = w.start_until_first_result("oarn:2,walltime=0:10,site=testsite");
    // frozen while someone else deletes the job: the run finds it gone when it goes on
    signal(&child, rustix::process::Signal::STOP);
    w.frontend(&format!("oardel {job}"));
    w.wait_job_ended(job);
    signal(&child, rustix::process::Signal::CONT);
    let status = wait_timeout(&mut child, RUN_LIMIT);
    let logs: String = std::fs::read_dir(w.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "err"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    println!("{logs}");
    assert!(!status.success(), "{logs}");
    assert!(w.measures().len() < QUICK, "{logs}");
    assert!(
        logs.contains(&format!("failed to use `job {job}`")) && logs.contains("it was deleted"),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("failed to release `job {job}`"))
            && logs.contains("deleted before the experiment's end"),
        "{logs}"
    );
}

#[test]
fn tcp_congestion_g5k_a_cluster_that_does_not_exist_fails_clearly() {
    let w = World::new("g5k-nope");
    let out = run_logged(&mut w.xp("nope:2,walltime=0:10,site=testsite"));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("failed to set up `tcp_congestion`")
            && err.contains("failed to submit `{cluster='nope'}/nodes=2")
            && err.contains("on frontend testsite"),
        "{err}"
    );
    assert!(w.measures().is_empty());
}

#[test]
fn tcp_congestion_g5k_a_walltime_too_long_fails_before_anything_runs() {
    let dir = TempDir::new("g5k-walltime");
    let out = run_logged(
        Command::new(XP)
            .arg("-C")
            .arg(dir.path().join("results"))
            .args(["--quick", "--g5k", "oarn:2,walltime=200:00,site=testsite"]),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("at character 8 (`walltime=200:00`)")
            && err.contains("longer than Grid'5000's longest jobs (168:0:0"),
        "{err}"
    );
    assert!(!dir.path().join("results").exists());
}

#[test]
fn g5k_requests_conflict_with_hosts() {
    let dir = TempDir::new("g5k-conflict");
    let out = run_logged(
        Command::new(XP)
            .arg("-C")
            .arg(dir.path())
            .args(["--g5k", "oarn:2", "--hosts", "a,b"]),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot be used with"));
}

#[test]
fn tcp_congestion_g5k_deploy_reserves_a_deploy_job_deploys_runs_and_releases() {
    let kadeploy = Kadeploy::new();
    let w = World::with_g5k_settings("g5k-deploy", &kadeploy.settings());
    let out = run_logged(&mut w.xp("oarn:2,walltime=0:10,site=testsite,deploy=debian12-min"));
    let err = text(&out.stderr);
    let job = submitted_job(&err);
    w.jobs.borrow_mut().push(job);
    assert!(out.status.success(), "{err}");
    // a deploy job
    let types = w.frontend(&format!("oarstat -fj {job} -J"));
    assert!(
        types.contains("\"deploy\""),
        "job {job} is no deploy job: {types}"
    );
    // kadeploy3 ran once, on the frontend, with the environment, on the two granted
    // nodes, which it marked deployed
    let calls = kadeploy.read("calls");
    assert_eq!(calls.lines().count(), 1, "{calls}");
    let deployed: Vec<&str> = calls.split_whitespace().collect();
    assert_eq!(deployed.len(), 2, "{calls}");
    assert!(kadeploy.read("args").contains("-e debian12-min"));
    for n in &deployed {
        assert!(kadeploy.state.join("deployed").join(n).exists(), "{n}");
    }
    // the sweep ran on the deployed nodes, as root, then the job was released
    let results = w.measures();
    assert_eq!(results.len(), QUICK, "{err}");
    w.assert_measured_on_oar(&results, job);
    for r in &results {
        for n in r["g5k"]["nodes"].as_array().unwrap() {
            assert!(deployed.contains(&n.as_str().unwrap()), "{r}");
        }
    }
    assert!(
        err.contains(&format!("released job {job} on testsite")),
        "{err}"
    );
    w.wait_job_ended(job);
    let timings = err
        .lines()
        .find(|l| l.contains("g5k timings"))
        .unwrap_or("");
    assert!(
        timings.contains(", deploy ") && !timings.contains("deploy -"),
        "{err}"
    );
    println!("{timings}");
}

#[test]
fn tcp_congestion_g5k_a_deployment_failing_every_node_names_the_job_and_nodes_and_releases() {
    let kadeploy = Kadeploy::new();
    let nodes = oar_up()["nodes"].clone();
    std::fs::write(
        kadeploy.state.join("fail"),
        nodes
            .split(' ')
            .map(|n| format!("{n} BootNewEnv: the node did not reboot\n"))
            .collect::<String>(),
    )
    .unwrap();
    let w = World::with_g5k_settings("g5k-deploy-fail", &kadeploy.settings());
    let out = run_logged(&mut w.xp("oarn:2,walltime=0:10,site=testsite,deploy=debian12-min"));
    let err = text(&out.stderr);
    let job = submitted_job(&err);
    w.jobs.borrow_mut().push(job);
    assert!(!out.status.success(), "{err}");
    assert!(w.measures().is_empty(), "{err}");
    let tried: Vec<String> = kadeploy
        .read("calls")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(tried.len(), 2, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("failed to deploy `debian12-min`"))
        .unwrap_or_else(|| panic!("no deploy error in {err}"));
    assert!(
        line.contains(&format!(
            "2 of the 2 node(s) of job {job} on testsite undeployed"
        )),
        "{line}"
    );
    for n in &tried {
        assert!(
            line.contains(&format!("failed to deploy `{n}` on frontend testsite")),
            "{n} not in {line}"
        );
    }
    assert!(
        line.contains("BootNewEnv: the node did not reboot"),
        "{line}"
    );
    assert!(
        err.contains(&format!("released job {job} on testsite")),
        "{err}"
    );
    w.wait_job_ended(job);
}
