//! The `remote!` family: what the expansion runs (locally, and over the test sshd), and
//! the compile errors (trybuild, `tests/ui/`).

use std::collections::BTreeSet;

use execo::prelude::*;

use crate::sshd::TestSshd;

/// The command each host's process runs.
fn cmdlines(processes: Vec<Process>) -> Vec<String> {
    processes.iter().map(Process::cmdline).collect()
}

/// Each process's stdout (ssh runs remote commands on a pty: `\r\n` read as `\n`).
fn stdouts(run: &ActionHandle) -> Vec<String> {
    assert!(
        run.ended() && run.ok(),
        "{}",
        run.processes().iter().map(|p| p.dump()).collect::<String>()
    );
    run.processes()
        .iter()
        .map(|p| p.stdout().replace("\r\n", "\n"))
        .collect()
}

#[test]
fn substitutes_round_robin_over_six_hosts_and_four_targets() {
    let sshd = TestSshd::start(6);
    let hosts: Vec<Host> = (1..=6).map(|i| sshd.host(i)).collect();
    let targets = vec!["t0".to_string(), "t1".into(), "t2".into(), "t3".into()];
    let flows = 8;
    let run = remote!("echo <<host>> <<index>> <<targets>> -P <<flows>>" on hosts.clone())
        .params(sshd.params())
        .window(2)
        .name("round robin")
        .blocking_run()
        .unwrap();
    let want: Vec<String> = (0..6)
        .map(|i| format!("host-{} {i} t{} -P 8\n", i + 1, i % 4))
        .collect();
    assert_eq!(stdouts(&run), want);
    let report = Report::of("macros", [&run]).to_string();
    assert!(report.contains("round robin"), "{report}");
    // A host list is a sequence too.
    let local = local!("echo <<hosts>>" on hosts.clone())
        .processes()
        .unwrap();
    assert_eq!(cmdlines(local)[5], "echo host-6");
}

