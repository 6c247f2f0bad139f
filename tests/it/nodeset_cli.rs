//! `execo nodeset` and the library's node sets side by side with ClusterShell's
//! `nodeset` (Debian's `clustershell`, installed by scripts/deps.sh): the same hosts,
//! the same folded text, the same expanded order, and errors where it errs, on
//! ClusterShell's own test patterns and ours (tests/fixtures/nodeset/patterns.txt);
//! the deliberate differences are listed in tests/fixtures/nodeset/differences.txt.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use execo::nodeset::NodeSet;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nodeset")
        .join(name)
}

/// The patterns of a fixture file (comments left out), taken as written.
fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .expect("read the fixture")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// ClusterShell's `nodeset`, or a failure saying how to install it.
fn clustershell_nodeset() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nodeset"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "ClusterShell's `nodeset` is not installed: run scripts/deps.sh, or \
             `apt-get install clustershell` (or `pip install ClusterShell`)"
        )
    })
}

/// The Python that runs ClusterShell's `nodeset` (from its `#!` line), so that its
/// library is the one the command uses.
fn clustershell_python(nodeset: &Path) -> String {
    let text = std::fs::read_to_string(nodeset).expect("read the nodeset script");
    let shebang = text.lines().next().unwrap_or_default();
    let interpreter = shebang.trim_start_matches("#!").trim();
    match interpreter.split_whitespace().collect::<Vec<_>>()[..] {
        [env, python, ..] if env.ends_with("/env") => python.to_string(),
        [python, ..] => python.to_string(),
        [] => panic!("{}: no #! line", nodeset.display()),
    }
}

/// What one tool says of a pattern: its folded text, count and expanded names, or that
/// it refuses it.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Verdict {
    Set {
        fold: String,
        count: usize,
        names: String,
    },
    Error,
}

