//! kadeploy as a Grid'5000 user runs it: frontends reached over ssh (the project's test
//! sshd on loopback, under the sites' names), nodes that are real ssh hosts under
//! Grid'5000 names, and the kadeploy3 stand-in (tests/stand-ins/kadeploy3: kadeploy3
//! exists nowhere here) run on the frontends, two sites at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use execo::g5k::kadeploy::{DeployOptions, DeployedCheck, Deployment, Outcome, blocking_deploy};
use execo::g5k::{Frontend, Settings};
use execo::host::{ConnectionParams, Host};

use crate::Scratch;
use crate::sshd::TestSshd;

const LYON: [&str; 2] = ["taurus-1.lyon.grid5000.fr", "taurus-2.lyon.grid5000.fr"];
const NANCY: [&str; 2] = [
    "graphene-1.nancy.grid5000.fr",
    "graphene-2.nancy.grid5000.fr",
];

/// A test sshd serving as the frontends `lyon`, `nancy` and as every node of those sites
/// and of rennes, `rennes` (the frontend) being a closed port; the stand-in's state.
struct Bed {
    _sshd: TestSshd,
    scratch: Scratch,
    ssh_config: PathBuf,
}

impl Bed {
    fn new(name: &str) -> Bed {
        let sshd = TestSshd::start(1);
        let scratch = Scratch::new(&format!("kadeploy-{name}"));
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = std::fs::read_to_string(sshd.ssh_config()).unwrap();
        let ssh_config = scratch.write(
            "ssh_config",
            &format!(
                "Host rennes\n  HostName 127.0.0.1\n  Port {closed}\n  ConnectTimeout 20\n\
                 Host lyon nancy *.grid5000.fr\n  HostName 127.0.0.1\n  Port {}\n{base}",
                sshd.port
            ),
        );
        std::fs::create_dir_all(scratch.0.join("state")).unwrap();
        Bed {
            _sshd: sshd,
            scratch,
            ssh_config,
        }
    }

    /// The stand-in's state directory.
    fn state(&self) -> PathBuf {
        self.scratch.0.join("state")
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.state().join(name), content).unwrap();
    }

    fn params(&self, pty: bool) -> ConnectionParams {
        ConnectionParams {
            ssh_config: Some(self.ssh_config.clone()),
            pty,
            ..ConnectionParams::default()
        }
    }

    /// Options as a user sets them: the stand-in as `kadeploy3` on the frontends, the
    /// frontends by site name (with a pty, as execo's presets), nodes as root, and a
    /// check that sees the stand-in's marks.
    fn options(&self) -> DeployOptions {
        let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stand-ins/kadeploy3");
        let settings = Settings {
            kadeploy3: format!(
                "KADEPLOY3_STANDIN_DIR={} {}",
                self.state().display(),
                standin.display()
            ),
            ..Settings::default()
        };
        let mut o = DeployOptions::new()
            .settings(settings)
            .node_params(ConnectionParams {
                user: Some("root".into()),
                ..self.params(false)
            })
            .check(DeployedCheck::Command(format!(
                "test -e {}/deployed/<<host>>",
                self.state().display()
            )));
        for site in ["lyon", "nancy", "rennes"] {
            o = o.frontend(Frontend::at(site, Host::new(site), self.params(true)).unwrap());
        }
        o
    }

    /// Marks `node` as deployed, as if a previous run had deployed it.
    fn mark_deployed(&self, node: &str) {
        let d = self.state().join("deployed");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(node), "").unwrap();
    }

    /// The stand-in's runs: the nodes of each, sorted, runs sorted.
    fn calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.state().join("calls")).unwrap_or_default();
        let mut calls: Vec<Vec<String>> = text
            .lines()
            .map(|l| {
                let mut v: Vec<String> = l.split_whitespace().map(str::to_string).collect();
                v.sort();
                v
            })
            .collect();
        calls.sort();
        calls
    }
}

fn names(hosts: &[Host]) -> Vec<String> {
    let mut v: Vec<String> = hosts.iter().map(|h| h.address.clone()).collect();
    v.sort();
    v
}

