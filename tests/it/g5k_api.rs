//! The Grid'5000 reference API client, cache, getters and `execo g5k`, against the
//! stand-in API server of `g5k_server` (real HTTP on loopback, the real reference data)
//! with faults injected: a moved version, the API going away, a 401, a 500 then success,
//! a server that never answers, a body that is not JSON, unknown names.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use execo::g5k::api::{Api, ApiOptions};
use execo::g5k::cache::Origin;
use execo::g5k::reference::{Queues, canonical_host_name, kavlan_host_name};
use execo::g5k::{Reference, Settings};

use crate::Scratch;
use crate::g5k_server::ApiServer;

fn api(server: &ApiServer, timeout: Duration) -> Api {
    Api::with_options(ApiOptions {
        uri: server.uri(),
        credentials: None,
        verify_ssl: true,
        timeout,
        additional_args: BTreeMap::new(),
    })
    .unwrap()
}

fn load(server: &ApiServer, dir: &Path) -> Result<Reference, execo::g5k::G5kError> {
    Reference::blocking_load(&api(server, Duration::from_secs(60)), dir)
}

fn targets(server: &ApiServer) -> Vec<String> {
    server.requests().into_iter().map(|r| r.target).collect()
}

#[test]
fn g5k_reference_answers_as_execo_does() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-ref");
    let r = load(&server, &dir.0).unwrap();
    assert_eq!(r.origin(), &Origin::Fetched);
    assert_eq!(r.version, "dfa1d4da9d1a0af0d819d187bb2d3309d2ba3500");
    // The values execo 2.8.2 gives on the same data (fixtures README).
    assert_eq!(r.sites(), ["lille", "lyon", "nancy"]);
    assert_eq!(
        r.clusters(Queues::DEFAULT),
        ["chiclet", "sirius", "taurus", "grouille"]
    );
    assert_eq!(
        r.clusters(Queues::All),
        ["chiclet", "sirius", "taurus", "grouille", "grue"]
    );
    assert_eq!(
        r.host_network_equipments("taurus-1.lyon.grid5000.fr")
            .unwrap(),
        ["force10"]
    );
    assert_eq!(
        r.site_clusters("nancy", Queues::Any(&["production"]))
            .unwrap(),
        ["grue"]
    );
    // Every request asked for JSON.
    assert!(
        server
            .requests()
            .iter()
            .all(|q| q.accept.as_deref() == Some("application/json")),
        "{:?}",
        server.requests()
    );
    // The cache is one file, complete.
    let files: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("reference-") && files[0].ends_with(".json"));
}

