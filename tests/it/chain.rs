//! ChainPut, `execo put --chain` and `--taktuk`: the file flows through relays (this build's `execo
//! relay`) on the loopback sshd's aliases and on network-namespace hosts; dead hosts, a
//! full disk, an unwritable path and a host cut off mid-transfer are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use execo::action::{Action, ChainPut};
use execo::host::Host;

use crate::Scratch;
use crate::netns::NetnsHosts;
use crate::sshd::TestSshd;

const RELAY: &str = env!("CARGO_BIN_EXE_execo");

/// A file of `len` bytes that no shorter period repeats in.
fn data_file(dir: &Path, len: usize) -> PathBuf {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let p = dir.join("image.bin");
    std::fs::write(&p, bytes).unwrap();
    p
}

fn same(a: &Path, b: &Path) -> bool {
    std::fs::read(a).ok() == std::fs::read(b).ok()
}

fn dump(run: &execo::action::ActionHandle) -> String {
    run.processes().iter().map(|p| p.dump()).collect()
}

#[test]
fn chain_put_gives_every_host_the_file_verified() {
    let sshd = TestSshd::start(5);
    let dir = Scratch::new("chain-ok");
    let src = data_file(&dir.0, 8 << 20);
    for i in 0..5 {
        std::fs::create_dir_all(dir.0.join(format!("d{i}"))).unwrap();
    }
    let small = dir.0.join("small.txt");
    std::fs::write(&small, "second file, second chain\n").unwrap();
    let run = ChainPut::new(
        (1..=5).map(|i| sshd.host(i)),
        [&src, &small],
        format!("{}/d<<index>>", dir.0.display()),
    )
    .relay(RELAY)
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    assert!(run.ok(), "{}", dump(&run));
    assert_eq!(run.processes().len(), 10, "one chain per file");
    for i in 0..5 {
        assert!(
            same(&src, &dir.0.join(format!("d{i}/image.bin"))),
            "host {i}"
        );
        assert!(
            same(&small, &dir.0.join(format!("d{i}/small.txt"))),
            "host {i}"
        );
    }
}

/// A tmpfs of 1 MiB: a real full disk.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf) -> SmallDisk {
        std::fs::create_dir_all(&at).unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&at)
            .status()
            .expect("run mount (util-linux)");
        assert!(st.success(), "mounting a tmpfs needs root");
        SmallDisk(at)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        Command::new("umount").arg(&self.0).status().ok();
    }
}