/// ClusterShell's verdicts on `patterns`, from one run of its library (`NodeSet(p)`,
/// `str`, `len`, iteration: what `nodeset -f`, `-c` and `-e` print).
fn clustershell_verdicts(patterns: &[String]) -> Vec<Verdict> {
    const SCRIPT: &str = r#"
import sys
from ClusterShell.NodeSet import NodeSet
for line in sys.stdin.read().split("\n")[:-1]:
    try:
        ns = NodeSet(line)
        print("OK\t%s\t%d\t%s" % (ns, len(ns), " ".join(ns)))
    except Exception:
        print("ERR")
"#;
    let python = clustershell_python(&clustershell_nodeset());
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start `{python}` for ClusterShell: {e}"));
    let mut input = String::new();
    for p in patterns {
        input.push_str(p);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait for ClusterShell");
    writer.join().expect("writer").expect("write the patterns");
    assert!(out.status.success(), "ClusterShell's run failed: {out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let verdicts: Vec<Verdict> = text
        .lines()
        .map(|l| match l.splitn(4, '\t').collect::<Vec<_>>()[..] {
            ["OK", fold, count, names] => Verdict::Set {
                fold: fold.to_string(),
                count: count.parse().expect("count"),
                names: names.to_string(),
            },
            _ => Verdict::Error,
        })
        .collect();
    assert_eq!(verdicts.len(), patterns.len(), "one verdict a pattern");
    verdicts
}

fn our_verdict(pattern: &str) -> Verdict {
    match NodeSet::parse(pattern) {
        Ok(set) => Verdict::Set {
            fold: set.fold(),
            count: set.len(),
            names: set.sorted().join(" "),
        },
        Err(_) => Verdict::Error,
    }
}

#[test]
fn agrees_with_clustershell_on_its_patterns_and_ours() {
    let patterns = lines("patterns.txt");
    assert!(patterns.len() > 600, "the pattern file is there");
    let differences: HashMap<String, String> = lines("differences.txt")
        .into_iter()
        .map(|l| {
            let (p, why) = l.split_once('\t').expect("PATTERN<TAB>why");
            (p.to_string(), why.to_string())
        })
        .collect();
    let theirs = clustershell_verdicts(&patterns);
    let (mut agree, mut both_sets, mut both_errors) = (0, 0, 0);
    let mut wrong = Vec::new();
    let mut still_differs = Vec::new();
    for (pattern, their) in patterns.iter().zip(&theirs) {
        let ours = our_verdict(pattern);
        if &ours == their {
            agree += 1;
            match ours {
                Verdict::Set { .. } => both_sets += 1,
                Verdict::Error => both_errors += 1,
            }
            if differences.contains_key(pattern) {
                wrong.push(format!("{pattern:?} is listed as a difference but agrees"));
            }
        } else if differences.contains_key(pattern) {
            still_differs.push(pattern);
        } else {
            wrong.push(format!(
                "{pattern:?}:\n  ClusterShell: {their:?}\n  ours:         {ours:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(
        still_differs.len(),
        differences.len(),
        "every listed difference is a pattern of the file"
    );
    assert!(
        both_sets > 450 && both_errors > 90,
        "{agree} agree: {both_sets} sets, {both_errors} errors"
    );
}

fn run(program: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start `{}`: {e}", program.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn command_lines_agree_with_clustershell_nodeset() {
    let theirs = clustershell_nodeset();
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_execo"));
    let cases: &[(&[&str], &str)] = &[
        (&["-f", "taurus-[1-12].lyon.grid5000.fr"], ""),
        (&["-f", "n[1-3]", "n[5-7]", "m1"], ""),
        (&["-e", "a[1-2]b[1-2],c"], ""),
        (&["-c", "a[1-2]b[1-2],c"], ""),
        (&["-e", "-S", "\\n", "n[1-3]"], ""),
        (&["-e", "-S", ":", "n[1-3]"], ""),
        (&["-f", "n[1-10]", "-x", "n[3-5]", "n20"], ""),
        (&["-f", "n[1-10]", "-i", "n[3-15]"], ""),
        (&["-f", "n[1-10]", "-X", "n[5-15]"], ""),
        (&["-f", "-x", "n1", "n[1-3]"], ""),
        (&["-f", "--exclude", "n2", "n[1-3]"], ""),
        (&["-f"], "n1 n2\nn3 # n4\nm[1-2]\n"),
        (&["-f", "n[1-5]", "-x", "-"], "n2 n4\n"),
        (&["-f", "n[1-3]\nm[1-2]"], ""),
        (&["-f", "x[1-2]y[1-3],x3y1"], ""),
        (&["-e", "x[1-2]y[1-3],x3y1"], ""),
        (&["-f", ""], ""),
        (&["-c", "a[1-3]!a2"], ""),
    ];
    for (args, stdin) in cases {
        let a = run(&theirs, args, stdin);
        let mut our_args = vec!["nodeset"];
        our_args.extend_from_slice(args);
        let b = run(&ours, &our_args, stdin);
        assert_eq!(
            (String::from_utf8_lossy(&b.stdout), b.status.code()),
            (String::from_utf8_lossy(&a.stdout), a.status.code()),
            "nodeset {args:?} (stdin {stdin:?}); ClusterShell's stderr: {}",
            String::from_utf8_lossy(&a.stderr)
        );
    }
    // Errors where it errs: both fail (status 1), both say something.
    for bad in ["a[1-3", "a,,b", "a[2-1]", "a[01-3]", "a[1-3][4]"] {
        let a = run(&theirs, &["-f", bad], "");
        let b = run(&ours, &["nodeset", "-f", bad], "");
        assert_eq!(
            (a.status.code(), b.status.code()),
            (Some(1), Some(1)),
            "{bad:?}"
        );
        assert!(a.stdout.is_empty() && b.stdout.is_empty(), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&b.stderr).contains(bad),
            "{bad:?}: {b:?}"
        );
    }
    // No command, or two: a usage error, as ClusterShell's (status 2).
    for args in [&["n1"][..], &["-f", "-e", "n1"][..]] {
        let a = run(&theirs, args, "");
        let mut our_args = vec!["nodeset"];
        our_args.extend_from_slice(args);
        let b = run(&ours, &our_args, "");
        assert_eq!(
            (a.status.code(), b.status.code()),
            (Some(2), Some(2)),
            "{args:?}"
        );
    }
}

#[test]
fn gathered_output_and_failure_summaries_fold_in_all_dimensions() {
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args([
            "run",
            "--local",
            "-b",
            "-H",
            "taurus-[1-3].lyon.grid5000.fr,a[0-1]b[2-3]",
        ])
        .arg("echo same; exit 3")
        .env("EXECO_CONFIG", "/dev/null")
        .output()
        .expect("run the execo binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hosts = "a[0-1]b[2-3],taurus-[1-3].lyon.grid5000.fr (7)";
    assert!(stdout.contains(hosts), "gathered output: {stdout}");
    assert!(
        stderr.contains(&format!("{hosts}: exit code 3")),
        "failure summary: {stderr}"
    );
}
