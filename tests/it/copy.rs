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
        &format!("{}/out/<<host>>", dir.display()),
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
        .configure(|p, _, _| {
            p.nolog_exit_code(true);
        })
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
