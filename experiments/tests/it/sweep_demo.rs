//! The engine as a user runs it: the `sweep_demo` binary, continued with `-C`, killed
//! with `kill -9` at random moments, interrupted with SIGINT, failing on purpose.

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TempDir, run_logged, text, wait_timeout};

const DEMO: &str = env!("CARGO_BIN_EXE_sweep_demo");
const COMBINATIONS: usize = 60;

fn demo(args: &[&str]) -> Command {
    let mut cmd = Command::new(DEMO);
    cmd.args(args).env_remove("EXECO_LOG");
    cmd
}

fn run(args: &[&str]) -> Output {
    demo(args).output().expect("cannot run sweep_demo")
}

/// The `params` of every line of `results.jsonl`, as canonical JSON strings.
fn jsonl_params(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("results.jsonl line {l:?}: {e}"));
            assert!(v["result"]["digest"].is_string(), "no digest in {l}");
            v["params"].to_string()
        })
        .collect()
}

/// The `params` of every entry of `results.yaml`.
fn yaml_params(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("results.yaml")).unwrap_or_default();
    let entries: Vec<serde_json::Value> = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("results.yaml does not parse: {e}\n{text}"));
    entries.iter().map(|v| v["params"].to_string()).collect()
}

/// Every combination exactly once in both results files.
fn assert_all_done_once(dir: &Path) {
    for (file, params) in [
        ("results.jsonl", jsonl_params(dir)),
        ("results.yaml", yaml_params(dir)),
    ] {
        let unique: HashSet<_> = params.iter().collect();
        assert_eq!(
            unique.len(),
            params.len(),
            "{file}: a combination recorded twice"
        );
        assert_eq!(params.len(), COMBINATIONS, "{file}: combinations missing");
    }
}

#[test]
fn a_first_run_does_everything_and_a_continuation_has_nothing_left() {
    let tmp = TempDir::new("sweep_demo-first");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_done_once(&dir);
    let log = std::fs::read_to_string(dir.join("experiment.log")).unwrap();
    assert!(log.contains("done in"), "log: {log}");

    let again = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(again.status.success(), "stderr: {}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("nothing left to do"),
        "stderr: {}",
        text(&again.stderr)
    );
    assert_all_done_once(&dir);
    let runs: Vec<serde_json::Value> =
        serde_norway::from_str(&std::fs::read_to_string(dir.join("runs.yaml")).unwrap()).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["continued"], false);
    assert_eq!(runs[1]["continued"], true);
    assert_eq!(runs[1]["argv"][1], "-C");
    assert!(runs[0]["host"].as_str().is_some_and(|h| !h.is_empty()));
    // The tests run inside the repository: its revision is recorded.
    let rev = runs[0]["git_revision"].as_str().unwrap_or_default();
    assert!(
        rev.len() >= 40 && rev[..40].chars().all(|c| c.is_ascii_hexdigit()),
        "git revision: {rev:?}"
    );
}

