//! Jobs and deployments through the REST API (`execo::g5k::rest`, `Backend::Rest`)
//! against the stand-in API server of g5k_rest_server.rs: paging past 500 jobs, reuse by
//! name, 5xx for a while, a job deleted while waited for, deployments OK/KO per node;
//! and, with the stand-in driving the real test OAR (tests/it/oar.rs's testbed), a job
//! reserved, started on the namespace hosts and released, OAR's refusals of
//! reservations as typed errors, and a walltime extension.

use std::time::{Duration, Instant};

use serde_json::json;

use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::error::ReservationRefused;
use execo::g5k::oar::{JobState, OarSubmission};
use execo::g5k::rest::{self, ApiSite, DeploymentRequest};
use execo::g5k::{Backend, Job, Settings};

use crate::g5k_rest_server::{OarLink, RestServer};

pub(crate) fn site(srv: &RestServer, site: &str) -> ApiSite {
    let api = Api::with_options(ApiOptions {
        uri: srv.uri(),
        credentials: Some(("alice".into(), "pw".into())),
        verify_ssl: true,
        timeout: Duration::from_secs(120),
        additional_args: Default::default(),
    })
    .unwrap();
    ApiSite::new(api, site)
}

/// No two requests to the site came less than a second apart (a margin for the
/// server's own clock reading).
fn paced(srv: &RestServer) {
    let r = srv.requests();
    for w in r.windows(2) {
        let gap = w[1].at.duration_since(w[0].at);
        assert!(
            gap >= Duration::from_millis(900),
            "{} then {} only {gap:?} apart",
            w[0].target,
            w[1].target
        );
    }
}

#[test]
fn rest_reuse_by_name_finds_a_job_past_the_first_500() {
    let srv = RestServer::start(None);
    let xp = srv.add_job(json!({"name": "xp", "state": "running"}));
    srv.add_job(json!({"name": "xp", "user": "bob", "user_uid": "bob"}));
    for i in 0..600 {
        srv.add_job(json!({"name": format!("bulk-{i}")}));
    }
    let backend = Backend::Rest(site(&srv, "lyon"));
    let s = Settings::default();
    let spec = OarSubmission::new("nodes=1").walltime("0:10").name("xp");
    let (job, reused) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    assert!(reused);
    assert_eq!(job.id, xp);
    let gets: Vec<String> = srv.requests().into_iter().map(|r| r.target).collect();
    assert!(
        gets.iter().any(|t| t.contains("offset=500")),
        "the second page was not read: {gets:?}"
    );
    assert!(srv.requests().iter().all(|r| r.method == "GET"));
    // every page: 602 jobs in all
    let all = rest::jobs::blocking_list(backend_site(&backend), &[]);
    assert_eq!(all.unwrap().len(), 602, "bob's included, no filter");
    // a name nobody uses: submitted
    let (fresh, reused) = Job::blocking_reserve(&spec.clone().name("fresh"), &backend, &s).unwrap();
    assert!(!reused);
    assert!(srv.requests().iter().any(|r| r.method == "POST"));
    assert_eq!(fresh.blocking_info(&s).unwrap().state, JobState::Waiting);
    // two living jobs of alice with one name: an error naming both
    let dup = srv.add_job(json!({"name": "xp"}));
    let e = Job::blocking_reserve(&spec, &backend, &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&xp.to_string()) && e.contains(&dup.to_string()) && e.contains("lyon"),
        "{e}"
    );
    paced(&srv);
}

fn backend_site(b: &Backend) -> &ApiSite {
    match b {
        Backend::Rest(a) => a,
        _ => panic!("not the REST backend"),
    }
}

