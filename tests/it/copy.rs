use execo::action::{Action, Get, Put};

use crate::sshd::TestSshd;

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("execo-it-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn put_copies_files_with_spaces_to_every_host() {
    let sshd = TestSshd::start(3);
    let dir = scratch("put");
    let (a, b) = (dir.join("file a.txt"), dir.join("b.txt"));
    std::fs::write(&a, "alpha").unwrap();
    std::fs::write(&b, "beta").unwrap();
    for i in 0..3 {
        std::fs::create_dir_all(dir.join(format!("dest-{i}"))).unwrap();
    }
    let dest = format!("{}/dest-<<index>>", dir.display());
    let run = Put::new(
        (1..=3).map(|i| sshd.host(i)),
        [a.to_str().unwrap(), b.to_str().unwrap()],
        &dest,
    )
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    assert!(
        run.ok(),
        "{}",
        run.processes().iter().map(|p| p.dump()).collect::<String>()
    );
    for i in 0..3 {
        assert_eq!(
            std::fs::read_to_string(dir.join(format!("dest-{i}/file a.txt"))).unwrap(),
            "alpha"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(format!("dest-{i}/b.txt"))).unwrap(),
            "beta"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn get_brings_each_hosts_files_into_its_own_directory() {
    let sshd = TestSshd::start(2);
    let dir = scratch("get");
    std::fs::write(dir.join("remote.log"), "log line\n").unwrap();
    for h in ["host-1", "host-2"] {
        std::fs::create_dir_all(dir.join("out").join(h)).unwrap();
    }
    let run = Get::new(
        (1..=2).map(|i| sshd.host(i)),
        [format!("{}/remote.log", dir.display())],
        format!("{}/out/<<host>>", dir.display()),
    )
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    assert!(
        run.ok(),
        "{}",
        run.processes().iter().map(|p| p.dump()).collect::<String>()
    );
    for h in ["host-1", "host-2"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("out").join(h).join("remote.log")).unwrap(),
            "log line\n"
        );
    }
    let missing = Get::new([sshd.host(1)], ["/no/such/file"], dir.to_str().unwrap())
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_exit_code(true))
        .blocking_run()
        .unwrap();
    assert!(!missing.ok());
    assert!(
        missing
            .process(0)
            .unwrap()
            .stderr()
            .contains("No such file"),
        "{}",
        missing.process(0).unwrap().dump()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn put_and_get_expand_tilde_and_get_makes_its_directories() {
    let sshd = TestSshd::start(2);
    let dir = scratch("tilde");
    let home = std::path::PathBuf::from(std::env::var("HOME").expect("HOME is set"));
    // The guide's `Put(hosts, ["~/.profile"], ...)`, with a file of our own in HOME.
    let name = format!(".execo-it-tilde-{}", std::process::id());
    std::fs::write(home.join(&name), "from home").unwrap();
    let put = Put::new([sshd.host(1)], [format!("~/{name}")], dir.to_str().unwrap())
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    std::fs::remove_file(home.join(&name)).ok();
    assert!(put.ok(), "{}", put.process(0).unwrap().dump());
    assert_eq!(
        std::fs::read_to_string(dir.join(&name)).unwrap(),
        "from home"
    );
    // The rustdoc's `get` into `results/<<host>>`, with no directory made beforehand,
    // under `~` too.
    let results = format!("~/{name}-results/<<host>>");
    let get = Get::new(
        (1..=2).map(|i| sshd.host(i)),
        [dir.join(&name).to_str().unwrap()],
        &results,
    )
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    let got = |h: &str| std::fs::read_to_string(home.join(format!("{name}-results/{h}/{name}")));
    let (one, two) = (got("host-1"), got("host-2"));
    std::fs::remove_dir_all(home.join(format!("{name}-results"))).ok();
    assert!(
        get.ok(),
        "{}",
        get.processes().iter().map(|p| p.dump()).collect::<String>()
    );
    assert_eq!(one.unwrap(), "from home");
    assert_eq!(two.unwrap(), "from home");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_local_directory_that_cannot_be_made_is_that_hosts_start_error() {
    let sshd = TestSshd::start(1);
    let dir = scratch("nodir");
    std::fs::write(dir.join("a-file"), "").unwrap();
    let local = format!("{}/a-file/<<host>>", dir.display());
    let get = Get::new([sshd.host(1)], ["/etc/hostname"], &local)
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let p = get.process(0).unwrap();
    let err = p.start_error().unwrap_or_default();
    assert!(
        err.contains("failed to create local directory")
            && err.contains("a-file/host-1")
            && err.contains("host-1"),
        "{}",
        p.dump()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_host_named_dot_dot_cannot_get_or_put_outside_the_local_directory() {
    let sshd = TestSshd::start(1);
    let dir = scratch("dotdot");
    std::fs::create_dir_all(dir.join("remote")).unwrap();
    std::fs::write(dir.join("remote/data.txt"), "data").unwrap();
    // `..` is a working ssh alias of the test server here, so only the refusal keeps
    // scp from writing `out/../data.txt`, that is `data.txt` beside `out`.
    let cfg = dir.join("ssh_config");
    std::fs::write(
        &cfg,
        format!(
            "Include {}\nHost ..\n  HostName 127.0.0.1\n  Port {}\n",
            sshd.ssh_config().display(),
            sshd.port
        ),
    )
    .unwrap();
    let params = execo::host::ConnectionParams {
        ssh_config: Some(cfg),
        ..execo::host::ConnectionParams::default()
    };
    let get = Get::new(
        [execo::host::Host::new(".."), sshd.host(1)],
        [dir.join("remote/data.txt").to_str().unwrap()],
        format!("{}/out/<<host>>", dir.display()),
    )
    .params(params.clone())
    .configure(|p, _, _| p.nolog_error(true))
    .blocking_run()
    .unwrap();
    let refused = get.process(0).unwrap();
    let err = refused.start_error().unwrap_or_default();
    assert!(
        err.contains("for host `..`") && err.contains("cannot be part of a local path"),
        "{}",
        refused.dump()
    );
    assert!(!dir.join("data.txt").exists(), "the get escaped `out`");
    assert!(
        get.process(1).unwrap().ok(),
        "{}",
        get.process(1).unwrap().dump()
    );
    assert!(dir.join("out/host-1/data.txt").exists());
    // A local source naming the host is refused the same way.
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(dir.join("secret"), "not for hosts").unwrap();
    let put = Put::new(
        [execo::host::Host::new("..")],
        [format!("{}/conf/<<host>>/secret", dir.display())],
        dir.join("remote").to_str().unwrap(),
    )
    .params(params)
    .configure(|p, _, _| p.nolog_error(true))
    .blocking_run()
    .unwrap();
    let err = put.process(0).unwrap().start_error().unwrap_or_default();
    assert!(err.contains("failed to put"), "{err}");
    assert!(!dir.join("remote/secret").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failed_copy_keeps_scps_message() {
    let sshd = TestSshd::start(1);
    let dir = scratch("scpmsg");
    std::fs::write(dir.join("f.txt"), "f").unwrap();
    let put = Put::new(
        [sshd.host(1)],
        [dir.join("f.txt").to_str().unwrap()],
        "/no/such/remote/dir",
    )
    .params(sshd.params())
    .configure(|p, _, _| p.nolog_exit_code(true))
    .blocking_run()
    .unwrap();
    let p = put.process(0).unwrap();
    assert_eq!(p.exit_code(), Some(1), "{}", p.dump());
    assert!(
        p.stderr().contains("/no/such/remote/dir") && p.stderr().contains("No such file"),
        "{}",
        p.dump()
    );
    let get = Get::new(
        [sshd.host(1)],
        ["/no/such/remote/file"],
        dir.to_str().unwrap(),
    )
    .params(sshd.params())
    .configure(|p, _, _| p.nolog_exit_code(true))
    .blocking_run()
    .unwrap();
    let p = get.process(0).unwrap();
    assert_eq!(p.exit_code(), Some(1), "{}", p.dump());
    assert!(
        p.stderr().contains("/no/such/remote/file") && p.stderr().contains("No such file"),
        "{}",
        p.dump()
    );
    std::fs::remove_dir_all(&dir).ok();
}
