//! Serial consoles against real ttys: socat pty pairs, one end played by
//! `tests/stand-ins/login-console` (getty, login and a shell), the other opened by
//! `Serial`, `SerialSsh` (through the test sshd) and `RemoteSerial`; and the kaconsole3
//! stand-in for `KaconsoleProcess`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use execo::Error;
use execo::prelude::*;
use execo::process::{ExpectMatch, SERIAL_BUSY, SERIAL_OPEN_FAILED};

use crate::Scratch;
use crate::sshd::TestSshd;

const LONG: Duration = Duration::from_secs(60);

/// A socat pty pair: `a` for the console under test, `b` for the program behind it.
pub struct PtyPair {
    pub a: PathBuf,
    pub b: PathBuf,
    _socat: ProcessHandle,
    _dir: Scratch,
}

pub fn pty_pair(name: &str) -> PtyPair {
    assert!(
        Path::new("/usr/bin/socat").exists(),
        "`socat` is missing: install it with `apt-get install socat` (scripts/deps.sh does)"
    );
    let dir = Scratch::new(&format!("serial-{name}"));
    let (a, b) = (dir.0.join("ttyA"), dir.0.join("ttyB"));
    let socat = Process::argv([
        "socat".to_string(),
        "-d".into(),
        "-d".into(),
        format!("pty,raw,echo=0,link={}", a.display()),
        format!("pty,raw,echo=0,link={}", b.display()),
    ])
    .start();
    let ready = socat.blocking_expect_with(
        &Expect::new("starting data transfer loop")
            .unwrap()
            .stream(Stream::Stderr)
            .timeout(LONG),
    );
    assert!(ready.is_ok(), "socat did not start: {}", socat.dump());
    PtyPair {
        a,
        b,
        _socat: socat,
        _dir: dir,
    }
}

pub fn standin(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stand-ins")
        .join(name)
}

/// The login console on `dev` (`--silent`: one that never prints a prompt).
pub fn login_console(dev: &Path, silent: bool) -> ProcessHandle {
    let mut argv = vec![
        standin("login-console").display().to_string(),
        dev.display().to_string(),
    ];
    if silent {
        argv.push("--silent".into());
    }
    Process::argv(argv).start()
}

fn expect(p: &ProcessHandle, pattern: &str) -> ExpectMatch {
    p.blocking_expect_with(&Expect::new(pattern).unwrap().timeout(LONG))
        .unwrap_or_else(|e| panic!("{e}\n{}", p.dump()))
}

/// The whole dialogue: Enter, login, password, a command, logout.
fn log_in_and_run(p: &ProcessHandle) {
    p.blocking_write("\r");
    expect(p, "fakehost login: $");
    p.blocking_write("root\r");
    expect(p, "Password: $");
    p.blocking_write("grid5000\r");
    expect(p, r"root@fakehost:~# $");
    p.blocking_write("echo $((6 * 7))\r");
    expect(p, r"\r\n42\r\n");
    expect(p, r"root@fakehost:~# $");
}

#[test]
fn serial_logs_in_with_expect_and_write() {
    let pair = pty_pair("login");
    let _console = login_console(&pair.b, false);
    let s = Serial::new(pair.a.display().to_string(), 115200)
        .timeout(LONG)
        .start();
    log_in_and_run(&s);
    s.blocking_write("exit\r");
    expect(&s, "logout");
    s.blocking_close_stdin();
    s.blocking_wait();
    assert!(s.ok(), "{}", s.dump());
    assert!(s.serial_error().is_none());
}

#[test]
fn serial_round_trips_bytes_unchanged() {
    let pair = pty_pair("roundtrip");
    // The far end echoes what it gets: a loopback line.
    let _echo = Process::argv([
        "sh".to_string(),
        "-c".into(),
        r#"exec cat <"$0" >"$0""#.into(),
        pair.b.display().to_string(),
    ])
    .start();
    let s = Serial::new(pair.a.display().to_string(), 9600)
        .timeout(LONG)
        .start();
    s.blocking_write("one\rtwo\r\nthree\x01\x7f end\n");
    expect(&s, "end\n");
    assert_eq!(
        s.stdout(),
        "one\rtwo\r\nthree\x01\x7f end\n",
        "{}",
        s.dump()
    );
    s.kill();
}

