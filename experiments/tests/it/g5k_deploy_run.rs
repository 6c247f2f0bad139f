//! The guide's "deploy then run" example as a user runs it here: nodes under Grid'5000
//! names and a frontend, all served by a private sshd on loopback, and the kadeploy3
//! stand-in (tests/stand-ins/kadeploy3) given with `--kadeploy3`, the frontend with
//! `--frontend`; the rest (how hosts are reached, the already-deployed check that sees
//! the stand-in's marks) from an execo configuration file, as on Grid'5000.
//!
//! Needs openssh-server and openssh-client (scripts/deps.sh installs them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::common::{TempDir, run_logged, text};

const XP: &str = env!("CARGO_BIN_EXE_g5k_deploy_run");

/// A private sshd on a free loopback port, killed at the end.
struct Sshd {
    child: Child,
    config: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn need(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "`{path}` is missing: install it with `apt-get install {package}` (scripts/deps.sh does)"
    );
}

/// Starts sshd in `dir`; its ssh_config sends every `*.grid5000.fr` name to it as root.
fn sshd(dir: &Path) -> Sshd {
    need("/usr/sbin/sshd", "openssh-server");
    need("/usr/bin/ssh", "openssh-client");
    std::fs::create_dir_all("/run/sshd").ok();
    for key in ["hostkey", "id_ed25519"] {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join(key))
            .status()
            .expect("run ssh-keygen");
        assert!(st.success(), "ssh-keygen: {st}");
    }
    std::fs::copy(dir.join("id_ed25519.pub"), dir.join("authorized_keys")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir.display();
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "HostKey {d}/hostkey\nListenAddress 127.0.0.1:{port}\nPidFile {d}/sshd.pid\n\
             PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nUsePAM no\nAuthorizedKeysFile {d}/authorized_keys\n\
             StrictModes no\nPrintMotd no\nMaxStartups 1000:30:2000\nMaxSessions 100\n"
        ),
    )
    .unwrap();
    let config = dir.join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host *.grid5000.fr\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  \
             IdentityFile {d}/id_ed25519\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  \
             LogLevel ERROR\n  KexAlgorithms curve25519-sha256\n"
        ),
    )
    .unwrap();
    let mut child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sshd");
    // sshd says it listens, or ends (and the read ends with it).
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while err.read_line(&mut line).unwrap_or(0) > 0 {
        seen.push_str(&line);
        if line.contains("Server listening on") {
            break;
        }
        line.clear();
    }
    assert!(
        seen.contains("Server listening on"),
        "sshd did not start: {seen}"
    );
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    Sshd { child, config }
}

/// A run of the example against the stand-in, with `fail` as the nodes it fails.
fn run(tmp: &TempDir, fail: &str, extra: &[&str]) -> (Output, PathBuf) {
    let sshd = sshd(tmp.path());
    let state = tmp.path().join("state");
    std::fs::create_dir_all(state.join("deployed")).unwrap();
    std::fs::write(state.join("fail"), fail).unwrap();
    let config = tmp.path().join("execo.toml");
    std::fs::write(
        &config,
        format!(
            "[connection]\nssh_config = \"{}\"\n\n[g5k]\ncheck_deployed_command = \"test -e {}/deployed/<<host>>\"\n",
            sshd.config.display(),
            state.display()
        ),
    )
    .unwrap();
    let standin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/stand-ins/kadeploy3");
    let out = run_logged(
        Command::new(XP)
            .env("EXECO_CONFIG", &config)
            .env_remove("EXECO_LOG")
            .args(["--frontend", "fe", "--kadeploy3"])
            .arg(format!(
                "KADEPLOY3_STANDIN_DIR={} {}",
                state.display(),
                standin.display()
            ))
            .args(["--env", "debian12-min", "--command", "echo ran on <<host>>"])
            .args(extra),
    );
    drop(sshd);
    (out, state)
}

#[test]
fn deploys_then_runs_on_the_deployed_hosts() {
    let tmp = TempDir::new("g5k_deploy_run");
    let (out, state) = run(
        &tmp,
        "taurus-3.lyon.grid5000.fr disk on fire\n",
        &[
            "taurus-[1-3].lyon.grid5000.fr",
            "graphene-1.nancy.grid5000.fr",
        ],
    );
    let stdout = text(&out.stdout);
    // One node fails on both tries: exit 1, the others deployed and run on.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains(
            "\ndeployed: taurus-1.lyon.grid5000.fr taurus-2.lyon.grid5000.fr graphene-1.nancy.grid5000.fr\n"
        ) || stdout.contains("\ndeployed: graphene-1.nancy.grid5000.fr taurus-1.lyon.grid5000.fr taurus-2.lyon.grid5000.fr\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("undeployed: taurus-3.lyon.grid5000.fr\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("frontend lyon: kadeploy3: disk on fire"),
        "{stdout}"
    );
    assert!(stdout.contains("kadeploy try 2/2"), "{stdout}");
    for h in [
        "taurus-1.lyon.grid5000.fr",
        "taurus-2.lyon.grid5000.fr",
        "graphene-1.nancy.grid5000.fr",
    ] {
        assert!(
            stdout.contains(&format!("{h}: ran on {h}\n")),
            "{h}: {stdout}"
        );
    }
    assert!(stdout.contains("command"), "no Report row: {stdout}");
    // Two sites on the first try, then the failing node alone.
    let calls = std::fs::read_to_string(state.join("calls")).unwrap();
    assert_eq!(calls.lines().count(), 3, "{calls}");
    assert_eq!(
        calls.lines().last(),
        Some("taurus-3.lyon.grid5000.fr"),
        "{calls}"
    );
}

#[test]
fn every_host_deployed_and_run_exits_0() {
    let tmp = TempDir::new("g5k_deploy_run_ok");
    let (out, _) = run(&tmp, "", &["taurus-[1-2].lyon.grid5000.fr"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("undeployed: \n"), "{stdout}");
    assert!(
        stdout.contains("taurus-2.lyon.grid5000.fr: ran on taurus-2.lyon.grid5000.fr"),
        "{stdout}"
    );
}
