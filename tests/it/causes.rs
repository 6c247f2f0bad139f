//! Why something failed is said: the command's or scp's own message, and an interrupted
//! run says it was interrupted, not that ssh failed.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::eventually;
use crate::sshd::TestSshd;

fn execo(sshd: &TestSshd, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    c.arg(args[0])
        .arg("-F")
        .arg(sshd.ssh_config())
        .args(&args[1..])
        .env("EXECO_CONFIG", "/dev/null");
    c
}

#[test]
fn a_failed_get_says_what_scp_said() {
    let sshd = TestSshd::start(2);
    let dir = tempdir("get");
    let out = execo(
        &sshd,
        &[
            "get",
            "-H",
            "host-[1-2]",
            "/no/such/file",
            dir.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No such file or directory"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_failed_put_says_what_scp_said() {
    let sshd = TestSshd::start(1);
    let dir = tempdir("put");
    let file = dir.join("f");
    std::fs::write(&file, "x").unwrap();
    let out = execo(
        &sshd,
        &[
            "put",
            "-H",
            "host-1",
            file.to_str().unwrap(),
            "/no/such/dir/",
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exit code 1: scp: ") && stderr.contains("/no/such/dir/"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_failed_remote_command_shows_its_own_stderr_as_the_cause() {
    let sshd = TestSshd::start(1);
    let out = execo(
        &sshd,
        &[
            "run",
            "-H",
            "host-1",
            "echo 'disk full, giving up' >&2; exit 3",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exit code 3: disk full, giving up"),
        "{stderr}"
    );
}

#[test]
fn processes_ended_by_ctrl_c_are_reported_as_interrupted_not_as_ssh_failures() {
    let sshd = TestSshd::start(4);
    let mut child = execo(&sshd, &["run", "-H", "host-[1-4]", "echo up; sleep 600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Four `up` lines: every remote command runs.
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout).lines().take(4).count()
    });
    assert!(
        eventually(Duration::from_secs(90), || reader.is_finished()),
        "the commands never started"
    );
    assert_eq!(reader.join().unwrap(), 4);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(
        !stderr.contains("255") && !stderr.contains("ssh failed"),
        "{stderr}"
    );
}

fn tempdir(what: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "execo-causes-{what}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