#[test]
fn sequences_go_round_robin_and_other_values_are_the_same_everywhere() {
    struct Params {
        port: u16,
        cc: [&'static str; 2],
    }
    let p = Params {
        port: 5201,
        cc: ["cubic", "reno"],
    };
    let pair = ("first", 2.5);
    let nodes = NodeSet::parse("n-[1-3]").unwrap();
    let slice: &[u32] = &[10, 20];
    let set: BTreeSet<char> = ['b', 'a'].into();
    let ports = 7000..7002;
    let owned = String::from("owned");
    let servers = [Host::new("srv-a").user("me"), Host::new("srv-b")];
    let server = &servers[1];
    let got = cmdlines(
        local!(
            "x <<p.port>> <<p.cc>> <<pair.0>> <<pair.1>> <<nodes>> <<slice>> <<set>> \
             <<ports>> <<owned>> <<servers>> <<server.address>> <<index>>"
            on ["h1", "h2", "h3", "h4"]
        )
        .processes()
        .unwrap(),
    );
    assert_eq!(
        got,
        [
            "x 5201 cubic first 2.5 n-1 10 a 7000 owned me@srv-a srv-b 0",
            "x 5201 reno first 2.5 n-2 20 b 7001 owned srv-b srv-b 1",
            "x 5201 cubic first 2.5 n-3 10 a 7000 owned me@srv-a srv-b 2",
            "x 5201 reno first 2.5 n-1 20 b 7001 owned srv-b srv-b 3",
        ]
    );
}

/// The template error an action's start returned, whole.
fn substitution(e: execo::Error) -> execo::substitution::SubstitutionError {
    match e {
        execo::Error::Substitution(e) => e,
        other => panic!("not a template error: {other}"),
    }
}

#[test]
fn an_empty_sequence_is_an_error_when_the_action_starts() {
    let none: Vec<String> = Vec::new();
    let e = substitution(remote!("ping <<none>>" on ["h"]).start().unwrap_err());
    assert!(e.reason.contains("the list `none` is empty"), "{e}");
}

/// The template's quotes decide: inside `'...'` or `"..."` a value is one argument
/// holding exactly the value, outside it is shell text.
const QUOTING: &str = "it's a \"test\" $HOME \\ `x` ok";

#[test]
fn a_value_with_spaces_and_quotes_stays_one_argument_where_the_template_says_so() {
    let v = QUOTING;
    let words = "-x  -y";
    let name = "a b";
    let run = local!(r#"printf '[%s]\n' '<<v>>' "<<v>>" <<words>> pre'<<v>>'post "~/<<name>>""#)
        .blocking_run()
        .unwrap();
    let want = format!("[{v}]\n[{v}]\n[-x]\n[-y]\n[pre{v}post]\n[~/a b]\n");
    assert_eq!(stdouts(&run), [want]);
    // One variable in several places: each gets the value written for its place.
    let two = local!(r#"printf '[%s]' <<name>> '<<name>>' "<<v>>" '<<v>>'"#)
        .blocking_run()
        .unwrap();
    assert_eq!(stdouts(&two), [format!("[a][b][a b][{v}][{v}]")]);

    let sshd = TestSshd::start(2);
    let run =
        remote!(r#"printf '[%s]\n' '<<v>>' "<<v>>" <<words>>"# on [sshd.host(1), sshd.host(2)])
            .params(sshd.params())
            .blocking_run()
            .unwrap();
    let want = format!("[{v}]\n[{v}]\n[-x]\n[-y]\n");
    assert_eq!(stdouts(&run), [want.clone(), want]);
}

#[test]
fn a_heredoc_written_with_the_escape_reaches_the_remote_shell_intact() {
    let sshd = TestSshd::start(2);
    let v = "a'b";
    let n = 2;
    // `\<<EOF>>` is the glued heredoc, not a substitution; in the body, quotes are text
    // and `'<<v>>'` is inserted as it is.
    let run = remote!(r#"f=$(mktemp); cat \<<EOF>>$f
it's <<index>> of <<n>>: '<<v>>' "<<host>>" >> << <<<
EOF
cat <<'END' >>$f
<<v>> \n $HOME
END
cat $f; rm -f $f"# on [sshd.host(1), sshd.host(2)])
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    let want = |i: usize| {
        format!(
            "it's {i} of 2: 'a'b' \"host-{}\" >> << <<<\na'b \\n $HOME\n",
            i + 1
        )
    };
    assert_eq!(stdouts(&run), [want(0), want(1)]);
}

#[test]
fn put_and_get_take_templates_for_files_and_directories() {
    let sshd = TestSshd::start(3);
    let hosts: Vec<Host> = (1..=3).map(|i| sshd.host(i)).collect();
    let dir = std::env::temp_dir().join(format!("execo-it-macros-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let base = dir.display().to_string();
    for i in 0..3 {
        std::fs::create_dir_all(dir.join(format!("remote-{i}"))).unwrap();
        std::fs::create_dir_all(dir.join(format!("back/host-{}", i + 1))).unwrap();
    }
    let names = ["one", "two"];
    std::fs::write(dir.join("one.txt"), "1").unwrap();
    std::fs::write(dir.join("two.txt"), "2").unwrap();
    std::fs::write(dir.join("common.txt"), "c").unwrap();
    let put = put!(["<<base>>/<<names>>.txt", "<<base>>/common.txt"] to "<<base>>/remote-<<index>>" on hosts.clone())
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    stdouts(&put);
    let get =
        get!("<<base>>/remote-<<index>>/common.txt" to "<<base>>/back/<<host>>" on hosts.clone())
            .params(sshd.params())
            .blocking_run()
            .unwrap();
    stdouts(&get);
    for i in 0..3 {
        let read = |p: String| std::fs::read_to_string(dir.join(p)).unwrap();
        let own = names[i % 2];
        assert_eq!(
            read(format!("remote-{i}/{own}.txt")),
            (i % 2 + 1).to_string()
        );
        assert_eq!(read(format!("back/host-{}/common.txt", i + 1)), "c");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A file that an injected `touch` would create; none exists before.
fn pwned_path(tag: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("execo-pwned-{tag}-{}", std::process::id()));
    std::fs::remove_file(&p).ok();
    p
}

#[test]
fn hostile_values_and_hosts_stay_one_argument_holding_exactly_the_value_in_every_place() {
    let pwned = pwned_path("local");
    let p = pwned.display();
    let v = format!(r#"x';touch {p};'"$(touch {p})`touch {p}`\" \$HOME"#);
    let host = format!("x';touch${{IFS}}{p};'");
    let run = local!(
        r#"printf '[%s]\n' <<host>> '<<host>>' "<<host>>" '<<v>>' "<<v>>" "$(printf %s '<<v>>')" "$(printf %s "<<v>>")" $(printf %s '<<v>>' | wc -c)"#
            on [host.as_str()]
    )
    .blocking_run()
    .unwrap();
    let want = format!(
        "[{host}]\n[{host}]\n[{host}]\n[{v}]\n[{v}]\n[{v}]\n[{v}]\n[{}]\n",
        v.len()
    );
    assert_eq!(stdouts(&run), [want]);
    // In heredoc bodies too, quoted delimiter or not.
    let heredoc = local!(
        "cat <<EOF\n<<v>> <<host>>\nEOF\ncat <<'EOF'\n<<v>>\nEOF" on [host.as_str()]
    )
    .blocking_run()
    .unwrap();
    assert_eq!(stdouts(&heredoc), [format!("{v} {host}\n{v}\n")]);
    assert!(!pwned.exists(), "an injected command ran");

    // The runtime's own templates (the `execo run` command, `Remote::new(..).list(..)`).
    let runtime = Local::per_host(
        r#"printf '[%s]\n' <<host>> '<<v>>' "<<v>>""#,
        [host.as_str()],
    )
    .list("v", [v.as_str()])
    .blocking_run()
    .unwrap();
    assert_eq!(stdouts(&runtime), [format!("[{host}]\n[{v}]\n[{v}]\n")]);
    assert!(!pwned.exists(), "an injected command ran");
}

#[test]
fn a_hostile_value_stays_one_argument_over_ssh() {
    let sshd = TestSshd::start(1);
    let pwned = pwned_path("ssh");
    let p = pwned.display();
    let v = format!(r#"x';touch {p};'"$(touch {p})`touch {p}`\" $HOME"#);
    let run = remote!(
        r#"printf '[%s]\n' '<<v>>' "<<v>>" "$(printf %s '<<v>>')""# on [sshd.host(1)]
    )
    .params(sshd.params())
    .blocking_run()
    .unwrap();
    assert_eq!(stdouts(&run), [format!("[{v}]\n[{v}]\n[{v}]\n")]);
    assert!(!pwned.exists(), "an injected command ran");
}

#[test]
fn places_no_escaping_can_protect_are_start_errors_at_run_time() {
    for (cmd, fragment, hint) in [
        ("echo $'<<v>>'", "<<v>>", "use `'<<v>>'`"),
        ("echo \"`echo '<<v>>'`\"", "<<v>>", "use `$(...)`"),
        ("echo ${x:-<<v>>}", "<<v>>", "set a variable first"),
        ("ping {{{host}}}", "{{{host}}}", "write `<<host>>`"),
        ("ping {{v}}", "{{v}}", "write `<<v>>`"),
        ("ping <<v[0]>>", "<<v[0]>>", "bind it with `let` first"),
    ] {
        let e = substitution(Local::new(cmd).list("v", ["x"]).start().unwrap_err());
        assert_eq!(e.fragment, fragment, "{cmd}");
        assert!(e.reason.contains(hint), "{cmd}: {e}");
    }
    let e = substitution(
        Local::per_host("cat <<'E'\n<<host>>\nE", ["a\nE\ntouch x"])
            .start()
            .unwrap_err(),
    );
    assert!(e.reason.contains("cannot hold a newline"), "{e}");
}

#[test]
fn put_and_get_take_paths_known_at_run_time() {
    let sshd = TestSshd::start(2);
    let hosts: Vec<Host> = (1..=2).map(|i| sshd.host(i)).collect();
    let dir = std::env::temp_dir().join(format!("execo-it-paths-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(dir.join("remote")).unwrap();
    std::fs::create_dir_all(dir.join("back")).unwrap();
    // A name that looks like a substitution is a plain name when given as a value.
    let odd = dir.join("odd <<host>> 'q'.txt");
    std::fs::write(&odd, "odd").unwrap();
    std::fs::write(dir.join("plain.txt"), "plain").unwrap();
    let files: Vec<String> = vec![
        odd.display().to_string(),
        dir.join("plain.txt").display().to_string(),
    ];
    let dest: String = dir.join("remote").display().to_string();
    let put = put!(files to &dest on hosts.clone())
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    stdouts(&put);
    let remote_files = [dir.join("remote/plain.txt")];
    let back = dir.join("back");
    let get = get!(&remote_files[..] to &back on hosts[..1].to_vec())
        .params(sshd.params())
        .blocking_run()
        .unwrap();
    stdouts(&get);
    assert_eq!(
        std::fs::read_to_string(dir.join("remote/odd <<host>> 'q'.txt")).unwrap(),
        "odd"
    );
    assert_eq!(
        std::fs::read_to_string(back.join("plain.txt")).unwrap(),
        "plain"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