#[test]
fn g5k_getters_hosts_clusters_equipment() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-getters");
    let r = load(&server, &dir.0).unwrap();
    let taurus = r.cluster_hosts("taurus").unwrap();
    assert_eq!(taurus.len(), 12);
    assert_eq!(taurus[0], "taurus-1.lyon.grid5000.fr");
    // Node number order, not the API's lexicographic order.
    let nums: Vec<u32> = taurus
        .iter()
        .map(|h| h[7..h.find('.').unwrap()].parse().unwrap())
        .collect();
    assert!(nums.windows(2).all(|w| w[0] < w[1]), "{nums:?}");
    assert_eq!(r.host_site("taurus-1").unwrap(), "lyon");
    assert_eq!(
        r.host_cluster("taurus-1-eth1.lyon.grid5000.fr").unwrap(),
        "taurus"
    );
    assert_eq!(r.cluster_site("grue").unwrap(), "nancy");
    assert_eq!(
        r.host_longname("taurus-1-kavlan-4").unwrap(),
        "taurus-1.lyon.grid5000.fr"
    );
    let n = r.host("taurus-1").unwrap();
    assert_eq!((n.site.as_str(), n.cluster.as_str()), ("lyon", "taurus"));
    assert_eq!(n.cores(), 12);
    assert_eq!(n.flops(), Some(220_800_000_000.0));
    assert_eq!(n.network_adapters[0].switch.as_deref(), Some("force10"));
    assert_eq!(
        r.host_attributes("taurus-1").unwrap()["architecture"]["nb_cores"],
        12
    );
    let grue = r.cluster("grue").unwrap();
    assert_eq!(grue.queues, ["abaca", "admin", "production"]);
    assert!(r.cluster("sirius").unwrap().exotic);
    assert_eq!(r.site_attributes("lyon").unwrap()["uid"], "lyon");
    assert_eq!(r.cluster_attributes("taurus").unwrap()["uid"], "taurus");
    let hosts = vec![
        "taurus-1.lyon.grid5000.fr".to_string(),
        "sirius-1.lyon.grid5000.fr".to_string(),
        "chiclet-1.lille.grid5000.fr".to_string(),
    ];
    assert_eq!(r.fastest_host(&hosts).unwrap(), "sirius-1.lyon.grid5000.fr");
    assert_eq!(r.hosts(Queues::DEFAULT).len(), 12 + 1 + 8 + 2);
    assert_eq!(r.hosts(Queues::All).len(), 28);
    assert_eq!(r.site_hosts("nancy", Queues::All).unwrap().len(), 7);
    // Network equipment: every one of the data reads typed, even without
    // `backplane_bps` or with null rates.
    assert_eq!(
        r.site_network_equipments("lyon").unwrap(),
        [
            "force10",
            "gw",
            "salome",
            "sneowise",
            "sneowiseib1",
            "sneowiseib2"
        ]
    );
    for site in r.sites() {
        for e in r.site_network_equipments(&site).unwrap() {
            let eq = r.network_equipment(&format!("{e}.{site}")).unwrap();
            assert_eq!(eq.site.as_deref(), Some(site.as_str()));
        }
    }
    assert_eq!(r.network_equipment("sneowise").unwrap().backplane_bps, None);
    assert_eq!(r.backbone_network_equipments().len(), 10);
    assert_eq!(r.network_equipment_site("renater-lyon").unwrap(), None);
    assert_eq!(
        r.network_equipment_attributes("gw.lyon.grid5000.fr")
            .unwrap()["uid"],
        "gw"
    );
    assert_eq!(
        r.network_equipment_site("force10").unwrap().as_deref(),
        Some("lyon")
    );
    let e = r.network_equipment("gw").unwrap_err().to_string();
    assert!(
        e.contains("lille, lyon, nancy") && e.contains("gw.SITE"),
        "{e}"
    );
    assert_eq!(r.cluster_network_equipments("taurus").unwrap(), ["force10"]);
    assert_eq!(
        canonical_host_name("taurus-1-eth1.lyon.grid5000.fr"),
        "taurus-1.lyon.grid5000.fr"
    );
    assert_eq!(
        kavlan_host_name("taurus-1.lyon.grid5000.fr", 4),
        "taurus-1-kavlan-4.lyon.grid5000.fr"
    );
}

#[test]
fn g5k_unknown_site_cluster_host_are_named() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-unknown");
    let r = load(&server, &dir.0).unwrap();
    let e = r
        .site_clusters("atlantis", Queues::All)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`atlantis`") && e.contains("no such site"),
        "{e}"
    );
    assert!(e.contains("lille, lyon, nancy"), "{e}");
    let e = r.cluster_hosts("nocluster").unwrap_err().to_string();
    assert!(
        e.contains("`nocluster`") && e.contains("no such cluster"),
        "{e}"
    );
    let e = r
        .host_site("taurus-99.lyon.grid5000.fr")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`taurus-99.lyon.grid5000.fr`") && e.contains("no such host"),
        "{e}"
    );
    assert!(e.contains(&server.uri()), "{e}");
    let e = r.network_equipment("sw-nowhere").unwrap_err().to_string();
    assert!(e.contains("`sw-nowhere`"), "{e}");
    let e = r
        .fastest_host(&["nohost-1".to_string()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`nohost-1`"), "{e}");
}

#[test]
fn g5k_cache_is_reused_then_refreshed_when_the_version_moves() {
    let server = ApiServer::start();
    let dir = Scratch::new("g5k-refresh");
    load(&server, &dir.0).unwrap();
    server.clear_requests();
    // Same version: one `GET /`, nothing else.
    let r = load(&server, &dir.0).unwrap();
    assert_eq!(r.origin(), &Origin::Cached);
    assert_eq!(targets(&server), ["/3.0/"]);
    // The reference moved: the tree is fetched again, and cached.
    server.faults(|f| f.version = Some("0123456789abcdef".into()));
    server.clear_requests();
    let r = load(&server, &dir.0).unwrap();
    assert_eq!(r.origin(), &Origin::Fetched);
    assert_eq!(r.version, "0123456789abcdef");
    let t = targets(&server);
    assert!(
        t.iter()
            .any(|p| p.starts_with("/3.0/sites/lyon/clusters/taurus/nodes")),
        "{t:?}"
    );
    server.clear_requests();
    let r = load(&server, &dir.0).unwrap();
    assert_eq!(r.origin(), &Origin::Cached);
    assert_eq!(r.version, "0123456789abcdef");
    assert_eq!(targets(&server), ["/3.0/"]);
}

#[test]
fn g5k_api_gone_mid_run_uses_the_cache_with_a_warning() {
    let mut server = ApiServer::start();
    let dir = Scratch::new("g5k-gone");
    let api = api(&server, Duration::from_secs(60));
    Reference::blocking_load(&api, &dir.0).unwrap();
    server.stop();
    let r = Reference::blocking_load(&api, &dir.0).unwrap();
    match r.origin() {
        Origin::Stale { cause } => {
            assert!(cause.contains(&server.uri()), "{cause}");
            assert!(cause.contains("cannot connect"), "{cause}");
        }
        o => panic!("expected the stale cache, got {o:?}"),
    }
    assert_eq!(r.host_site("taurus-1").unwrap(), "lyon");
    // No cache and no API: an error naming the URL.
    let empty = Scratch::new("g5k-gone-empty");
    let e = Reference::blocking_load(&api, &empty.0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&server.uri()) && e.contains("cannot connect"),
        "{e}"
    );
}

