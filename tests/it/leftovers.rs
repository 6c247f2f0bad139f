//! Nothing outlives the program: remote commands die with their ssh (timeout, SIGINT,
//! SIGTERM, with or without a tty), and after a `kill -9` of the program no local child,
//! remote command, ssh master or spool directory it made survives.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::eventually;
use crate::sshd::TestSshd;

/// Generous bound for what must happen "within a few seconds" on a loaded machine.
const LIMIT: Duration = Duration::from_secs(90);

/// A marker no other process has: `sleep` of this many seconds.
fn marker() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("7{:03}.{n:09}", std::process::id() % 1000)
}

fn cmdline(pid: &str) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn pids() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

/// `sleep MARKER` processes (the remote or local commands themselves).
fn sleeps(marker: &str) -> usize {
    pids()
        .iter()
        .filter(|p| {
            let c = cmdline(p);
            c.len() == 2 && c[0].ends_with("sleep") && c[1] == marker
        })
        .count()
}

/// Every live process whose command line mentions `marker` (a zombie's is empty), but
/// this test's own.
fn mentioning(marker: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    pids()
        .into_iter()
        .filter(|p| *p != me)
        .filter_map(|p| {
            let c = cmdline(&p).join(" ");
            c.contains(marker).then(|| format!("{p}: {c}"))
        })
        .collect()
}

fn execo_run(sshd: Option<&TestSshd>, args: &[&str]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    c.arg("run");
    if let Some(s) = sshd {
        c.arg("-F").arg(s.ssh_config());
    }
    c.args(args)
        .env("EXECO_CONFIG", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c.spawn().expect("run the execo binary")
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

/// Waits until `n` sleeps of `marker` run; fails with what execo said otherwise.
fn wait_started(child: &mut Child, marker: &str, n: usize) {
    let started = eventually(LIMIT, || sleeps(marker) >= n);
    if !started {
        child.kill().ok();
        child.wait().ok();
        let mut said = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut said).ok();
        }
        panic!(
            "{} of {n} commands started; execo said: {said}",
            sleeps(marker)
        );
    }
}

fn assert_all_gone(marker: &str, what: &str) {
    let gone = eventually(LIMIT, || mentioning(marker).is_empty());
    assert!(
        gone,
        "{what}: still running {LIMIT:?} later:\n{}",
        mentioning(marker).join("\n")
    );
}

fn remote_ends_on(sig: i32, tty: bool) {
    let sshd = TestSshd::start(8);
    let m = marker();
    let cmd = format!("sleep {m}");
    let mut args = vec!["-H", "host-[1-8]"];
    if tty {
        args.push("--tty");
    }
    args.push(&cmd);
    let mut child = execo_run(Some(&sshd), &args);
    wait_started(&mut child, &m, 8);
    signal(&child, sig);
    child.wait().unwrap();
    assert_all_gone(
        &m,
        &format!("after signal {sig} of `execo run` (tty: {tty})"),
    );
}

#[test]
fn remote_commands_end_when_execo_run_gets_sigint() {
    remote_ends_on(libc::SIGINT, false);
}

#[test]
fn remote_commands_end_when_execo_run_gets_sigterm() {
    remote_ends_on(libc::SIGTERM, false);
}

#[test]
fn remote_commands_end_after_a_kill_9_of_execo_run() {
    remote_ends_on(libc::SIGKILL, false);
}

#[test]
fn remote_commands_with_a_tty_end_after_a_kill_9_of_execo_run() {
    remote_ends_on(libc::SIGKILL, true);
}

#[test]
fn remote_commands_end_with_their_timeout() {
    let sshd = TestSshd::start(8);
    let m = marker();
    let cmd = format!("echo started; sleep {m}");
    // The timeout fires whatever the machine's speed: the command never ends by itself;
    // 30 s leave ample time for each ssh to connect and say `started` first.
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    c.args(["run", "-F"])
        .arg(sshd.ssh_config())
        .args(["-H", "host-[1-8]", "-t", "30", &cmd])
        .env("EXECO_CONFIG", "/dev/null");
    let out = crate::bounded(c, "execo run -t 30 …");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("started").count(), 8, "{stdout}");
    assert_all_gone(&m, "after `execo run -t 30`");
}

#[test]
fn remote_stdout_and_stderr_stay_separate_and_exit_codes_pass_through() {
    let sshd = TestSshd::start(1);
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "-F"])
        .arg(sshd.ssh_config())
        .args(["-H", "host-1", "echo out; echo err >&2; exit 3"])
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "host-1: out\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("host-1: err\n"), "{stderr}");
}

#[test]
fn a_daemon_left_by_a_remote_command_that_ended_stays() {
    let sshd = TestSshd::start(1);
    let m = marker();
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "-F"])
        .arg(sshd.ssh_config())
        .args([
            "-H",
            "host-1",
            &format!("nohup sleep {m} >/dev/null 2>&1 & echo $!"),
        ])
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pid: i32 = stdout
        .trim()
        .strip_prefix("host-1: ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout:?}"));
    assert!(crate::alive(pid), "the daemon was killed with its session");
    // SAFETY: kill(2) of the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

#[test]
fn local_commands_end_after_a_kill_9_of_execo_run() {
    let m = marker();
    let cmd = format!("sleep {m}");
    let mut child = execo_run(None, &["--local", "-H", "n[1-50]", &cmd]);
    wait_started(&mut child, &m, 50);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert_all_gone(&m, "after a kill -9 of `execo run --local`");
}

#[test]
fn multiplexed_masters_end_after_a_kill_9_of_execo_run() {
    let sshd = TestSshd::start(4);
    let m = marker();
    let cmd = format!("sleep {m}");
    let mut child = execo_run(Some(&sshd), &["--multiplex", "-H", "host-[1-4]", &cmd]);
    let pid = child.id();
    wait_started(&mut child, &m, 4);
    let mux_dir = format!("execo-mux-{pid}");
    assert!(
        !masters(&mux_dir).is_empty(),
        "no ssh master uses `{mux_dir}`"
    );
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert_all_gone(&m, "after a kill -9 of `execo run --multiplex`");
    let gone = eventually(LIMIT, || masters(&mux_dir).is_empty());
    assert!(gone, "ssh masters left: {:?}", masters(&mux_dir));
    let dir = std::env::var("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| "/tmp".into())
        .join(&mux_dir);
    assert!(
        eventually(LIMIT, || !dir.exists()),
        "{} left",
        dir.display()
    );
}

/// ssh processes whose control path lies in `mux_dir`.
fn masters(mux_dir: &str) -> Vec<String> {
    pids()
        .into_iter()
        .filter(|p| {
            let c = cmdline(p);
            c.first().is_some_and(|a| a.ends_with("ssh")) && c.iter().any(|a| a.contains(mux_dir))
        })
        .collect()
}

#[test]
fn spool_directory_is_removed_after_a_kill_9() {
    // Few descriptors: the output of most processes goes to spool files.
    let m = marker();
    let execo = env!("CARGO_BIN_EXE_execo");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64 && exec {execo} run --local -H 'n[1-100]' 'echo x; sleep {m}'"
        ))
        .env("EXECO_CONFIG", "/dev/null")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_started(&mut child, &m, 100);
    let spool = std::env::temp_dir().join(format!("execo-spool-{}", child.id()));
    assert!(spool.is_dir(), "no spool directory {}", spool.display());
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert_all_gone(&m, "after a kill -9 of a spooling `execo run`");
    assert!(
        eventually(LIMIT, || !spool.exists()),
        "{} left",
        spool.display()
    );
}
