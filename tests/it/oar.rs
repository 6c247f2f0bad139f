//! OAR against a real OAR 2.5.9 (scripts/oar-testbed.sh): reserve, wait, read the nodes,
//! run on them, release; and each fault of issue 13 (bad walltime or date, resources OAR
//! rejects, zero or too many nodes, oarsub timing out, a job deleted while we wait, an
//! unreachable frontend, a node cut off), each a clear error naming the job and site.
//!
//! The test OAR is started once per test run: every test calls [`testbed`], which runs
//! `oar-testbed.sh up` (quick and locked when already up); scripts/test.sh stops it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use execo::action::{Action, Remote};
use execo::g5k::Frontend;
use execo::g5k::Settings;
use execo::g5k::oar::{self, OarJob, OarSubmission};
use execo::host::{ConnectionParams, Host};

/// What the test OAR's state file says.
pub struct Testbed {
    pub site: String,
    pub ssh_config: PathBuf,
    pub nodes: Vec<String>,
    pub fault_node: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/oar-testbed.sh")
}

/// Runs `oar-testbed.sh ARGS`, failing the test with its output.
pub fn testbed_cmd(args: &[&str]) -> String {
    let out = std::process::Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "`scripts/oar-testbed.sh {}` failed (it needs root and the OAR packages: \
         `bash scripts/deps.sh` installs them):\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The test OAR, up.
pub fn testbed() -> &'static Testbed {
    static T: OnceLock<Testbed> = OnceLock::new();
    T.get_or_init(|| {
        let state: BTreeMap<String, String> = testbed_cmd(&["up"])
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let get = |k: &str| {
            state
                .get(k)
                .cloned()
                .unwrap_or_else(|| panic!("no `{k}` in the state: {state:?}"))
        };
        Testbed {
            site: get("site"),
            ssh_config: get("ssh_config").into(),
            nodes: get("nodes")
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            fault_node: get("fault_node"),
        }
    })
}

impl Testbed {
    /// How the nodes (and the frontend) are reached: the testbed's ssh_config.
    pub fn params(&self) -> ConnectionParams {
        ConnectionParams {
            ssh_config: Some(self.ssh_config.clone()),
            ..ConnectionParams::default()
        }
    }

    /// The frontend, reached over ssh with a pty as alice, as a user reaches one.
    pub fn frontend(&self) -> Frontend {
        let mut p = self.params();
        p.pty = true;
        Frontend::at(&self.site, Host::new(&self.site), p).unwrap()
    }

    pub fn settings(&self) -> Settings {
        Settings {
            frontend_domain: String::new(),
            oar_timeout: Duration::from_secs(120),
            ..Settings::default()
        }
    }
}

/// Deletes its jobs when the test ends, however it ends.
struct Jobs(Vec<OarJob>);

impl Drop for Jobs {
    fn drop(&mut self) {
        let s = testbed().settings();
        oar::blocking_oardel(&self.0, &s);
    }
}

/// The ssh ControlMaster sockets this test process has open (see `execo::mux`: one
/// directory per run, in `$XDG_RUNTIME_DIR` or /tmp).
fn mux_sockets() -> usize {
    use std::os::unix::fs::FileTypeExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let dir = base.join(format!("execo-mux-{}", std::process::id()));
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_socket()))
                .count()
        })
        .unwrap_or(0)
}

fn submission(resources: &str) -> OarSubmission {
    OarSubmission::new(resources).walltime("0:10:00")
}