#[test]
fn serial_sets_the_speed_and_raw_mode() {
    let pair = pty_pair("speed");
    let _console = login_console(&pair.b, false);
    let s = Serial::new(pair.a.display().to_string(), 57600)
        .timeout(LONG)
        .start();
    // The prompt came back: the helper has set the line up and relays.
    s.blocking_write("\r");
    expect(&s, "login: $");
    let stty = Process::argv([
        "sh".to_string(),
        "-c".into(),
        r#"stty -a <"$0""#.into(),
        pair.a.display().to_string(),
    ])
    .timeout(LONG)
    .blocking_run();
    assert!(stty.ok(), "{}", stty.dump());
    let out = stty.stdout();
    assert!(out.contains("speed 57600 baud"), "{out}");
    for flag in ["-icanon", "-echo ", "-isig", "-opost", "-icrnl", "-ixon"] {
        assert!(out.contains(flag), "{flag} not set: {out}");
    }
    s.kill();
}

#[test]
fn serial_kill_ends_it_and_frees_the_device() {
    let pair = pty_pair("kill");
    let _console = login_console(&pair.b, false);
    let dev = pair.a.display().to_string();
    let s = Serial::new(dev.clone(), 115200).start();
    s.blocking_write("\r");
    expect(&s, "login: $");
    let pid = s.pid().unwrap();
    s.kill();
    s.blocking_wait();
    assert!(s.killed() && s.signal().is_some(), "{}", s.dump());
    assert!(
        !crate::alive(pid),
        "{}",
        std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default()
    );
    // The lock went with it: the device can be had again.
    let again = Serial::new(dev, 115200).timeout(LONG).start();
    again.blocking_write("root\r");
    expect(&again, "Password: $");
    again.kill();
}

#[test]
fn serial_timeout_ends_it_as_timed_out() {
    let pair = pty_pair("timeout");
    let _console = login_console(&pair.b, true);
    let s = Serial::new(pair.a.display().to_string(), 115200)
        .timeout(Duration::from_millis(500))
        .kill_grace(Duration::from_secs(1))
        .start();
    s.blocking_wait();
    assert!(s.timed_out() && !s.ok(), "{}", s.dump());
}

#[test]
fn a_serial_device_that_does_not_exist_is_a_clear_error() {
    let s = Serial::new("/dev/execo-no-such-tty", 115200)
        .timeout(LONG)
        .blocking_run();
    assert!(!s.ok());
    assert_eq!(s.exit_code(), Some(SERIAL_OPEN_FAILED), "{}", s.dump());
    let e = s.serial_error().expect("a serial error").to_string();
    assert_eq!(
        e,
        "failed to open serial device `/dev/execo-no-such-tty` on localhost: no such device"
    );
    // Not a tty at all.
    let f = Serial::new("/dev/null", 115200)
        .timeout(LONG)
        .blocking_run();
    assert_eq!(f.exit_code(), Some(SERIAL_OPEN_FAILED), "{}", f.dump());
    let e = f.serial_error().expect("a serial error").to_string();
    assert!(
        e.starts_with("failed to open serial device `/dev/null` on localhost: cannot set speed"),
        "{e}"
    );
}

#[test]
fn a_busy_serial_device_is_a_clear_error() {
    let pair = pty_pair("busy");
    let _console = login_console(&pair.b, false);
    let dev = pair.a.display().to_string();
    let holder = Serial::new(dev.clone(), 115200).timeout(LONG).start();
    holder.blocking_write("\r");
    expect(&holder, "login: $");
    let second = Serial::new(dev.clone(), 115200)
        .timeout(LONG)
        .blocking_run();
    assert_eq!(second.exit_code(), Some(SERIAL_BUSY), "{}", second.dump());
    let e = second.serial_error().expect("a serial error");
    assert!(matches!(e, Error::Message(_)));
    assert_eq!(
        e.to_string(),
        format!(
            "failed to open serial device `{dev}` on localhost: busy: another process holds it"
        )
    );
    // The holder is untouched.
    holder.blocking_write("root\r");
    expect(&holder, "Password: $");
    holder.kill();
}

#[test]
fn a_console_that_never_prompts_times_out_the_expect_and_nothing_hangs() {
    let pair = pty_pair("silent");
    let _console = login_console(&pair.b, true);
    let s = Serial::new(pair.a.display().to_string(), 115200)
        .timeout(LONG)
        .start();
    s.blocking_write("\r");
    let r = s.blocking_expect_with(
        &Expect::new("login: ")
            .unwrap()
            .timeout(Duration::from_millis(500)),
    );
    assert!(matches!(r, Err(Error::ExpectTimeout { .. })), "{r:?}");
    assert!(s.running());
    s.kill();
    s.blocking_wait();
    assert!(s.killed());
}