#[test]
fn rest_5xx_for_a_while_then_success() {
    let srv = RestServer::start(None);
    let id = srv.add_job(json!({"name": "xp"}));
    let s = Settings::default();
    let job = Job::new(id, Backend::Rest(site(&srv, "lyon")));
    srv.fail_next(&[503, 502, 500]);
    let info = job.blocking_info(&s).unwrap();
    assert_eq!(info.id, id);
    assert_eq!(srv.requests().len(), 4);
    // always failing: given up, the site and the tries named
    srv.fail_next(&[500; 5]);
    let e = job.blocking_info(&s).unwrap_err().to_string();
    assert!(
        e.contains("HTTP 500") && e.contains("tried 5 times") && e.contains("the API of lyon"),
        "{e}"
    );
    assert!(e.contains(&format!("`job {id}`")), "{e}");
    // a POST that got a 500 may have submitted: not tried again
    let before = srv.requests().len();
    srv.fail_next(&[500]);
    let e = Job::blocking_reserve(&OarSubmission::new("nodes=1"), job.backend(), &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("failed to submit") && e.contains("HTTP 500"),
        "{e}"
    );
    assert_eq!(srv.requests().len(), before + 1);
    paced(&srv);
}

#[test]
fn rest_a_job_deleted_while_waited_for_ends_the_wait() {
    let srv = RestServer::start(None);
    let start = execo::g5k::oar::time::now_unix() + 3600;
    let id = srv.add_job(json!({"name": "xp", "scheduled_at": start}));
    let s = Settings::default();
    let job = Job::new(id, Backend::Rest(site(&srv, "lyon")));
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = {
        let (job, s) = (job.clone(), s.clone());
        std::thread::spawn(move || {
            let mut cb = move |p: Option<i64>| {
                tx.send(p).ok();
            };
            job.blocking_wait_start(Some(Duration::from_secs(3600)), Some(&mut cb), &s)
        })
    };
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(60)).unwrap(),
        Some(start)
    );
    // someone else deletes it
    let other = Job::new(id, Backend::Rest(site(&srv, "lyon")));
    other.blocking_delete(&s).unwrap();
    let e = waiting.join().unwrap().unwrap_err().to_string();
    assert!(
        e.contains(&format!("`job {id}`")) && e.contains("lyon") && e.contains("deleted"),
        "{e}"
    );
    // a wait that cannot succeed still ends
    let id = srv.add_job(json!({}));
    let job = Job::new(id, Backend::Rest(site(&srv, "lyon")));
    let t0 = Instant::now();
    let e = job
        .blocking_wait_start(Some(Duration::from_secs(2)), None, &s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("timed out") && e.contains("Waiting"), "{e}");
    assert!(t0.elapsed() >= Duration::from_secs(2));
    // a job the API does not know
    let job = Job::new(999, Backend::Rest(site(&srv, "lyon")));
    let e = job
        .blocking_wait_start(None, None, &s)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no longer knows") && e.contains("`job 999`"),
        "{e}"
    );
}

#[test]
fn rest_deployment_ok_and_ko_per_node() {
    let srv = RestServer::start(None);
    srv.fail_deploy("taurus-2.lyon.grid5000.fr", "reboot timed out");
    let site = site(&srv, "lyon");
    let nodes = [
        "taurus-1.lyon.grid5000.fr",
        "taurus-2.lyon.grid5000.fr",
        "taurus-3.lyon.grid5000.fr",
    ];
    let r = rest::deployments::blocking_deploy(
        &site,
        &DeploymentRequest::new(nodes, "debian12-min"),
        Duration::from_secs(120),
    )
    .unwrap();
    assert_eq!(r.status, "terminated");
    let ok: Vec<&str> = r.ok.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(ok, [nodes[0], nodes[2]]);
    assert_eq!(r.ko.len(), 1);
    assert_eq!(r.ko[nodes[1]], "reboot timed out");
    assert!(r.uid.starts_with("D-"));
    let posts: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert!(posts[0].target.ends_with("/3.0/sites/lyon/deployments"));
    paced(&srv);
}