fn strings(s: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = s.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn dump(o: &Outcome) -> String {
    let runs: Vec<String> = o
        .tries
        .iter()
        .flat_map(|t| t.sites.iter().map(|s| s.process.dump()))
        .collect();
    format!("{o:#?}\n{}", runs.join("\n"))
}

#[test]
fn two_sites_deploy_at_once_and_deployed_hosts_are_skipped() {
    let bed = Bed::new("two-sites");
    bed.mark_deployed(LYON[1]);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = lines.clone();
    let opts = bed
        .options()
        .on_stdout_line(move |line| l.lock().unwrap().push(line.to_string()));
    let d = Deployment::new(LYON.iter().chain(&NANCY).copied()).env_name("debian12-min");
    let o = blocking_deploy(&d, &opts).unwrap();
    assert_eq!(
        names(&o.deployed),
        strings(&[LYON[0], LYON[1], NANCY[0], NANCY[1]]),
        "{}",
        dump(&o)
    );
    assert!(
        o.undeployed.is_empty() && o.reasons.is_empty() && o.enough,
        "{}",
        dump(&o)
    );
    assert_eq!(names(&o.already_deployed), strings(&[LYON[1]]));
    // One kadeploy3 per site, the deployed host not given to it.
    assert_eq!(bed.calls(), [strings(&NANCY), strings(&[LYON[0]])]);
    assert_eq!(o.tries.len(), 1);
    let sites: Vec<&str> = o.tries[0].sites.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(sites, ["lyon", "nancy"]);
    assert!(
        o.tries[0].sites.iter().all(|s| s.from_node_files),
        "{}",
        dump(&o)
    );
    // The user's handler saw kadeploy's lines, prefixed with their site.
    let lines = lines.lock().unwrap();
    for site in ["lyon", "nancy"] {
        let want = format!("{site}: The deployment is successful on nodes");
        assert!(lines.contains(&want), "no {want:?} in {lines:#?}");
    }
    // A second deploy finds every host deployed and runs no kadeploy3.
    let again = blocking_deploy(&d, &opts).unwrap();
    assert_eq!(again.already_deployed.len(), 4, "{}", dump(&again));
    assert!(again.tries.is_empty());
    assert_eq!(bed.calls().len(), 2);
}

#[test]
fn a_node_failing_on_every_try_is_recorded_with_its_reason() {
    let bed = Bed::new("fail-always");
    bed.write("fail", &format!("{} BootNewEnv: disk on fire\n", LYON[1]));
    let d = Deployment::new(LYON.iter().chain(&NANCY[..1]).copied()).env_name("debian12-min");
    let o = blocking_deploy(&d, &bed.options().num_tries(3)).unwrap();
    assert_eq!(
        names(&o.deployed),
        strings(&[LYON[0], NANCY[0]]),
        "{}",
        dump(&o)
    );
    assert_eq!(names(&o.undeployed), strings(&[LYON[1]]));
    let why = o.reason(LYON[1]).unwrap();
    for part in [LYON[1], "frontend lyon", "BootNewEnv: disk on fire"] {
        assert!(why.contains(part), "{part:?} not in {why:?}");
    }
    assert!(!o.enough);
    // Three tries; the retries only on the failing node.
    assert_eq!(o.tries.len(), 3, "{}", dump(&o));
    assert_eq!(
        bed.calls(),
        [
            strings(&[NANCY[0]]),
            strings(&[LYON[0], LYON[1]]),
            strings(&[LYON[1]]),
            strings(&[LYON[1]])
        ]
    );
    let last = o.tries.last().unwrap();
    assert_eq!((last.number, last.deployed, last.undeployed), (3, 2, 1));
}

#[test]
fn a_node_failing_once_is_deployed_by_the_retry() {
    let bed = Bed::new("fail-once");
    bed.write("fail-once", &format!("{}\n", LYON[0]));
    let d = Deployment::new(LYON).env_name("debian12-min");
    let o = blocking_deploy(&d, &bed.options().num_tries(2)).unwrap();
    assert_eq!(names(&o.deployed), strings(&LYON), "{}", dump(&o));
    assert!(
        o.undeployed.is_empty() && o.reasons.is_empty(),
        "{}",
        dump(&o)
    );
    assert_eq!(o.tries.len(), 2);
    assert_eq!(names(&o.tries[0].sites[0].undeployed), strings(&[LYON[0]]));
}

#[test]
fn check_enough_decides_when_to_stop() {
    let bed = Bed::new("enough");
    bed.write("fail", &format!("{}\n", LYON[1]));
    let d = Deployment::new(LYON).env_name("debian12-min");
    // Refusing: every try is made.
    let o = blocking_deploy(&d, &bed.options().num_tries(2).check_enough(|_, _| false)).unwrap();
    assert_eq!(o.tries.len(), 2, "{}", dump(&o));
    assert!(!o.enough);
    assert_eq!(names(&o.undeployed), strings(&[LYON[1]]));
    // One deployed host is enough: no retry.
    let bed = Bed::new("enough-one");
    bed.write("fail", &format!("{}\n", LYON[1]));
    let o = blocking_deploy(
        &d,
        &bed.options()
            .num_tries(3)
            .check_enough(|ok, _| !ok.is_empty()),
    )
    .unwrap();
    assert_eq!(o.tries.len(), 1, "{}", dump(&o));
    assert!(o.enough);
    assert_eq!(names(&o.deployed), strings(&[LYON[0]]));
    assert!(
        o.reason(LYON[1]).unwrap().contains("kadeploy3"),
        "{}",
        dump(&o)
    );
    // Enough from the start: no kadeploy3 at all, and the reason says so.
    let bed = Bed::new("enough-zero");
    let o = blocking_deploy(&d, &bed.options().check_enough(|_, _| true)).unwrap();
    assert!(o.tries.is_empty() && bed.calls().is_empty(), "{}", dump(&o));
    assert!(
        o.reason(LYON[0]).unwrap().contains("no kadeploy3 run"),
        "{}",
        dump(&o)
    );
}

#[test]
fn both_output_formats_are_parsed_without_node_files() {
    for format in ["3.2", "3.1", "3.1-caps"] {
        let bed = Bed::new(&format!("format-{format}"));
        bed.write("format", format);
        bed.write("no-node-files", "");
        bed.write("fail", &format!("{} Deploy: boom\n", LYON[1]));
        let d = Deployment::new(LYON.iter().chain(&NANCY).copied()).env_name("debian12-min");
        // No check: kadeploy's printed result alone decides.
        let o = blocking_deploy(&d, &bed.options().check(DeployedCheck::Disabled)).unwrap();
        assert_eq!(
            names(&o.deployed),
            strings(&[LYON[0], NANCY[0], NANCY[1]]),
            "{format}: {}",
            dump(&o)
        );
        assert!(
            o.reason(LYON[1])
                .unwrap()
                .ends_with("kadeploy3: Deploy: boom"),
            "{format}: {}",
            dump(&o)
        );
        assert!(o.tries[0].sites.iter().all(|s| !s.from_node_files));
    }
}

#[test]
fn an_unreachable_frontend_is_a_recorded_failure_naming_the_site() {
    let bed = Bed::new("unreachable");
    let rennes = "paravance-1.rennes.grid5000.fr";
    let d = Deployment::new([LYON[0], rennes]).env_name("debian12-min");
    let o = blocking_deploy(&d, &bed.options()).unwrap();
    assert_eq!(names(&o.deployed), strings(&[LYON[0]]), "{}", dump(&o));
    assert_eq!(names(&o.undeployed), strings(&[rennes]));
    let why = o.reason(rennes).unwrap();
    for part in [rennes, "frontend rennes", "cannot reach the frontend"] {
        assert!(why.contains(part), "{part:?} not in {why:?}");
    }
    let site = o.tries[0]
        .sites
        .iter()
        .find(|s| s.site == "rennes")
        .unwrap();
    assert!(site.error.is_some(), "{}", dump(&o));
}

#[test]
fn a_deploy_that_never_ends_is_killed_at_the_deploy_timeout() {
    let bed = Bed::new("hang");
    bed.write("hang", "");
    let d = Deployment::new(LYON).env_name("debian12-min");
    let o = blocking_deploy(&d, &bed.options().deploy_timeout(Duration::from_secs(2))).unwrap();
    assert!(o.deployed.is_empty(), "{}", dump(&o));
    let why = o.reason(LYON[0]).unwrap();
    for part in [LYON[0], "frontend lyon", "deploy timeout"] {
        assert!(why.contains(part), "{part:?} not in {why:?}");
    }
    assert!(o.tries[0].sites[0].process.timed_out());
    // Killing the run hung kadeploy3 up on the frontend: it does not outlive it.
    let pid: i32 = std::fs::read_to_string(bed.state().join("hang.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        crate::eventually(Duration::from_secs(30), || !crate::alive(pid)),
        "the stand-in (pid {pid}) still runs on the frontend"
    );
}

#[test]
fn a_deployment_without_environment_is_refused_before_anything_runs() {
    let bed = Bed::new("no-env");
    let e = blocking_deploy(&Deployment::new(LYON), &bed.options()).unwrap_err();
    assert!(e.to_string().contains("default_env_name"), "{e}");
    assert!(bed.calls().is_empty());
}

#[test]
fn a_deployment_in_a_kavlan_passes_the_vlan_and_reaches_the_nodes_by_their_kavlan_names() {
    let bed = Bed::new("vlan");
    bed.write(
        "fail",
        &format!("{} BootNewEnv: no link in the VLAN\n", NANCY[1]),
    );
    let d = Deployment::new(LYON.iter().chain(&NANCY).copied())
        .env_name("debian12-min")
        .vlan(4);
    let o = blocking_deploy(&d, &bed.options()).unwrap();
    // kadeploy3 was told the VLAN, on each site.
    let args = std::fs::read_to_string(bed.state().join("args")).unwrap();
    assert_eq!(args.lines().count(), 2, "{args}");
    assert!(
        args.lines().all(|l| l.contains(" --vlan 4 ")),
        "{args}\n{}",
        dump(&o)
    );
    // The check reached the nodes by their kavlan names (the stand-in marks those, as
    // the nodes answer to them in the VLAN): the deployed ones count as deployed, under
    // the names given, as execo's deploy() returns them.
    assert_eq!(
        names(&o.deployed),
        strings(&[LYON[0], LYON[1], NANCY[0]]),
        "{}",
        dump(&o)
    );
    assert_eq!(names(&o.undeployed), strings(&[NANCY[1]]));
    assert!(
        o.reason(NANCY[1])
            .unwrap()
            .contains("BootNewEnv: no link in the VLAN"),
        "{}",
        dump(&o)
    );
    // Reached by their kavlan names, as execo's get_kavlan_host_name gives them.
    assert_eq!(
        names(&o.reachable()),
        strings(&[
            "taurus-1-kavlan-4.lyon.grid5000.fr",
            "taurus-2-kavlan-4.lyon.grid5000.fr",
            "graphene-1-kavlan-4.nancy.grid5000.fr",
        ])
    );
    assert!(!bed.state().join("deployed").join(LYON[0]).exists());
    // A second deploy checks the kavlan names: the deployed nodes are found deployed and
    // only the failed one is given to kadeploy3 again.
    let again = blocking_deploy(&d, &bed.options()).unwrap();
    assert_eq!(
        names(&again.already_deployed),
        strings(&[LYON[0], LYON[1], NANCY[0]]),
        "{}",
        dump(&again)
    );
    assert_eq!(
        bed.calls(),
        [strings(&NANCY), strings(&[NANCY[1]]), strings(&LYON)]
    );
    // Without the VLAN, the usual names are checked: none of them answers as deployed.
    let plain = Deployment::new(LYON).env_name("debian12-min");
    let o = blocking_deploy(&plain, &bed.options()).unwrap();
    assert!(o.already_deployed.is_empty(), "{}", dump(&o));
    assert_eq!(names(&o.reachable()), strings(&LYON));
}
