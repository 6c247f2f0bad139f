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
    let servers = [Host::new("srv-a").with_user("me"), Host::new("srv-b")];
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

#[test]
fn an_empty_sequence_is_an_error_when_the_action_starts() {
    let none: Vec<String> = Vec::new();
    let e = remote!("ping <<none>>" on ["h"]).start().unwrap_err();
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

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