#[test]
fn g5k_a_401_names_the_url_the_status_and_the_message() {
    let server = ApiServer::start();
    server.faults(|f| f.always = Some((401, "Authentication required".into())));
    let e = api(&server, Duration::from_secs(60))
        .blocking_get("sites", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{}sites", server.uri())), "{e}");
    assert!(
        e.contains("401") && e.contains("Authentication required"),
        "{e}"
    );
    assert!(e.contains("api_username"), "{e}");
    // Not retried.
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn g5k_a_500_then_success_is_retried() {
    let server = ApiServer::start();
    server.faults(|f| f.next.extend([500, 502, 504]));
    let v = api(&server, Duration::from_secs(60))
        .blocking_get("sites/lyon", &[])
        .unwrap();
    assert_eq!(v["uid"], "lyon");
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn g5k_retries_are_bounded() {
    let server = ApiServer::start();
    server.faults(|f| f.always = Some((500, "database is down".into())));
    let e = api(&server, Duration::from_secs(60))
        .blocking_get("sites", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("500") && e.contains("database is down"), "{e}");
    assert!(e.contains("tried 5 times"), "{e}");
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn g5k_a_server_that_never_answers_times_out() {
    let server = ApiServer::start();
    server.faults(|f| f.hang = true);
    let e = api(&server, Duration::from_secs(1))
        .blocking_get("sites", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{}sites", server.uri())), "{e}");
    assert!(e.contains("no answer within 1 s"), "{e}");
}

#[test]
fn g5k_a_body_that_is_not_json_is_named() {
    let server = ApiServer::start();
    server.faults(|f| f.not_json = true);
    let e = api(&server, Duration::from_secs(60))
        .blocking_get("sites", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("{}sites", server.uri())), "{e}");
    assert!(e.contains("not JSON") && e.contains("<html>"), "{e}");
}

#[test]
fn g5k_a_paged_collection_is_read_whole() {
    let server = ApiServer::start();
    server.faults(|f| f.page = Some(5));
    let items = api(&server, Duration::from_secs(60))
        .blocking_get_collection("sites/lyon/clusters/taurus/nodes", &[])
        .unwrap();
    assert_eq!(items.len(), 12);
    let mut uids: Vec<&str> = items.iter().map(|i| i["uid"].as_str().unwrap()).collect();
    uids.dedup();
    assert_eq!(uids.len(), 12);
    let t = targets(&server);
    assert_eq!(t.len(), 3, "{t:?}");
    assert!(
        t[1].contains("offset=5") && t[2].contains("offset=10"),
        "{t:?}"
    );
}

#[test]
fn g5k_credentials_are_sent_only_when_configured() {
    let server = ApiServer::start();
    let mut o = ApiOptions {
        uri: server.uri(),
        credentials: Some(("alice".into(), "s3cret".into())),
        verify_ssl: true,
        timeout: Duration::from_secs(60),
        additional_args: [("branch".to_string(), "testing".to_string())].into(),
    };
    Api::with_options(o.clone())
        .unwrap()
        .blocking_get("", &[])
        .unwrap();
    o.credentials = None;
    Api::with_options(o).unwrap().blocking_get("", &[]).unwrap();
    let r = server.requests();
    // base64("alice:s3cret")
    assert_eq!(
        r[0].authorization.as_deref(),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    assert_eq!(r[1].authorization, None);
    assert!(
        r.iter().all(|q| q.target == "/3.0/?branch=testing"),
        "{r:?}"
    );
}

#[test]
fn g5k_async_calls_work_from_the_users_runtime() {
    let server = ApiServer::start();
    let api = api(&server, Duration::from_secs(60));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let v = rt
        .block_on(async { api.get("sites/nancy", &[]).await })
        .unwrap();
    assert_eq!(v["uid"], "nancy");
}

#[test]
fn g5k_settings_choose_the_api() {
    let server = ApiServer::start();
    let settings = Settings {
        api_uri: server.uri(),
        api_timeout: Duration::from_secs(60),
        ..Settings::default()
    };
    let v = Api::new(&settings).unwrap().blocking_get("", &[]).unwrap();
    assert_eq!(v["uid"], "grid5000");
}

/// `execo g5k ARGS` against the fixture server at `server_uri`, its cache in `dir`:
/// whether it succeeded, its stdout and its stderr.
pub fn execo_g5k(server_uri: &str, dir: &Scratch, args: &[&str]) -> (bool, String, String) {
    let config = dir.write(
        "config.toml",
        &format!(
            "[g5k]\napi_uri = \"{server_uri}\"\ncache_dir = \"{}\"\napi_timeout = 60\n",
            dir.0.join("cache").display()
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .arg("g5k")
        .args(args)
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
fn g5k_cli_lists_sites_clusters_hosts_and_attributes() {
    let mut server = ApiServer::start();
    let dir = Scratch::new("g5k-cli");
    let uri = server.uri();
    let (ok, out, err) = execo_g5k(&uri, &dir, &["sites"]);
    assert!(ok, "{err}");
    assert_eq!(out, "lille\nlyon\nnancy\n");
    let (ok, out, err) = execo_g5k(&uri, &dir, &["clusters", "nancy"]);
    assert!(ok, "{err}");
    assert_eq!(out, "grouille\n");
    let (ok, out, _) = execo_g5k(&uri, &dir, &["clusters", "nancy", "--queues", "all"]);
    assert!(ok);
    assert_eq!(out, "grouille\ngrue\n");
    let (ok, out, err) = execo_g5k(&uri, &dir, &["hosts", "grouille"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "grouille-1.nancy.grid5000.fr\ngrouille-2.nancy.grid5000.fr\n"
    );
    let (ok, out, err) = execo_g5k(&uri, &dir, &["hosts", "lille", "--fold"]);
    assert!(ok, "{err}");
    assert_eq!(out, "chiclet-[1-8].lille.grid5000.fr\n");
    let (ok, out, err) = execo_g5k(
        &uri,
        &dir,
        &[
            "hosts",
            "taurus",
            "--attr",
            "architecture.nb_cores",
            "--fold",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("taurus-[") && out.ends_with(".lyon.grid5000.fr: 12\n"),
        "{out}"
    );
    let (ok, out, err) = execo_g5k(&uri, &dir, &["clusters", "--attr", "exotic"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "chiclet: false\nsirius: true\ntaurus: false\ngrouille: true\n"
    );
    // Unknown names and attributes: an error naming them.
    let (ok, _, err) = execo_g5k(&uri, &dir, &["hosts", "atlantis"]);
    assert!(!ok);
    assert!(
        err.contains("`atlantis`") && err.contains("no such site or cluster"),
        "{err}"
    );
    let (ok, _, err) = execo_g5k(&uri, &dir, &["clusters", "atlantis"]);
    assert!(!ok);
    assert!(
        err.contains("`atlantis`") && err.contains("no such site"),
        "{err}"
    );
    let (ok, _, err) = execo_g5k(&uri, &dir, &["sites", "--attr", "no.such.thing"]);
    assert!(!ok);
    assert!(err.contains("`no.such.thing`"), "{err}");
    // The API gone: the cache answers, with a warning on stderr.
    server.stop();
    let (ok, out, err) = execo_g5k(&uri, &dir, &["sites"]);
    assert!(ok, "{err}");
    assert_eq!(out, "lille\nlyon\nnancy\n");
    assert!(
        err.contains("using the cached Grid'5000 reference data"),
        "{err}"
    );
    // Nothing cached, API gone: an error naming the URL.
    let fresh = Scratch::new("g5k-cli-empty");
    let (ok, _, err) = execo_g5k(&uri, &fresh, &["sites"]);
    assert!(!ok);
    assert!(
        err.contains(&uri) && err.contains("cannot connect"),
        "{err}"
    );
}