/// `execo oar ARGS --api -f lyon` against `srv`; (success, stdout, stderr).
fn execo_oar_api(srv: &RestServer, dir: &crate::Scratch, args: &[&str]) -> (bool, String, String) {
    let config = dir.write(
        "config.toml",
        &format!(
            "[g5k]\napi_uri = \"{}\"\napi_username = \"alice\"\napi_password = \"pw\"\napi_timeout = 60\n",
            srv.uri()
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_execo"))
        .arg("oar")
        .args(args)
        .args(["--api", "-f", "lyon"])
        .env("EXECO_CONFIG", config)
        .env("HOME", &dir.0)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rest_cli_sub_stat_wait_del_through_the_api() {
    let srv = RestServer::start(None);
    let dir = crate::Scratch::new("rest-cli");
    let (ok, out, err) = execo_oar_api(
        &srv,
        &dir,
        &["sub", "-l", "nodes=1", "-w", "0:10", "-n", "xp"],
    );
    assert!(ok, "{err}");
    let id: u64 = out
        .strip_prefix("lyon ")
        .and_then(|i| i.trim().parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    let post = srv
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert!(post.target.ends_with("/3.0/sites/lyon/jobs"), "{post:?}");
    // --reuse: the same job
    let (ok, again, err) =
        execo_oar_api(&srv, &dir, &["sub", "-l", "nodes=1", "-n", "xp", "--reuse"]);
    assert!(ok, "{err}");
    assert_eq!(again, out);
    let (ok, out, err) = execo_oar_api(&srv, &dir, &["stat"]);
    assert!(ok, "{err}");
    assert_eq!(out, format!("lyon {id} Waiting xp \n"));
    let id_s = id.to_string();
    let (ok, _, err) = execo_oar_api(&srv, &dir, &["wait", &id_s, "--timeout", "2"]);
    assert!(!ok);
    assert!(
        err.contains("timed out") && err.contains(&format!("`job {id}`")),
        "{err}"
    );
    let (ok, _, err) = execo_oar_api(&srv, &dir, &["del", &id_s]);
    assert!(ok, "{err}");
    let (ok, out, err) = execo_oar_api(&srv, &dir, &["stat", &id_s]);
    assert!(ok, "{err}");
    assert!(out.contains("state: Error"), "{out}");
    let (ok, _, err) = execo_oar_api(&srv, &dir, &["nodes", &id_s]);
    assert!(!ok);
    assert!(err.contains("deleted"), "{err}");
}

// ---- with the real test OAR behind the stand-in ----

pub(crate) fn oar_server() -> (RestServer, &'static crate::oar::Testbed) {
    let t = crate::oar::testbed();
    let srv = RestServer::start(Some(OarLink {
        ssh_config: t.ssh_config.clone(),
        site: t.site.clone(),
    }));
    (srv, t)
}

/// Deletes the job when the test ends, however it ends.
struct Release(Job);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.blocking_delete(&Settings::default()).ok();
    }
}

/// OAR allows two waiting advance reservations per user: tests that make some take
/// this lock.
pub(crate) fn reservations_lock() -> std::fs::File {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/tmp/execo-oar-reservations.lock")
        .unwrap();
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    f
}

#[test]
fn rest_oar_reserve_wait_nodes_delete() {
    let (srv, t) = oar_server();
    let s = Settings::default();
    let backend = Backend::Rest(site(&srv, &t.site));
    let spec = OarSubmission::new("{cluster='oarn'}/nodes=2")
        .walltime("0:10:00")
        .name("rest-reserve");
    let (job, reused) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    let _guard = Release(job.clone());
    assert!(!reused);
    let nodes = job
        .blocking_nodes(Some(Duration::from_secs(300)), &s)
        .unwrap();
    let names: Vec<&str> = nodes.iter().map(|h| h.address.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().all(|n| t.nodes.iter().any(|m| m == n)),
        "{names:?}"
    );
    // the same name again: the same job
    let (again, reused) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    assert!(reused);
    assert_eq!(again.id, job.id);
    // it really runs on the nodes OAR gave: oarstat through the frontend says so
    let info = job.blocking_info(&s).unwrap();
    assert_eq!(info.state, JobState::Running);
    assert_eq!(info.owner, "alice");
    job.blocking_delete(&s).unwrap();
    // OAR deletes it shortly after the API's 202; the wait for a final state is bounded
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let st = job.blocking_info(&s).unwrap().state;
        if st.is_final() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {st} two minutes after DELETE"
        );
        std::thread::park_timeout(Duration::from_millis(500));
    }
    paced(&srv);
}