#[test]
fn oar_reserve_wait_nodes_run_release() {
    let t = testbed();
    let s = t.settings();
    let f = t.frontend();
    let job = oar::blocking_oarsub(&[(submission("{cluster='oarn'}/nodes=2"), f.clone())], &s)
        .pop()
        .unwrap()
        .unwrap();
    let guard = Jobs(vec![job.clone()]);
    assert_eq!(job.site(), t.site);
    let mut predictions = 0;
    let mut cb = |_p: Option<i64>| predictions += 1;
    let info = oar::blocking_wait_oar_job_start(&job, None, Some(&mut cb), &s).unwrap();
    assert_eq!(info.state, oar::JobState::Running);
    // every poll of the wait rode on one shared connection to the frontend
    assert_eq!(mux_sockets(), 1, "one ControlMaster socket, the frontend's");
    let nodes = oar::blocking_oar_job_nodes(&job, None, &s).unwrap();
    assert_eq!(
        mux_sockets(),
        1,
        "the nodes were read on the same connection"
    );
    let names: Vec<&str> = nodes.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().all(|n| t.nodes.iter().any(|m| m == n)),
        "{names:?}"
    );
    // the job is the user's, and it really runs on the nodes OAR gave
    let current = oar::blocking_current_oar_jobs(std::slice::from_ref(&f), &s).unwrap();
    assert!(
        current.iter().any(|(j, _)| j.id == job.id),
        "job not listed"
    );
    let run = Remote::new("hostname", nodes.clone())
        .params(t.params())
        .blocking_run()
        .unwrap();
    assert!(run.ok(), "{}", run.report());
    let mut seen: Vec<String> = run
        .processes()
        .iter()
        .map(|p| p.stdout().trim().to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, names);
    // release
    for r in oar::blocking_oardel(&guard.0, &s) {
        r.unwrap();
    }
    assert!(crate::eventually(Duration::from_secs(120), || {
        oar::blocking_oar_job_info(&job, &s).is_ok_and(|i| i.state.is_final())
    }));
}

#[test]
fn oar_bad_walltime_and_bad_date_are_named_before_anything_runs() {
    // no OAR needed: nothing is run
    let f = Frontend::local("testsite").unwrap();
    let s = Settings::default();
    let r = oar::blocking_oarsub(
        &[
            (OarSubmission::new("nodes=1").walltime("1:75:00"), f.clone()),
            (
                OarSubmission::new("nodes=1").reservation("2026-11-31 10:00:00"),
                f.clone(),
            ),
        ],
        &s,
    );
    let e0 = r[0].as_ref().unwrap_err().to_string();
    assert!(e0.contains("`walltime 1:75:00`"), "{e0}");
    let e1 = r[1].as_ref().unwrap_err().to_string();
    assert!(e1.contains("`date 2026-11-31 10:00:00`"), "{e1}");
}

#[test]
fn oar_resources_it_rejects_show_its_message() {
    let t = testbed();
    let s = t.settings();
    // too many asked, and zero nodes
    for res in ["{cluster='oarn'}/nodes=10", "nodes=0"] {
        let e = oar::blocking_oarsub(&[(submission(res), t.frontend())], &s)
            .pop()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("There are not enough resources for your request"),
            "{res}: {e}"
        );
        assert!(e.contains(res), "{res}: {e}");
        assert!(e.contains("frontend testsite"), "{res}: {e}");
    }
}

#[test]
fn oar_a_job_with_no_node_is_an_error() {
    // a job deleted before it started ran on no node
    let t = testbed();
    let s = t.settings();
    let f = t.frontend();
    let resa = oar::time::now_unix() + 7200;
    let job = oar::blocking_oarsub(
        &[(submission("{cluster='oarn'}/nodes=1").reservation(resa), f)],
        &s,
    )
    .pop()
    .unwrap()
    .unwrap();
    let _guard = Jobs(vec![job.clone()]);
    oar::blocking_oardel(std::slice::from_ref(&job), &s)
        .pop()
        .unwrap()
        .unwrap();
    let e = oar::blocking_oar_job_nodes(&job, None, &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("`job {}`", job.id)) && e.contains("testsite"),
        "{e}"
    );
    assert!(e.contains("deleted"), "{e}");
}

#[test]
fn oar_oarsub_timing_out_is_an_error() {
    let t = testbed();
    let mut s = t.settings();
    s.oar_timeout = Duration::from_millis(1);
    let e = oar::blocking_oarsub(&[(submission("nodes=1"), t.frontend())], &s)
        .pop()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("timed out"), "{e}");
    assert!(e.contains("frontend testsite"), "{e}");
}