#[test]
fn serial_ssh_logs_in_through_the_test_sshd() {
    let sshd = TestSshd::start(1);
    let pair = pty_pair("ssh");
    let _console = login_console(&pair.b, false);
    let dev = pair.a.display().to_string();
    let s = SerialSsh::new(sshd.host(1), dev.clone(), 115200, &sshd.params())
        .timeout(LONG)
        .start();
    assert_eq!(s.name(), format!("serial `{dev}` on host-1"));
    log_in_and_run(&s);
    // Closing our side ends the remote helper, which frees the device.
    s.blocking_close_stdin();
    s.blocking_wait();
    assert!(s.ok(), "{}", s.dump());
    let again = SerialSsh::new(sshd.host(1), dev, 115200, &sshd.params())
        .timeout(LONG)
        .start();
    again.blocking_write("exit\r");
    expect(&again, "logout");
    again.kill();
}

#[test]
fn serial_ssh_names_the_host_in_its_errors() {
    let sshd = TestSshd::start(1);
    let s = SerialSsh::new(
        sshd.host(1),
        "/dev/execo-no-such-tty",
        115200,
        &sshd.params(),
    )
    .timeout(LONG)
    .blocking_run();
    assert_eq!(s.exit_code(), Some(SERIAL_OPEN_FAILED), "{}", s.dump());
    assert_eq!(
        s.serial_error().unwrap().to_string(),
        "failed to open serial device `/dev/execo-no-such-tty` on host-1: no such device"
    );
}

#[test]
fn remote_serial_logs_in_to_several_consoles_at_once() {
    let sshd = TestSshd::start(2);
    let pairs = [pty_pair("remote-1"), pty_pair("remote-2")];
    let _consoles: Vec<_> = pairs.iter().map(|p| login_console(&p.b, false)).collect();
    let devices: Vec<String> = pairs.iter().map(|p| p.a.display().to_string()).collect();
    let consoles = RemoteSerial::new([sshd.host(1), sshd.host(2)], "<<dev>>", 115200)
        .list("dev", devices.clone())
        .params(sshd.params())
        .configure(|p, _, _| p.timeout(LONG))
        .start()
        .unwrap();
    let names: Vec<String> = consoles
        .processes()
        .iter()
        .map(|p| p.name().into())
        .collect();
    assert_eq!(
        names,
        [
            format!("serial `{}` on host-1", devices[0]),
            format!("serial `{}` on host-2", devices[1])
        ]
    );
    let all = |pattern: &str| {
        let e = Expect::new(pattern).unwrap().timeout(LONG);
        for m in consoles.blocking_expect_with(&e).unwrap() {
            m.unwrap_or_else(|e| panic!("{e}"));
        }
    };
    consoles.blocking_write("\r");
    all("login: $");
    consoles.blocking_write("root\r");
    all("Password: $");
    consoles.blocking_write("grid5000\r");
    all(r"root@fakehost:~# $");
    consoles.blocking_write("exit\r");
    all("logout");
    consoles.kill();
    consoles.blocking_wait();
    assert!(consoles.killed());
}

#[test]
fn remote_serial_records_a_missing_device_per_host() {
    let sshd = TestSshd::start(2);
    let pair = pty_pair("remote-missing");
    let _console = login_console(&pair.b, false);
    let dev = pair.a.display().to_string();
    let consoles = RemoteSerial::new([sshd.host(1), sshd.host(2)], "<<dev>>", 115200)
        .list("dev", [dev.as_str(), "/dev/execo-no-such-tty"])
        .params(sshd.params())
        .configure(|p, _, _| p.timeout(LONG))
        .start()
        .unwrap();
    let bad = consoles.process(1).unwrap();
    bad.blocking_wait();
    assert_eq!(
        bad.serial_error().unwrap().to_string(),
        "failed to open serial device `/dev/execo-no-such-tty` on host-2: no such device"
    );
    let good = consoles.process(0).unwrap();
    good.blocking_write("\r");
    expect(&good, "login: $");
    consoles.kill();
    consoles.blocking_wait();
    assert_eq!(consoles.failed_hosts(), [sshd.host(2)]);
}

#[cfg(feature = "g5k")]
mod kaconsole {
    use super::*;
    use execo::g5k::{Frontend, KaconsoleProcess};