#[test]
fn five_kill_9_in_a_row_then_continue_does_each_combination_exactly_once() {
    let tmp = TempDir::new("sweep_demo-kill9");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    // A small deterministic generator; the seed is printed so a failure can be replayed.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("seed {seed}");
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut done_before = 0;
    for round in 0..5 {
        let mut child = demo(&["-C", dir_s, "--sleep", "0.3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Killed once it has added 1 to 3 results, then 0 to 300 ms later (anywhere in
        // the next combination, about 0.3 s): five rounds stay well short of the 60.
        let target = done_before + 1 + (next() % 3) as usize;
        let end = Instant::now() + Duration::from_secs(120);
        while jsonl_params(&dir).len() < target {
            assert!(Instant::now() < end, "round {round}: no progress in 120 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(next() % 300));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "round {round}: {status:?}");
        let done = jsonl_params(&dir).len();
        println!("round {round}: {done} results");
        assert!(done >= done_before, "results were lost");
        assert!(
            done < COMBINATIONS,
            "round {round} finished the sweep: kill earlier"
        );
        done_before = done;
    }
    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_done_once(&dir);
}

#[test]
fn sigint_stops_cleanly_and_the_next_run_finishes() {
    interrupt_then_continue(rustix::process::Signal::INT, 2, "SIGINT");
}

#[test]
fn sigterm_stops_cleanly_and_the_next_run_finishes() {
    interrupt_then_continue(rustix::process::Signal::TERM, 15, "SIGTERM");
}

fn interrupt_then_continue(signal: rustix::process::Signal, number: i32, name: &str) {
    let tmp = TempDir::new(name);
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    let mut child = demo(&["-C", dir_s, "--sleep", "0.2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(120);
    while jsonl_params(&dir).len() < 3 {
        assert!(Instant::now() < end, "no results after 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, signal).unwrap();
    let status = wait_timeout(&mut child, Duration::from_secs(120));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    // Dead of the signal, or exited with 128 + n when the main thread got there first.
    assert!(
        status.signal() == Some(number) || status.code() == Some(128 + number),
        "{status:?}; stderr: {stderr}"
    );
    assert!(
        stderr.contains(&format!("interrupted by {name}")) && stderr.contains("-C"),
        "stderr: {stderr}"
    );
    // Nothing of this run left in progress: what was running went back to todo.
    let inprogress =
        std::fs::read_to_string(dir.join("sweeper/inprogress.json")).unwrap_or_default();
    let demo_pid = pid.as_raw_nonzero().get();
    assert!(
        !inprogress.contains(&format!("\"pid\":{demo_pid}")),
        "in progress after {name}: {inprogress}"
    );
    let partial = jsonl_params(&dir).len();
    assert!((3..COMBINATIONS).contains(&partial), "{partial} results");

    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_done_once(&dir);
}

#[test]
fn failures_are_skipped_logged_and_retried_by_the_next_run() {
    let tmp = TempDir::new("sweep_demo-fail");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    let out = run(&["-C", dir_s, "--sleep", "0", "--fail-tool", "cksum"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("failed") && stderr.contains("\"tool\":\"cksum\""),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("20 of 60 combinations left"),
        "stderr: {stderr}"
    );
    assert_eq!(jsonl_params(&dir).len(), 40);

    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_all_done_once(&dir);
}

#[test]
fn an_emptied_done_log_is_rebuilt_from_the_results_and_nothing_runs_again() {
    let tmp = TempDir::new("sweep_demo-emptied-log");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let (jsonl, yaml) = (
        std::fs::read(dir.join("results.jsonl")).unwrap(),
        std::fs::read(dir.join("results.yaml")).unwrap(),
    );
    let log = dir.join("sweeper/done.jsonl");
    std::fs::write(&log, "").unwrap();

    let out = run_logged(&mut demo(&["-C", dir_s, "--sleep", "0"]));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "`{dir_s}/results.jsonl` held 60 result(s) that `{dir_s}/sweeper/done.jsonl` \
             did not record"
        )),
        "stderr: {stderr}"
    );
    assert!(stderr.contains("nothing left to do"), "stderr: {stderr}");
    assert!(
        !stderr.contains("done in"),
        "a combination ran again: {stderr}"
    );
    assert_eq!(std::fs::read(dir.join("results.jsonl")).unwrap(), jsonl);
    assert_eq!(std::fs::read(dir.join("results.yaml")).unwrap(), yaml);
    assert_all_done_once(&dir);
    let logged: HashSet<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        logged.len(),
        COMBINATIONS,
        "done.jsonl: each combination once"
    );
}

#[test]
fn a_foreign_or_damaged_result_the_done_log_lacks_stops_the_run_and_changes_nothing() {
    let tmp = TempDir::new("sweep_demo-foreign-result");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    let out = run(&["-C", dir_s, "--sleep", "0"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let log = dir.join("sweeper/done.jsonl");
    std::fs::write(&log, "").unwrap();
    let yaml = std::fs::read(dir.join("results.yaml")).unwrap();
    let good = std::fs::read(dir.join("results.jsonl")).unwrap();
    for (line, cause) in [
        (
            r#"{"params":{"repeat":0,"size_kib":3,"tool":"md5sum"},"result":{"digest":"x","seconds":0.1}}"#,
            r#"its combination {"repeat":0,"size_kib":3,"tool":"md5sum"} is neither in the done log nor in the sweep"#,
        ),
        (r#"{"params":{"repeat":0,"#, "the entry does not read"),
    ] {
        let mut damaged = good.clone();
        damaged.extend_from_slice(format!("{line}\n").as_bytes());
        std::fs::write(dir.join("results.jsonl"), &damaged).unwrap();
        let out = run_logged(&mut demo(&["-C", dir_s, "--sleep", "0"]));
        assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "failed to reconcile `{dir_s}/results.jsonl` line 61 with `{dir_s}/sweeper/done.jsonl`: {cause}"
            )),
            "stderr: {stderr}"
        );
        assert!(!stderr.contains("done in"), "a combination ran: {stderr}");
        assert_eq!(std::fs::read(dir.join("results.jsonl")).unwrap(), damaged);
        assert_eq!(std::fs::read(dir.join("results.yaml")).unwrap(), yaml);
        assert_eq!(std::fs::read(&log).unwrap(), b"");
    }
}

#[test]
fn a_result_directory_that_cannot_be_written_is_an_error_before_anything_runs() {
    let tmp = TempDir::new("sweep_demo-unwritable");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let below_a_file = file.join("results");
    let out = run(&["-C", below_a_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("result directory") && stderr.contains("a-file/results"),
        "stderr: {stderr}"
    );
    // sysfs: a directory that even root cannot create files in.
    let out = run(&["-C", "/sys/kernel"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("result directory `/sys/kernel`: not writable"),
        "stderr: {stderr}"
    );
}

#[test]
fn outputs_are_copied_redirected_or_merged_into_the_result_directory() {
    let tmp = TempDir::new("sweep_demo-outputs");
    let copy = tmp.path().join("copy");
    let out = run(&["-C", copy.to_str().unwrap(), "--sleep", "0", "-L"]);
    assert!(out.status.success());
    // The copy keeps the terminal's stream and the file's in step.
    let copied = std::fs::read_to_string(copy.join("stderr")).unwrap();
    assert!(
        copied.contains("all 60 combinations done"),
        "stderr file: {copied}"
    );
    assert!(text(&out.stderr).contains("all 60 combinations done"));

    let redirect = tmp.path().join("redirect");
    let out = run(&["-C", redirect.to_str().unwrap(), "--sleep", "0", "-R"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    let redirected = std::fs::read_to_string(redirect.join("stderr")).unwrap();
    assert!(redirected.contains("all 60 combinations done"));

    let merged = tmp.path().join("merged");
    let out = run(&["-C", merged.to_str().unwrap(), "--sleep", "0", "-R", "-M"]);
    assert!(out.status.success());
    let both = std::fs::read_to_string(merged.join("stdout+stderr")).unwrap();
    assert!(both.contains("all 60 combinations done"));
    assert!(!merged.join("stderr").exists());
}

#[test]
fn dry_run_prints_what_is_left_and_runs_nothing() {
    let tmp = TempDir::new("sweep_demo-dry-run");
    let dir = tmp.path().join("results");
    let dir_s = dir.to_str().unwrap();
    // A new directory: all 60, and the directory is not even created.
    let out = run(&["-C", dir_s, "--dry-run"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let plan = text(&out.stdout);
    let mut lines = plan.lines();
    assert_eq!(
        lines.next(),
        Some(
            "sweep_demo: 60 of 60 combinations to do in a new result directory (dry run: nothing runs)"
        )
    );
    assert_eq!(
        lines.next(),
        Some(r#"{"size_kib":1,"tool":"md5sum","repeat":0}"#)
    );
    assert_eq!(plan.lines().count(), 61);
    assert!(!dir.exists(), "a dry run created {}", dir.display());

    // After a run where cksum failed: exactly the 20 cksum combinations are left.
    let out = run(&["-C", dir_s, "--sleep", "0", "--fail-tool", "cksum"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let runs_before = std::fs::read_to_string(dir.join("runs.yaml")).unwrap();
    let out = run(&["-C", dir_s, "--dry-run"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.starts_with(&format!(
            "sweep_demo: 20 of 60 combinations to do in {dir_s} "
        )),
        "{plan}"
    );
    let left: Vec<&str> = plan.lines().skip(1).collect();
    assert_eq!(left.len(), 20, "{plan}");
    assert!(
        left.iter().all(|l| l.contains(r#""tool":"cksum""#)),
        "{plan}"
    );
    // Nothing ran: no run recorded, no result added.
    assert_eq!(
        std::fs::read_to_string(dir.join("runs.yaml")).unwrap(),
        runs_before
    );
    assert_eq!(jsonl_params(&dir).len(), 40);
}

#[test]
fn list_names_the_experiment_and_help_shows_every_flag() {
    let out = run(&["--list"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "sweep_demo\texeco's engine demonstration: 60 checksum runs of about 0.1 s each.\n"
    );
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for flag in [
        "--continue <DIR>",
        "--log-level",
        "--copy-outputs",
        "--redirect-outputs",
        "--merge-outputs",
        "--sleep",
        "--fail-tool",
        "--dry-run",
        "--list",
    ] {
        assert!(help.contains(flag), "no {flag} in:\n{help}");
    }
    // A flag of another program is clap's error, exit status 2.
    let out = run(&["--hosts", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--hosts"),
        "{}",
        text(&out.stderr)
    );
}