#[test]
fn oar_a_job_deleted_while_we_wait_ends_the_wait() {
    let t = testbed();
    let s = t.settings();
    let f = t.frontend();
    // a reservation in an hour: the wait would last an hour
    let job = oar::blocking_oarsub(
        &[(
            submission("{cluster='oarn'}/nodes=1").reservation(oar::time::now_unix() + 3600),
            f,
        )],
        &s,
    )
    .pop()
    .unwrap()
    .unwrap();
    let _guard = Jobs(vec![job.clone()]);
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = {
        let (job, s) = (job.clone(), s.clone());
        std::thread::spawn(move || {
            let mut cb = move |p: Option<i64>| {
                tx.send(p).ok();
            };
            oar::blocking_wait_oar_job_start(
                &job,
                Some(Duration::from_secs(3600)),
                Some(&mut cb),
                &s,
            )
        })
    };
    // the wait has seen the predicted start: delete the job under it
    let predicted = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("a prediction");
    assert!(predicted.is_some());
    oar::blocking_oardel(std::slice::from_ref(&job), &s)
        .pop()
        .unwrap()
        .unwrap();
    let e = waiting.join().unwrap().unwrap_err().to_string();
    assert!(e.contains(&format!("`job {}`", job.id)), "{e}");
    assert!(e.contains("frontend testsite"), "{e}");
    assert!(e.contains("deleted"), "{e}");
}

#[test]
fn oar_an_unreachable_frontend_is_named() {
    // a port nothing listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = ConnectionParams {
        pty: true,
        ..ConnectionParams::default()
    }
    .option("BatchMode", "yes");
    let f = Frontend::at("nowhere", Host::new("127.0.0.1").port(port), p).unwrap();
    let s = Settings::default();
    let e = oar::blocking_oarsub(&[(submission("nodes=1"), f.clone())], &s)
        .pop()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("frontend nowhere") && e.contains("cannot reach"),
        "{e}"
    );
    let job = OarJob::new(7, f);
    let e = oar::blocking_wait_oar_job_start(&job, Some(Duration::from_secs(600)), None, &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`job 7`") && e.contains("frontend nowhere"),
        "{e}"
    );
}

/// Heals the fault node's link however the test ends.
struct Heal(String);

impl Drop for Heal {
    fn drop(&mut self) {
        testbed_cmd(&["heal", &self.0]);
    }
}

#[test]
fn oar_a_node_cut_off_fails_its_command_only() {
    let t = testbed();
    let s = t.settings();
    let job = oar::blocking_oarsub(
        &[(
            submission("{cluster='oarn'}/nodes=1+{cluster='oarf'}/nodes=1"),
            t.frontend(),
        )],
        &s,
    )
    .pop()
    .unwrap()
    .unwrap();
    let guard = Jobs(vec![job.clone()]);
    let nodes = oar::blocking_oar_job_nodes(&job, None, &s).unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().any(|h| h.address == t.fault_node), "{nodes:?}");
    let index = t.fault_node.rsplit('-').next().unwrap().to_string();
    let heal = Heal(index.clone());
    testbed_cmd(&["cut", &index]);
    let run = Remote::new("hostname", nodes.clone())
        .params(t.params())
        .blocking_run()
        .unwrap();
    assert!(!run.ok());
    let failed: Vec<String> = run.failed_hosts().into_iter().map(|h| h.address).collect();
    assert_eq!(failed, std::slice::from_ref(&t.fault_node));
    let why: Vec<String> = run
        .processes()
        .iter()
        .filter(|p| !p.ok())
        .map(|p| p.dump())
        .collect();
    assert!(why.len() == 1 && why[0].contains(&t.fault_node), "{why:?}");
    for p in run.processes() {
        if p.host().is_some_and(|h| h.address != t.fault_node) {
            assert!(p.ok(), "{}", p.dump());
        }
    }
    drop(heal);
    drop(guard);
}