#[test]
fn chain_put_skips_dead_full_and_unwritable_hosts_and_the_others_get_it() {
    let sshd = TestSshd::start(5);
    let dir = Scratch::new("chain-faults");
    let src = data_file(&dir.0, 6 << 20);
    // Chain order: host-1, a host nobody answers on, host-2 (no such directory),
    // host-3 (1 MiB disk: full mid-transfer), host-4, host-5.
    let dead = Host::new("127.0.0.1").port(1);
    let hosts = vec![
        sshd.host(1),
        dead.clone(),
        sshd.host(2),
        sshd.host(3),
        sshd.host(4),
        sshd.host(5),
    ];
    let dirs: Vec<PathBuf> = (0..6).map(|i| dir.0.join(format!("d{i}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        if i != 2 {
            std::fs::create_dir_all(d).unwrap();
        }
    }
    let _full = SmallDisk::mount(dirs[3].clone());
    let run = ChainPut::new(hosts, [&src], "<<d>>")
        .list("d", dirs.iter().map(|d| d.display().to_string()))
        .relay(RELAY)
        .params(sshd.params())
        .stall_timeout(Duration::from_secs(2))
        .configure(|p, _, _| p.nolog_exit_code(true).nolog_error(true))
        .blocking_run()
        .unwrap();
    let failed: Vec<usize> = (0..6).filter(|&i| !run.process(i).unwrap().ok()).collect();
    assert_eq!(failed, [1, 2, 3], "{}", dump(&run));
    for i in [0, 4, 5] {
        assert!(same(&src, &dirs[i].join("image.bin")), "host {i}");
    }
    let unwritable = run.process(2).unwrap().stderr();
    assert!(
        unwritable.contains("failed to open") && unwritable.contains("No such file"),
        "{unwritable}"
    );
    let full = run.process(3).unwrap().stderr();
    assert!(full.contains("No space left"), "{full}");
}

#[test]
fn chain_put_skips_a_host_cut_off_mid_transfer() {
    let hosts = NetnsHosts::up(3);
    let dir = Scratch::new("chain-cut");
    let src = data_file(&dir.0, 64 << 20);
    let dirs: Vec<PathBuf> = (1..=3).map(|i| dir.0.join(format!("n{i}"))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    let run = ChainPut::new((1..=3).map(|i| hosts.host(i)), [&src], "<<d>>")
        .list("d", dirs.iter().map(|d| d.display().to_string()))
        .relay(RELAY)
        .params(hosts.params())
        .stall_timeout(Duration::from_secs(2))
        .configure(|p, _, _| p.nolog_exit_code(true).nolog_error(true))
        .start()
        .unwrap();
    // Host 3's relay is stopped once ready: host 2 then cannot hand the file on nor
    // answer, so the chain cannot end before host 2 is cut off, once it has data.
    let relay_pid = |path: &Path| {
        let out = Command::new("pgrep")
            // The relay itself, not the local ssh that started it.
            .args(["-f", &format!("^{RELAY} relay .*{}", path.display())])
            .output()
            .expect("run pgrep (procps)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    run.process(2)
        .unwrap()
        .blocking_expect("execo-relay ready")
        .unwrap();
    let last = relay_pid(&dirs[2].join("image.bin"));
    assert!(!last.is_empty(), "host 3's relay runs: {}", dump(&run));
    Command::new("kill")
        .args(["-STOP", &last])
        .status()
        .unwrap();
    let middle = dirs[1].join("image.bin");
    while std::fs::metadata(&middle).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(
            !run.ended(),
            "the chain ended before host 2 got data: {}",
            dump(&run)
        );
        std::thread::yield_now();
    }
    hosts.cut(2);
    Command::new("kill")
        .args(["-CONT", &last])
        .status()
        .unwrap();
    assert!(
        run.blocking_wait_timeout(Duration::from_secs(300)),
        "the chain must end by itself, not hang"
    );
    let ok: Vec<bool> = (0..3).map(|i| run.process(i).unwrap().ok()).collect();
    assert_eq!(ok, [true, false, true], "{}", dump(&run));
    for i in [0, 2] {
        assert!(same(&src, &dirs[i].join("image.bin")), "host {}", i + 1);
    }
}

#[test]
fn execo_put_chain_copies_to_every_host() {
    let sshd = TestSshd::start(3);
    let dir = Scratch::new("chain-cli");
    let src = data_file(&dir.0, 1 << 20);
    let dest = dir.0.join("dest");
    std::fs::create_dir_all(&dest).unwrap();
    // The aliases share this machine's disk: one host to a destination directory.
    let out = Command::new(RELAY)
        .arg("put")
        .arg("-F")
        .arg(sshd.ssh_config())
        .args(["--chain", "--relay", RELAY, "-H", "host-1"])
        .arg(&src)
        .arg(&dest)
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(same(&src, &dest.join("image.bin")));
    let bad = Command::new(RELAY)
        .arg("put")
        .arg("-F")
        .arg(sshd.ssh_config())
        .args(["--chain", "--relay", RELAY, "-H", "host-[1-2]"])
        .arg(&src)
        .arg(dir.0.join("missing-dir"))
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("2 of 2 hosts failed") && err.contains("failed to open"),
        "{err}"
    );
}

#[test]
fn execo_put_taktuk_copies_to_every_host() {
    let sshd = TestSshd::start(2);
    let dir = Scratch::new("taktuk-put-cli");
    let src = data_file(&dir.0, 256 << 10);
    for h in ["host-1", "host-2"] {
        std::fs::create_dir_all(dir.0.join(h)).unwrap();
    }
    let out = Command::new(RELAY)
        .arg("put")
        .arg("-F")
        .arg(sshd.ssh_config())
        .args(["--taktuk", "-H", "host-[1-2]"])
        .arg(&src)
        .arg(format!("{}/<<host>>", dir.0.display()))
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for h in ["host-1", "host-2"] {
        assert!(same(&src, &dir.0.join(h).join("image.bin")), "{h}");
    }
}

#[test]
fn chain_put_to_hosts_without_the_relay_fails_each_host_clearly() {
    let sshd = TestSshd::start(2);
    let dir = Scratch::new("chain-norelay");
    let src = data_file(&dir.0, 4096);
    let run = ChainPut::new(
        (1..=2).map(|i| sshd.host(i)),
        [&src],
        dir.0.display().to_string(),
    )
    .relay("/nonexistent/execo")
    .params(sshd.params())
    .configure(|p, _, _| p.nolog_exit_code(true))
    .blocking_run()
    .unwrap();
    for i in 0..2 {
        let p = run.process(i).unwrap();
        assert!(
            !p.ok() && p.stderr().contains("/nonexistent/execo"),
            "{}",
            p.dump()
        );
    }
}
