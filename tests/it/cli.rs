//! The `execo` command as users run it: `run`, `put`, `get`, against the test sshd.

use std::path::Path;
use std::process::{Command, Output};

use crate::sshd::TestSshd;

fn execo(sshd: Option<&TestSshd>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    let sub = args[0];
    c.arg(sub);
    if let Some(s) = sshd {
        c.arg("-F").arg(s.ssh_config());
    }
    c.args(&args[1..]);
    // No user configuration file leaks into the tests.
    c.env("EXECO_CONFIG", "/dev/null");
    c.output().expect("run the execo binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sorted_lines(b: &[u8]) -> Vec<String> {
    let mut l: Vec<String> = text(b).lines().map(String::from).collect();
    l.sort();
    l
}

#[test]
fn run_prefixes_each_line_with_its_host() {
    let sshd = TestSshd::start(3);
    let out = execo(
        Some(&sshd),
        &[
            "run",
            "-H",
            "host-[1-3]",
            "echo",
            "one; echo two <<index>>; echo err >&2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        sorted_lines(&out.stdout),
        [
            "host-1: one",
            "host-1: two 0",
            "host-2: one",
            "host-2: two 1",
            "host-3: one",
            "host-3: two 2"
        ]
    );
    assert_eq!(
        sorted_lines(&out.stderr),
        ["host-1: err", "host-2: err", "host-3: err"]
    );
}

#[test]
fn gather_groups_hosts_with_identical_output() {
    let sshd = TestSshd::start(5);
    let out = execo(
        Some(&sshd),
        &[
            "run",
            "-b",
            "-H",
            "host-[1-5]",
            "echo same; [ <<index>> != 2 ] || echo odd",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = "------------------\nhost-[1-2,4-5] (4)\n------------------\nsame\n\
                ---------------\nhost-3 (1)\n---------------\nsame\nodd\n";
    assert_eq!(text(&out.stdout), want);
}

#[test]
fn failures_set_the_exit_status_and_are_summarised_on_stderr() {
    let sshd = TestSshd::start(4);
    // host-2 exits 3; 127.0.0.1:1 refuses connections; the others are intact.
    let out = execo(
        Some(&sshd),
        &[
            "run",
            "-H",
            "host-[1-4],root@127.0.0.1:1",
            "[ <<host>> != host-2 ] || exit 3; echo fine",
        ],
    );
    assert_eq!(out.status.code(), Some(255), "{}", text(&out.stderr));
    assert_eq!(
        sorted_lines(&out.stdout),
        ["host-1: fine", "host-3: fine", "host-4: fine"]
    );
    let err = text(&out.stderr);
    assert!(err.contains("execo run: 2 of 5 hosts failed:"), "{err}");
    assert!(err.contains("  host-2 (1): exit code 3"), "{err}");
    assert!(
        err.contains("root@127.0.0.1:1 (1): ssh failed (exit 255):")
            && err.contains("Connection refused"),
        "{err}"
    );
    // Only exit codes of the commands themselves: the largest one.
    let out = execo(
        Some(&sshd),
        &["run", "-H", "host-[1-3]", "exit $((<<index>> + 1))"],
    );
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn timeouts_kill_the_remote_command_and_count_as_failures() {
    let sshd = TestSshd::start(2);
    // host-1 ends at once (15 s is ample for ssh on loopback); host-2 never does.
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    c.args(["run", "-F"])
        .arg(sshd.ssh_config())
        .args(["--tty", "-t", "15", "-H", "host-[1-2]"])
        .arg("[ <<index>> = 0 ] || exec sleep infinity; echo done")
        .env("EXECO_CONFIG", "/dev/null");
    let out = crate::bounded(c, "execo run -t 15 … sleep infinity");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("host-1: done"));
    assert!(text(&out.stderr).contains("host-2 (1): timed out"));
}

#[test]
fn local_runs_once_per_host_with_substitutions_and_no_ssh() {
    let out = execo(
        None,
        &[
            "run",
            "--local",
            "-H",
            "node-[1-3]!node-2",
            "echo <<host>>/<<index>>",
        ],
    );
    assert!(out.status.success());
    assert_eq!(
        sorted_lines(&out.stdout),
        ["node-1: node-1/0", "node-3: node-3/1"]
    );
}

#[test]
fn bad_input_is_a_clear_error_with_status_2() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["run", "-H", "node-[1-3", "true"],
            "unclosed `[` at byte 5",
        ),
        (
            &["run", "-H", "a", "-x", "a", "true"],
            "the only host given was excluded",
        ),
        (&["run", "-H", "u@h:99999", "true"], "bad port `99999`"),
        (
            &["run", "-H", "h", "-o", "NoEquals", "true"],
            "bad ssh option `NoEquals`",
        ),
        (&["run", "-H", "h", "-t", "0", "true"], "bad timeout"),
        (
            &["put", "-H", "h", "/no/such/file", "/tmp"],
            "local file `/no/such/file` not found",
        ),
    ];
    for (args, want) in cases {
        let out = execo(None, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_bad_configuration_file_names_file_and_line() {
    let dir = std::env::temp_dir().join(format!("execo-cli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[connection]\nuser = \"root\"\nport = \"ssh\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args(["run", "-H", "h", "true"])
        .env("EXECO_CONFIG", &cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("configuration file `{}`", cfg.display()))
            && err.contains("line 3, column 8"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_configuration_file_sets_defaults_that_flags_override() {
    let sshd = TestSshd::start(1);
    let dir = std::env::temp_dir().join(format!("execo-cli-cfg2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[connection]\nssh_config = \"{}\"\nuser = \"nobody-here\"\n",
            sshd.ssh_config().display()
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_execo"))
            .arg("run")
            .args(extra)
            .args(["-H", "host-1", "whoami"])
            .env("EXECO_CONFIG", &cfg)
            .output()
            .unwrap()
    };
    // The file's user is refused by sshd; the flag's is accepted.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(255), "{}", text(&out.stderr));
    let out = run(&["-l", "root"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "host-1: root\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn put_then_get_round_trips_files_into_one_directory_per_host() {
    let sshd = TestSshd::start(3);
    let dir = std::env::temp_dir().join(format!("execo-cli-copy-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(dir.join("remote")).unwrap();
    let src = dir.join("data file.txt");
    std::fs::write(&src, "payload\n").unwrap();
    let remote = dir.join("remote");
    let out = execo(
        Some(&sshd),
        &[
            "put",
            "-H",
            "host-[1-3]",
            src.to_str().unwrap(),
            remote.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let copied = remote.join("data file.txt");
    assert_eq!(std::fs::read_to_string(&copied).unwrap(), "payload\n");

    let local = dir.join("local");
    let out = execo(
        Some(&sshd),
        &[
            "get",
            "-H",
            "host-[1-3]",
            copied.to_str().unwrap(),
            local.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for h in ["host-1", "host-2", "host-3"] {
        let got = local.join(h).join("data file.txt");
        assert_eq!(
            std::fs::read_to_string(&got).unwrap_or_default(),
            "payload\n",
            "{}",
            got.display()
        );
    }
    // A missing remote file fails on every host, and says so.
    let out = execo(
        Some(&sshd),
        &[
            "get",
            "-H",
            "host-[1-2]",
            "/no/such/file",
            local.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("host-[1-2] (2): exit code 1"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn report_prints_execos_table_or_json() {
    let out = execo(
        None,
        &[
            "run",
            "--local",
            "--report",
            "json",
            "-H",
            "n[1-4]",
            "[ <<index>> != 1 ] || exit 1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let json_start = err.find('{').expect("a JSON report");
    let json_end = err.rfind('}').unwrap();
    let json = &err[json_start..=json_end];
    for field in [
        "\"num_processes\": 4",
        "\"ok\": 3",
        "\"non_zero_exit_codes\": 1",
        "\"length\"",
    ] {
        assert!(json.contains(field), "{field} in {json}");
    }
    let out = execo(
        None,
        &["run", "--local", "--report", "-H", "n[1-2]", "true"],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("name")
            && err.contains("non-zero")
            && err.contains("local `true` for 2 hosts"),
        "{err}"
    );
}

#[test]
fn output_that_is_not_utf8_is_passed_on_lossily() {
    let sshd = TestSshd::start(1);
    let out = execo(Some(&sshd), &["run", "-H", "host-1", "printf 'a\\377b\\n'"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "host-1: a\u{fffd}b\n");
    assert!(Path::new(env!("CARGO_BIN_EXE_execo")).exists());
}

#[test]
fn a_progress_bar_shows_on_a_terminal_for_long_runs() {
    use execo::prelude::*;
    // stderr too on the terminal (a pty gives the child its stdin and stdout).
    // The commands end once the bar has been seen (it shows after a second).
    let dir = crate::Scratch::new("cli-bar");
    let go = dir.0.join("go");
    let run = Process::sh(format!(
        "exec {} run --local -b -H 'n[1-3]' 'while [ ! -e {} ]; do sleep 0.05; done; echo fin' 2>&1",
        env!("CARGO_BIN_EXE_execo"),
        go.display()
    ))
    .env("EXECO_CONFIG", "/dev/null")
    .pty(true)
    .expect_timeout(std::time::Duration::from_secs(120))
    .start();
    let bar = run
        .blocking_expect(r"\[[#.]{30}\] 0/3 done, 0 failed")
        .unwrap();
    assert!(bar.as_str().contains("0/3 done"));
    std::fs::write(&go, "").unwrap();
    run.blocking_expect("n\\[1-3\\] \\(3\\)").unwrap();
    run.blocking_wait();
    assert!(run.ok(), "{}", run.dump());
}