#[test]
fn oar_reuse_by_name_and_submissions_in_order() {
    let t = testbed();
    let s = t.settings();
    let f = t.frontend();
    let name = format!("reuse-{}", std::process::id());
    let spec = submission("{cluster='oarn'}/nodes=1").name(&name);
    let (first, reused) = oar::blocking_reserve(&spec, &f, &s).unwrap();
    let mut guard = Jobs(vec![first.clone()]);
    assert!(!reused);
    let (again, reused) = oar::blocking_reserve(&spec, &f, &s).unwrap();
    assert!(reused);
    assert_eq!(again.id, first.id);
    // two more at once, in input order; then three of that name: an error naming them
    let other = format!("{name}-other");
    let r = oar::blocking_oarsub(
        &[
            (spec.clone(), f.clone()),
            (spec.clone().name(&other), f.clone()),
        ],
        &s,
    );
    let ids: Vec<u64> = r.iter().map(|j| j.as_ref().unwrap().id).collect();
    guard.0.extend(r.into_iter().map(Result::unwrap));
    let info = oar::blocking_oar_job_info(&guard.0[2], &s).unwrap();
    assert_eq!(info.name.as_deref(), Some(other.as_str()));
    let e = oar::blocking_reserve(&spec, &f, &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&first.id.to_string()) && e.contains(&ids[0].to_string()),
        "{e}"
    );
    assert!(
        e.contains(&format!("`job {name}`")) && e.contains("several"),
        "{e}"
    );
}

#[test]
fn oar_subgrid_is_all_or_nothing() {
    let t = testbed();
    let s = t.settings();
    let f = t.frontend();
    let name = format!("grid-{}", std::process::id());
    let e = oar::blocking_oarsubgrid(
        &[
            (
                OarSubmission::new("{cluster='oarn'}/nodes=1").name(&name),
                f.clone(),
            ),
            (OarSubmission::new("{cluster='oarn'}/nodes=10"), f.clone()),
        ],
        &oar::GridOptions {
            walltime: Some("0:10".into()),
            ..Default::default()
        },
        &s,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("There are not enough resources"), "{e}");
    assert!(e.contains("deleted the grid's other jobs"), "{e}");
    // the one that was accepted is gone
    assert!(crate::eventually(Duration::from_secs(120), || {
        oar::blocking_find_job_by_name(&name, &f, &s).is_ok_and(|j| j.is_none())
    }));
}

/// `execo oar` as a user types it, with the configuration file that reaches the test
/// frontend: `sub` prints the site and job id, `nodes` the node OAR gave, `stat` its
/// state, `del` releases it, and a bad walltime is refused with exit status 1.
#[test]
fn oar_cli_sub_nodes_stat_del() {
    let t = testbed();
    let dir = crate::Scratch::new("oar-cli");
    let config = dir.write(
        "execo.toml",
        &format!(
            "[connection]\nssh_config = \"{}\"\n\n[g5k]\nfrontend_domain = \"\"\noar_timeout = 120\n",
            t.ssh_config.display()
        ),
    );
    let execo = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_execo"))
            .env("EXECO_CONFIG", &config)
            .arg("oar")
            .args(args)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let site = t.site.as_str();
    let name = format!("cli-{}", std::process::id());
    let (code, out, err) = execo(&[
        "sub", "-f", site, "-l", "nodes=1", "-w", "0:10:00", "-n", &name,
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let id: u64 = match out.split_whitespace().collect::<Vec<_>>()[..] {
        [s, id] if s == site => id.parse().unwrap(),
        _ => panic!("`execo oar sub` printed {out:?}, not `{site} ID`"),
    };
    let _release = Jobs(vec![OarJob::new(id, t.frontend())]);
    let id_text = id.to_string();

    let (code, out, err) = execo(&["nodes", "-f", site, &id_text, "--list"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let nodes: Vec<&str> = out.lines().collect();
    assert_eq!(nodes.len(), 1, "{out}");
    assert!(
        t.nodes.iter().chain([&t.fault_node]).any(|n| n == nodes[0]),
        "{} is not a node of the test OAR ({:?})",
        nodes[0],
        t.nodes
    );

    let (code, out, err) = execo(&["stat", "-f", site, &id_text]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains(&format!("id: {id}")), "{out}");
    assert!(out.contains(&format!("name: {name}")), "{out}");
    assert!(out.contains("state: Running"), "{out}");

    let (code, out, err) = execo(&["del", "-f", site, &id_text]);
    assert_eq!(code, Some(0), "{out}\n{err}");

    let (code, _, err) = execo(&["sub", "-f", site, "-l", "nodes=1", "-w", "ten minutes"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("ten minutes"),
        "the bad walltime is named: {err}"
    );
}