    /// The stand-in's state directory, with `node`'s console on `dev` when given.
    fn standin_dir(name: &str, console: Option<(&str, &Path)>) -> Scratch {
        let dir = Scratch::new(&format!("kaconsole-{name}"));
        std::fs::create_dir_all(dir.0.join("consoles")).unwrap();
        if let Some((node, dev)) = console {
            dir.write(&format!("consoles/{node}"), &dev.display().to_string());
        }
        dir
    }

    fn kaconsole(node: &str, dir: &Scratch) -> KaconsoleProcess {
        let path = format!(
            "{}:{}",
            standin("").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let state = dir.0.clone();
        KaconsoleProcess::new(node, &Frontend::local("lyon").unwrap())
            .connection_timeout(LONG)
            .configure(|p| {
                p.env("PATH", path)
                    .env("KACONSOLE3_STANDIN_DIR", state)
                    .timeout(LONG)
            })
    }

    #[test]
    fn kaconsole_logs_in_and_leaves_with_four_escapes() {
        let pair = pty_pair("kaconsole");
        let _console = login_console(&pair.b, false);
        let node = "taurus-3.lyon.grid5000.fr";
        let dir = standin_dir("login", Some((node, &pair.a)));
        let k = kaconsole(node, &dir);
        assert_eq!(
            k.process().cmdline(),
            "kaconsole3 -m taurus-3.lyon.grid5000.fr"
        );
        let c = k.blocking_connect().unwrap();
        assert_eq!(c.name(), "console of `taurus-3.lyon.grid5000.fr`");
        c.blocking_write("echo $((6 * 7))\n");
        expect(&c, r"\r\n42\r\n");
        c.blocking_expect_prompt(LONG).unwrap();
        let h = c.blocking_close();
        assert!(h.ended() && !h.killed(), "{}", h.dump());
        assert_eq!(h.exit_code(), Some(0), "{}", h.dump());
        assert!(
            h.stdout()
                .contains("Connection to console of taurus-3.lyon.grid5000.fr closed"),
            "{}",
            h.dump()
        );
        let calls = std::fs::read_to_string(dir.0.join("calls")).unwrap();
        assert_eq!(calls, format!("{node}\n"));
    }

    #[test]
    fn kaconsole_runs_on_a_frontend_reached_through_ssh_with_a_terminal() {
        // The frontend's shell finds the stand-in: sshd accepts BASH_ENV, which puts it
        // on the PATH of the (non-interactive) bash that runs the command.
        let sshd = TestSshd::start_with(1, "AcceptEnv BASH_ENV KACONSOLE3_STANDIN_DIR\n");
        let pair = pty_pair("kaconsole-ssh");
        let _console = login_console(&pair.b, false);
        let node = "taurus-6.lyon.grid5000.fr";
        let dir = standin_dir("ssh", Some((node, &pair.a)));
        let env = dir.write(
            "bash_env",
            &format!("PATH={}:$PATH\n", standin("").display()),
        );
        let params = sshd.params().option(
            "SetEnv",
            &format!(
                "BASH_ENV={} KACONSOLE3_STANDIN_DIR={}",
                env.display(),
                dir.0.display()
            ),
        );
        let fe = Frontend::at("lyon", sshd.host(1), params).unwrap();
        let k = KaconsoleProcess::new(node, &fe)
            .connection_timeout(LONG)
            .configure(|p| p.timeout(LONG));
        let c = k.blocking_connect().unwrap();
        c.blocking_write("echo $((6 * 7))\n");
        expect(&c, r"\r\n42\r\n");
        let h = c.blocking_close();
        assert!(!h.killed(), "{}", h.dump());
        assert!(
            h.stdout()
                .contains("Connection to console of taurus-6.lyon.grid5000.fr closed"),
            "{}",
            h.dump()
        );
    }

    #[test]
    fn kaconsole_without_a_login_prompt_is_a_clear_error_and_nothing_hangs() {
        let pair = pty_pair("kaconsole-silent");
        let _console = login_console(&pair.b, true);
        let node = "taurus-4.lyon.grid5000.fr";
        let dir = standin_dir("silent", Some((node, &pair.a)));
        let k = kaconsole(node, &dir).connection_timeout(Duration::from_millis(500));
        let c = k.start();
        let e = c.blocking_login().unwrap_err().to_string();
        assert_eq!(
            e,
            "failed to log in to `the console of taurus-4.lyon.grid5000.fr` on frontend lyon \
             (local): the login prompt did not come within the connection timeout (500ms)"
        );
        let h = c.blocking_close();
        assert!(h.ended(), "{}", h.dump());
    }

    #[test]
    fn kaconsole_to_a_node_without_console_says_so() {
        let dir = standin_dir("unknown", None);
        let e = kaconsole("nowhere-1.lyon.grid5000.fr", &dir)
            .blocking_connect()
            .err()
            .expect("no console")
            .to_string();
        assert_eq!(
            e,
            "failed to log in to `the console of nowhere-1.lyon.grid5000.fr` on frontend lyon \
             (local): kaconsole3 ended before kaconsole3's `Connection to console ... opened`: \
             ERROR: the node nowhere-1.lyon.grid5000.fr has no console or does not exist"
        );
    }
}

mod cli {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// `execo console ARGS` with `input` on its stdin (a pipe: not interactive).
    fn execo_console(args: &[&str], input: &str) -> std::process::Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
        c.arg("console")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("run execo console");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let status = crate::bounded_wait(&mut child, "execo console");
        let mut out = std::process::Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out.stdout).unwrap();
        std::io::Read::read_to_end(&mut child.stderr.take().unwrap(), &mut out.stderr).unwrap();
        out
    }

    #[test]
    fn console_cli_sends_stdin_and_prints_until_the_regex() {
        let pair = pty_pair("cli");
        let _console = login_console(&pair.b, false);
        let dev = pair.a.display().to_string();
        let out = execo_console(&[&dev, "--until", "login: $"], "\r");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{out:?}");
        assert!(
            stdout.ends_with("Debian GNU/Linux 12 fakehost ttyS0\r\n\r\nfakehost login: "),
            "{stdout:?}"
        );
        // The device was let go: a second run goes on with the dialogue.
        let out = execo_console(&[&dev, "--until", "Password: $"], "root\r");
        assert!(out.status.success(), "{out:?}");
    }

    #[test]
    fn console_cli_errors_name_the_device_or_the_pattern() {
        let out = execo_console(&["/dev/execo-no-such-tty"], "");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "execo console: failed to open serial device `/dev/execo-no-such-tty` on \
             localhost: no such device\n"
        );
        let pair = pty_pair("cli-silent");
        let _console = login_console(&pair.b, true);
        let dev = pair.a.display().to_string();
        let out = execo_console(&[&dev, "--until", "login: ", "--timeout", "0.5"], "\r");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "execo console: expect on `serial `{dev}`` timed out after 500ms waiting for \
                 `login: `\n"
            )
        );
    }

    #[test]
    fn console_cli_reaches_a_remote_device_through_ssh() {
        let sshd = TestSshd::start(1);
        let pair = pty_pair("cli-ssh");
        let _console = login_console(&pair.b, false);
        let target = format!("host-1:{}", pair.a.display());
        let config = sshd.ssh_config().display().to_string();
        let out = execo_console(&[&target, "-F", &config, "--until", "login: $"], "\r");
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).ends_with("fakehost login: "));
    }

    #[cfg(feature = "g5k")]
    #[test]
    fn console_cli_through_kaconsole3() {
        let pair = pty_pair("cli-kaconsole");
        let _console = login_console(&pair.b, false);
        let node = "taurus-5.lyon.grid5000.fr";
        let dir = Scratch::new("cli-kaconsole-state");
        std::fs::create_dir_all(dir.0.join("consoles")).unwrap();
        dir.write(&format!("consoles/{node}"), &pair.a.display().to_string());
        let path = format!(
            "{}:{}",
            standin("").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
        c.args([
            "console",
            "--kaconsole",
            "--local-frontend",
            node,
            "--until",
            "login: $",
        ])
        .env("PATH", path)
        .env("KACONSOLE3_STANDIN_DIR", &dir.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        // Sent once kaconsole3 is up: its terminal is raw then.
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&seen).contains("opened") {
            let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
            assert!(n > 0, "{}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        stdin.write_all(b"\n").unwrap();
        drop(stdin);
        let status = crate::bounded_wait(&mut child, "execo console --kaconsole");
        std::io::Read::read_to_end(&mut stdout, &mut seen).unwrap();
        let seen = String::from_utf8_lossy(&seen);
        assert!(status.success(), "{status} {seen}");
        assert!(seen.contains("fakehost login: "), "{seen}");
        // Left with ESC x4: kaconsole3 said so.
        assert!(
            seen.contains("Connection to console of taurus-5.lyon.grid5000.fr closed"),
            "{seen}"
        );
    }
}
