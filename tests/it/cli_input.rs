//! The `execo` command on awkward input: options glued to their values, timeouts out of
//! range, a reader that closes the pipe, values at the ends of f64, an empty command,
//! every host excluded, `window = 0`. Each is parsed as meant or refused with a clear
//! error (status 2), never a panic, never a hang.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

use crate::sshd::TestSshd;

use crate::{Scratch, bounded, bounded_wait};

/// `execo ARGS` without a user configuration file.
fn execo(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_execo"));
    c.args(args).env("EXECO_CONFIG", "/dev/null");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts status 2, no panic, and `want` in stderr.
fn refused(out: &Output, want: &str, what: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(err.contains(want), "{what}: no `{want}` in {err}");
}

#[test]
fn options_glued_to_their_values_are_options() {
    for glued in [
        &["-t5"][..],
        &["-t=5"],
        &["--timeout=5"],
        &["-f=2"],
        &["-f64"],
        &["--fanout=3"],
    ] {
        let mut args = vec!["run", "--local", "-H", "n[1-2]"];
        args.extend(glued);
        args.extend(["echo", "hi"]);
        let out = execo(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let mut lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
        lines.sort();
        assert_eq!(lines, ["n1: hi", "n2: hi"], "{args:?}");
    }
    for hosts in ["-H=n1", "-Hn1", "--hosts=n1", "-wn1"] {
        let out = execo(&["run", "--local", hosts, "echo", "hi"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{hosts}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "n1: hi\n", "{hosts}");
    }
    // A glued timeout is enforced, not passed on: `sleep` is killed.
    let out = bounded(
        execo(&["run", "--local", "-t0.2", "-H", "n1", "sleep", "infinity"]),
        "run -t0.2 … sleep infinity",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("n1 (1): timed out"));
}

#[test]
fn options_after_the_command_belong_to_it_with_or_without_double_dash() {
    let sshd = TestSshd::start(1);
    let cfg = sshd.ssh_config();
    for dashes in [&[][..], &["--"]] {
        // `-l` and `-t5` are also execo's options (user, timeout): here they are the
        // remote command's.
        let mut args = vec!["run", "-F", s(&cfg), "-H", "host-1"];
        args.extend(dashes);
        args.extend(["echo", "-l", "-t5", "x"]);
        let out = bounded(execo(&args), "run … echo -l -t5 x");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "host-1: -l -t5 x\n", "{args:?}");
    }
    // A command starting with `-` needs `--`: without, it is an unknown option.
    let out = execo(&["run", "--local", "-H", "n1", "--bogus", "x"])
        .output()
        .unwrap();
    refused(&out, "'-- --bogus'", "run --bogus");
}

#[test]
fn timeouts_out_of_range_are_errors_naming_the_value() {
    for t in ["1e300", "inf", "nan", "-1", "0", "4e9", "1e-300", "abc"] {
        let out = execo(&["run", "--local", "-H", "n1", &format!("-t={t}"), "true"])
            .output()
            .unwrap();
        refused(&out, &format!("bad timeout `{t}` (-t)"), t);
    }
    let out = execo(&["run", "--local", "-H", "n1", "--timeout", "1e300", "true"])
        .output()
        .unwrap();
    refused(&out, "at most 100 years", "--timeout 1e300");
    // Just under the bound is a timeout like any other.
    let out = execo(&["run", "--local", "-H", "n1", "-t", "3e9", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let dir = Scratch::new("cli-input-timeout");
    for (value, col) in [("1e300", 11), ("inf", 11), ("-2.5", 11)] {
        let cfg = dir.write("config.toml", &format!("[run]\ntimeout = {value}\n"));
        let out = execo(&["run", "--local", "-H", "n1", "true"])
            .env("EXECO_CONFIG", &cfg)
            .output()
            .unwrap();
        let want = format!(
            "configuration file `{}`: line 2, column {col}: bad `run.timeout` {value}: ",
            cfg.display()
        );
        refused(&out, &want, value);
    }
}

#[test]
fn window_0_in_the_configuration_is_refused_like_fanout_0() {
    let dir = Scratch::new("cli-input-window");
    let cfg = dir.write("config.toml", "# defaults\n[run]\nwindow = 0\n");
    let out = execo(&["run", "--local", "-H", "n1", "true"])
        .env("EXECO_CONFIG", &cfg)
        .output()
        .unwrap();
    let want = format!(
        "configuration file `{}`: line 3, column 10: bad `run.window` 0: must be at least 1",
        cfg.display()
    );
    refused(&out, &want, "window = 0");
    let out = execo(&["run", "--local", "-H", "n1", "-f", "0", "true"])
        .output()
        .unwrap();
    refused(&out, "bad fanout 0 (-f)", "-f 0");
}

#[test]
fn an_empty_command_is_an_error_also_with_a_tty() {
    for cmd in [&[""][..], &["   "], &["", " "]] {
        let mut args = vec!["run", "--local", "-H", "n1"];
        args.extend(cmd);
        let out = execo(&args).output().unwrap();
        refused(&out, "empty command", &format!("{cmd:?}"));
    }
    // Over ssh with a terminal, an empty command would be an interactive login shell.
    let sshd = TestSshd::start(1);
    let cfg = sshd.ssh_config();
    for tty in [&[][..], &["--tty"]] {
        let mut args = vec!["run", "-F", s(&cfg), "-H", "host-1"];
        args.extend(tty);
        args.push("");
        let out = bounded(execo(&args), "run -H host-1 ''");
        refused(&out, "empty command", &format!("{args:?}"));
    }
}

#[test]
fn every_host_excluded_is_not_no_host_given() {
    let out = execo(&["run", "--local", "-H", "n[1-3]", "-x", "n[1-3]", "true"])
        .output()
        .unwrap();
    refused(
        &out,
        "all 3 hosts given were excluded (-x)",
        "n[1-3] - n[1-3]",
    );
    assert!(!text(&out.stderr).contains("no host given"));
    let out = execo(&["run", "--local", "-H", "a", "-x", "a", "true"])
        .output()
        .unwrap();
    refused(&out, "the only host given was excluded (-x)", "a - a");
    let out = execo(&["run", "--local", "-x", "a", "true"])
        .output()
        .unwrap();
    refused(&out, "no host given", "-x alone");
}

/// A pipe whose reader has already gone, for a child's stdout or stderr: every write
/// fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

/// A sweeper directory with one combination done.
fn sweep_dir(dir: &Scratch) -> PathBuf {
    use execo::sweep::{Combination, ParamSweeper, Sweep};
    let path = dir.0.join("sweeper");
    let combs = Sweep::new()
        .param("cc", ["cubic", "reno"])
        .param("n", [1, 2, 4])
        .combinations();
    let sweeper = ParamSweeper::<Combination>::open(&path, combs).unwrap();
    let c = sweeper.get_next().unwrap().unwrap();
    sweeper.done_with(&c, &42).unwrap();
    path
}

/// Runs `execo ARGS` with stdout a closed pipe; its status and stderr.
fn into_closed_stdout(args: &[&str]) -> (ExitStatus, String) {
    let mut child = execo(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut b = String::new();
        err.read_to_string(&mut b).ok();
        b
    });
    let status = bounded_wait(&mut child, &args.join(" "));
    (status, reader.join().unwrap())
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_status_141() {
    let dir = Scratch::new("cli-input-epipe");
    let sweeper = sweep_dir(&dir);
    for args in [
        &["sweep", "status", s(&sweeper)][..],
        &["sweep", "reset", s(&sweeper)],
        &["demo", "-n", "10"],
    ] {
        let (status, err) = into_closed_stdout(args);
        assert_eq!(status.code(), Some(141), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
    // A reader that reads one line and goes (`| head -1`), whatever the timing.
    let mut child = execo(&["demo", "-n", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    out.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"1.");
    drop(out);
    let mut err = child.stderr.take().unwrap();
    let status = bounded_wait(&mut child, "demo | head -1");
    let mut err_text = String::new();
    err.read_to_string(&mut err_text).ok();
    assert!(!err_text.contains("panicked"), "{err_text}");
    assert!(
        matches!(status.code(), Some(0 | 141)),
        "{status:?}: {err_text}"
    );
}

#[test]
fn a_closed_stderr_does_not_turn_failures_into_a_panic() {
    // The failure summary goes to stderr: status 3 (the command's), not 101 (a panic).
    let mut child = execo(&["run", "--local", "--report", "-H", "n[1-2]", "exit 3"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .spawn()
        .unwrap();
    let status = bounded_wait(&mut child, "run … 2>closed");
    assert_eq!(status.code(), Some(3));
}

#[cfg(feature = "plot")]
mod plot {
    use super::*;

    fn results(dir: &Scratch, rows: &[(f64, f64)]) -> PathBuf {
        let body: String = rows
            .iter()
            .map(|(x, v)| {
                format!("{{\"params\": {{\"n\": {x:e}}}, \"result\": {{\"bw\": {v:e}}}}}\n")
            })
            .collect();
        dir.write("results.jsonl", &body)
    }

    fn plot(file: &Path, out: &Path) -> Output {
        bounded(
            execo(&["plot", s(file), "--x", "n", "--metric", "bw", "-o", s(out)]),
            "plot",
        )
    }

    #[test]
    fn values_whose_range_overflows_are_an_error_not_a_hang() {
        let dir = Scratch::new("cli-input-plot-range");
        let out = dir.0.join("fig.svg");
        let cases: [(&[(f64, f64)], &str); 3] = [
            (
                &[(1.0, 1e308), (1.0, -1e308)],
                "metric `bw` spans -1e308 to 1e308, a range too wide",
            ),
            (
                &[(1.0, f64::MAX), (2.0, f64::MIN)],
                "metric `bw` spans -1.7976931348623157e308 to 1.7976931348623157e308",
            ),
            (
                &[(-1e308, 1.0), (1e308, 2.0)],
                "x `n` spans -1e308 to 1e308",
            ),
        ];
        for (rows, want) in cases {
            let file = results(&dir, rows);
            let got = plot(&file, &out);
            refused(&got, want, &format!("{rows:?}"));
            assert!(!out.exists());
        }
        // At the ends of f64 but drawable: drawn.
        let drawable: [&[(f64, f64)]; 4] = [
            &[(1.0, 1.7e308)],
            &[(1.0, f64::MAX), (2.0, f64::MAX)],
            &[(1.0, -8.5e307), (2.0, 8.5e307)],
            &[(1.0, 1e308), (1.0, 1.0000000000000002e308)],
        ];
        for rows in drawable {
            let file = results(&dir, rows);
            let got = plot(&file, &out);
            assert!(got.status.success(), "{rows:?}: {}", text(&got.stderr));
            assert!(std::fs::read_to_string(&out).unwrap().contains("<svg"));
            std::fs::remove_file(&out).unwrap();
        }
    }

    #[test]
    fn a_closed_stdout_still_draws_every_figure() {
        let dir = Scratch::new("cli-input-plot-epipe");
        let file = results(&dir, &[(1.0, 1.0), (2.0, 3.0)]);
        let (a, b) = (dir.0.join("a.svg"), dir.0.join("b.png"));
        let (status, err) = into_closed_stdout(&[
            "plot",
            s(&file),
            "--x",
            "n",
            "--metric",
            "bw",
            "-o",
            s(&a),
            "-o",
            s(&b),
        ]);
        assert_eq!(status.code(), Some(141), "{err}");
        assert!(err.is_empty(), "{err}");
        assert!(a.exists() && b.exists());
    }
}
