//! Host names are data, never options: a host, user or key that ssh or scp would read
//! as an option (`-oProxyCommand=...` runs a local command) is refused wherever it comes
//! from, and the argv ends its options before the destination anyway.

use std::path::{Path, PathBuf};
use std::process::Command;

use execo::action::{Action, Get, Put, Remote};
use execo::host::Host;
use execo::prelude::*;

use crate::sshd::TestSshd;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("execo-it-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The host: a ProxyCommand that creates `file` if ssh ever reads it.
fn proxy_command(file: &Path) -> String {
    format!("-oProxyCommand=touch {}", file.display())
}

#[test]
fn remote_new_with_an_option_like_host_runs_nothing_and_says_why() {
    let sshd = TestSshd::start(1);
    let dir = scratch("optionhost");
    let pwned = dir.join("pwned");
    let run = Remote::new("uptime", [Host::new(proxy_command(&pwned)), sshd.host(1)])
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let refused = run.process(0).unwrap();
    assert!(!refused.started(), "{}", refused.dump());
    let err = refused.start_error().unwrap_or_default();
    assert!(
        err.contains(&format!("failed to reach host `{}`", proxy_command(&pwned)))
            && err.contains("a host name cannot start with `-`"),
        "{err}"
    );
    assert!(run.process(1).unwrap().ok(), "the other host is intact");
    // A user or key file from the parameters is refused the same way.
    let mut params = sshd.params();
    params.user = Some(proxy_command(&pwned));
    let run = Remote::new("uptime", [sshd.host(1)])
        .params(params)
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let err = run.process(0).unwrap().start_error().unwrap_or_default();
    assert!(err.contains("a user name cannot start with `-`"), "{err}");
    let run = Remote::new("uptime", [sshd.host(1).keyfile("-oProxyCommand=x")])
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let err = run.process(0).unwrap().start_error().unwrap_or_default();
    assert!(err.contains("key file `-oProxyCommand=x`"), "{err}");
    assert!(!pwned.exists(), "ssh ran the ProxyCommand");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn copies_and_forwards_refuse_option_like_hosts() {
    let sshd = TestSshd::start(1);
    let dir = scratch("optioncopy");
    let pwned = dir.join("pwned");
    std::fs::write(dir.join("f"), "f").unwrap();
    let bad = Host::new(proxy_command(&pwned));
    let put = Put::new([bad.clone()], [dir.join("f").to_str().unwrap()], "/tmp")
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    let get = Get::new([bad.clone()], ["/etc/hostname"], dir.to_str().unwrap())
        .params(sshd.params())
        .configure(|p, _, _| p.nolog_error(true))
        .blocking_run()
        .unwrap();
    for a in [&put, &get] {
        let err = a.process(0).unwrap().start_error().unwrap_or_default();
        assert!(err.contains("a host name cannot start with `-`"), "{err}");
    }
    let err = execo::process::PortForwarder::new(bad, "127.0.0.1", 22)
        .params(sshd.params())
        .blocking_start()
        .unwrap_err()
        .to_string();
    assert!(err.contains("a host name cannot start with `-`"), "{err}");
    assert!(!pwned.exists(), "ssh or scp ran the ProxyCommand");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_argv_ends_options_before_hosts_and_files() {
    // Defence in depth: run the argv as built, without the check. ssh takes the name
    // as a destination (which does not resolve), not as an option; scp takes a local
    // file named like an option as a file (which does not exist).
    let sshd = TestSshd::start(1);
    let dir = scratch("optionargv");
    let pwned = dir.join("pwned");
    let cp = sshd.params();
    let ssh = Process::argv(cp.ssh_argv(&Host::new(proxy_command(&pwned)), "true"))
        .nolog_exit_code(true)
        .blocking_run();
    assert_eq!(ssh.exit_code(), Some(255), "{}", ssh.dump());
    let file = proxy_command(&pwned);
    let scp = Process::argv(cp.scp_put_argv(&sshd.host(1), &[file.as_str()], "/tmp"))
        .nolog_exit_code(true)
        .blocking_run();
    assert!(!scp.ok(), "{}", scp.dump());
    assert!(scp.stderr().contains("No such file"), "{}", scp.dump());
    assert!(!pwned.exists(), "ssh or scp read an operand as an option");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn execo_run_refuses_option_like_hosts_from_flags_and_files_with_status_2() {
    let sshd = TestSshd::start(1);
    let dir = scratch("optioncli");
    let pwned = dir.join("pwned");
    let hostfile = dir.join("hosts");
    std::fs::write(
        &hostfile,
        format!("host-1\n-oProxyCommand=touch${{IFS}}{}\n", pwned.display()),
    )
    .unwrap();
    let cases = [
        vec![format!(
            "--hosts=-oProxyCommand=touch${{IFS}}{}",
            pwned.display()
        )],
        vec![format!(
            "--hosts=u@-oProxyCommand=touch${{IFS}}{}",
            pwned.display()
        )],
        vec!["--hostfile".to_string(), hostfile.display().to_string()],
    ];
    for hosts in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_execo"))
            .arg("run")
            .arg("-F")
            .arg(sshd.ssh_config())
            .args(&hosts)
            .arg("uptime")
            .env("EXECO_CONFIG", "/dev/null")
            .output()
            .expect("run the execo binary");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{hosts:?}: {err}");
        assert!(
            err.contains("a host name cannot start with `-`"),
            "{hosts:?}: {err}"
        );
        assert!(!pwned.exists(), "{hosts:?}: ssh ran the ProxyCommand");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn execo_run_refuses_option_like_users_and_keys_before_anything_runs() {
    let sshd = TestSshd::start(1);
    let dir = scratch("optionuser");
    let pwned = dir.join("pwned");
    let value = format!("-oProxyCommand=touch${{IFS}}{}", pwned.display());
    for flag in ["-l", "-i"] {
        let out = Command::new(env!("CARGO_BIN_EXE_execo"))
            .arg("run")
            .arg("-F")
            .arg(sshd.ssh_config())
            .args(["-H", "host-1"])
            .arg(format!("{flag}={value}"))
            .arg("uptime")
            .env("EXECO_CONFIG", "/dev/null")
            .output()
            .expect("run the execo binary");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains("start with `-`"), "{flag}: {err}");
        assert!(!pwned.exists(), "{flag}: ssh ran the ProxyCommand");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn execo_get_refuses_a_host_that_would_write_outside_its_directory() {
    let dir = scratch("getdotdot");
    let local = dir.join("logs");
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["get", "-H", "..", "/etc/hostname"])
        .arg(&local)
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .expect("run the execo binary");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("would write outside it"), "{err}");
    assert!(!dir.join("hostname").exists());
    std::fs::remove_dir_all(&dir).ok();
}