#[test]
fn rest_oar_refused_reservations_are_typed() {
    let (srv, t) = oar_server();
    let _lock = reservations_lock();
    let s = Settings::default();
    let backend = Backend::Rest(site(&srv, &t.site));
    // a date already past by more than the walltime: too old
    let past = execo::g5k::oar::time::now_unix() - 86_400;
    let e = Job::blocking_reserve(
        &OarSubmission::new("nodes=1")
            .walltime("0:10:00")
            .reservation(past),
        &backend,
        &s,
    )
    .unwrap_err();
    assert_eq!(
        e.reservation_refused(),
        Some(&ReservationRefused::TooOld),
        "{e}"
    );
    assert!(e.to_string().contains(&t.site), "{e}");
    // the same refusal through OAR's commands: the same typed error
    let e = Job::blocking_reserve(
        &OarSubmission::new("nodes=1")
            .walltime("0:10:00")
            .reservation(past),
        &Backend::Commands(t.frontend()),
        &t.settings(),
    )
    .unwrap_err();
    assert_eq!(
        e.reservation_refused(),
        Some(&ReservationRefused::TooOld),
        "{e}"
    );
    assert!(e.to_string().contains("frontend testsite"), "{e}");
    // every node taken at a date: another reservation of them could run later
    // two days ahead: clear of the other tests' reservations (an hour or two ahead)
    let at = execo::g5k::oar::time::now_unix() + 2 * 86_400;
    let all = t.nodes.len();
    let spec = OarSubmission::new(format!("{{cluster='oarn'}}/nodes={all}"))
        .walltime("1:00:00")
        .reservation(at);
    let (first, _) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    let _guard = Release(first);
    let e = Job::blocking_reserve(&spec, &backend, &s).unwrap_err();
    match e.reservation_refused() {
        Some(ReservationRefused::CouldRunAt { unix, date }) => {
            assert!(*unix >= at + 3600, "{date}: {e}");
        }
        other => panic!("{other:?}: {e}"),
    }
}

#[test]
fn rest_oar_walltime_extension() {
    let (srv, t) = oar_server();
    let s = Settings::default();
    let backend = Backend::Rest(site(&srv, &t.site));
    let spec = OarSubmission::new("{cluster='oarn'}/nodes=1").walltime("0:10:00");
    let (job, _) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    let _guard = Release(job.clone());
    job.blocking_wait_start(Some(Duration::from_secs(300)), None, &s)
        .unwrap();
    job.blocking_extend_walltime("0:05:00", &s).unwrap();
    // OAR's scheduler applies it at its next pass: bounded wait for the new walltime
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let w = job.blocking_info(&s).unwrap().walltime;
        if w == Some(900) {
            break;
        }
        assert!(Instant::now() < deadline, "walltime still {w:?}");
        std::thread::park_timeout(Duration::from_millis(500));
    }
    // a job that is not ours to extend: OAR's words
    let e = Job::new(999_999, backend)
        .blocking_extend_walltime("0:05:00", &s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("extend the walltime of `job 999999`"), "{e}");
}

#[test]
fn rest_oar_a_job_deleted_by_someone_else_ends_the_wait() {
    let (srv, t) = oar_server();
    let _lock = reservations_lock();
    let s = Settings::default();
    let backend = Backend::Rest(site(&srv, &t.site));
    // a reservation in an hour: the wait would last an hour
    let at = execo::g5k::oar::time::now_unix() + 3600;
    let spec = OarSubmission::new("{cluster='oarn'}/nodes=1")
        .walltime("0:10:00")
        .reservation(at);
    let (job, _) = Job::blocking_reserve(&spec, &backend, &s).unwrap();
    let _guard = Release(job.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = {
        let (job, s) = (job.clone(), s.clone());
        std::thread::spawn(move || {
            let mut cb = move |p: Option<i64>| {
                tx.send(p).ok();
            };
            job.blocking_wait_start(Some(Duration::from_secs(3600)), Some(&mut cb), &s)
        })
    };
    let predicted = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    assert_eq!(predicted, Some(at));
    // someone else: oardel on the frontend, not through the API
    let theirs = execo::g5k::oar::OarJob::new(job.id, t.frontend());
    execo::g5k::oar::blocking_oardel(std::slice::from_ref(&theirs), &t.settings())
        .pop()
        .unwrap()
        .unwrap();
    let e = waiting.join().unwrap().unwrap_err().to_string();
    assert!(
        e.contains(&format!("`job {}`", job.id)) && e.contains("the API of testsite"),
        "{e}"
    );
    assert!(e.contains("deleted"), "{e}");
}
