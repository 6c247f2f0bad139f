//! The reader's tests: the one set, for the macros and the runtime alike.

use super::*;

fn names(s: &Scanned) -> Vec<(&str, Quoting)> {
    s.template.subs().map(|s| (&*s.name, s.quoting)).collect()
}

fn subs(s: &Scanned) -> Vec<&Sub> {
    s.template.subs().collect()
}

fn shell(t: &str) -> Scanned {
    scan(t, Mode::Shell)
}

/// The problems' messages.
fn problems(t: &str) -> Vec<String> {
    shell(t).problems.into_iter().map(|p| p.message).collect()
}

#[test]
fn finds_substitutions_and_pieces() {
    let s = shell(r"iperf -c <<targets>> -P <<p.n>> #<<index>> <<t.0>> \<<x>>");
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(
        names(&s),
        [
            ("targets", Quoting::Raw),
            ("p.n", Quoting::Raw),
            ("index", Quoting::Raw),
            ("t.0", Quoting::Raw)
        ]
    );
    assert_eq!(subs(&s)[0].range, 9..20);
    let pieces = s.template.pieces();
    assert_eq!(pieces[0], Piece::text("iperf -c "));
    assert_eq!(pieces[1], Piece::sub("targets", Quoting::Raw, 9, 20));
    assert_eq!(pieces.last(), Some(&Piece::text(" <<x>>")));
    assert_eq!(
        s.template.source(),
        r"iperf -c <<targets>> -P <<p.n>> #<<index>> <<t.0>> \<<x>>"
    );
    let p = scan("'<<a>>'/\"<<b>>\"", Mode::Path);
    assert_eq!(
        names(&p),
        [("a", Quoting::Verbatim), ("b", Quoting::Verbatim)]
    );
}

#[test]
fn shell_syntax_is_text() {
    for t in [
        "cat <<EOF > f\nx\nEOF\necho a >> log; cat <<< \"$v\"; cat << 'E'\nE",
        r"cat \<<EOF>>log",
        "a <<1>> b",
        "echo $((1 << 3)) $((1<<n))",
        "<<<<x>>",
        "cat <<EOF >>log\nx\nEOF",
        "cat <<EOF x>>log\nx\nEOF",
        "awk '{print $1}' | jq '{a: {b: .c}}'; echo '{{}}' {{1}}",
        "docker ps --format '{{.Names}} {{ .ID }}'",
    ] {
        let s = shell(t);
        assert!(s.problems.is_empty(), "{t}: {:?}", s.problems);
    }
    assert!(subs(&shell("a <<1>> b")).is_empty());
    assert!(subs(&shell(r"cat \<<EOF>>log")).is_empty());
    assert_eq!(names(&shell("<<<<x>>>>")), [("x", Quoting::Raw)]);
    assert_eq!(names(&shell("$((1<<n>>2))")), [("n", Quoting::Raw)]);
}

#[test]
fn problems_quote_the_fragment_and_hint() {
    let s = shell("a <<>> b <<targets> c <<n");
    let got: Vec<(Range<usize>, &str, bool)> = s
        .problems
        .iter()
        .map(|p| (p.range.clone(), p.message.as_str(), p.literal_only))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, 2..6);
    assert!(got[0].1.starts_with("empty substitution `<<>>`"));
    assert!(!got[0].2);
    assert_eq!(got[1].0, 9..19);
    assert!(
        got[1]
            .1
            .starts_with("unclosed `<<targets>`: close it with `>>` (`<<targets>>`)")
    );
    assert!(got[1].2, "a runtime template passes `<<x>` through");
    assert_eq!(got[2].0, 22..25);
    assert!(got[2].1.starts_with("unclosed `<<n`"));
    assert!(got.iter().all(|(_, m, _)| m.contains(ESCAPE_HINT)));
    assert!(
        shell("cat <<").problems[0]
            .message
            .starts_with("unclosed `<<` at the end")
    );
    assert!(shell("x <<>>").runtime_problem().is_some());
    assert!(shell("x <<n").runtime_problem().is_none());
}

#[test]
fn what_looks_like_an_expression_is_refused_with_a_hint() {
    for (t, fragment) in [
        ("ping <<targets[0].address>>", "<<targets[0].address>>"),
        (
            "echo <<[t.address for t in targets]>> end",
            "<<[t.address for t in targets]>>",
        ),
        ("echo <<a b>>", "<<a b>>"),
        ("echo '<<f(x)>>'", "<<f(x)>>"),
        ("echo <<a::b>>;", "<<a::b>>"),
    ] {
        let s = shell(t);
        assert_eq!(s.problems.len(), 1, "{t}: {:?}", s.problems);
        let p = &s.problems[0];
        assert_eq!(&t[p.range.clone()], fragment, "{t}");
        assert!(
            p.message
                .starts_with(&format!("`{fragment}` looks like an expression"))
        );
        assert!(
            p.message.contains("bind it with `let` first"),
            "{}",
            p.message
        );
        assert!(!p.literal_only);
        assert!(scan(t, Mode::Path).runtime_problem().is_some(), "{t}");
    }
}

#[test]
fn execo_syntax_is_refused_with_the_new_form() {
    let m = problems("ping {{{host}}} -c {{count}} {{p.size}}");
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(m[0].starts_with("`{{{host}}}` is execo's host syntax"));
    assert!(m[0].ends_with("write `<<host>>`"));
    assert!(m[1].starts_with("`{{count}}` is execo's (Python) substitution syntax"));
    assert!(m[1].ends_with("write `<<count>>`"));
    assert!(m[2].ends_with("write `<<p.size>>`"));
    assert!(
        scan("conf/{{{host}}}.toml", Mode::Path)
            .runtime_problem()
            .is_some()
    );
}

#[test]
fn quotes_in_the_template_are_read_as_the_shell_reads_them() {
    let s = shell(
        r#"echo '<<a>>' "<<b>>" <<c>> 'x <<d>> y' "$HOME/<<e>>" \'<<f>> '\'<<g>> # it's <<h>>"#,
    );
    let want = [
        ("a", Quoting::SingleQuoted),
        ("b", Quoting::DoubleQuoted),
        ("c", Quoting::Raw),
        ("d", Quoting::SingleQuoted),
        ("e", Quoting::DoubleQuoted),
        ("f", Quoting::Raw),
        ("g", Quoting::Raw),
        ("h", Quoting::Raw),
    ];
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(names(&s), want);
    assert_eq!(names(&shell(r#"$"<<a>>""#)), [("a", Quoting::DoubleQuoted)]);
}

#[test]
fn nesting_is_followed() {
    let s = shell(
        r#"echo "$(echo '<<a>>' "<<b>>" <<c>>) <<d>>" $(x "$(y '<<e>>')") $((<<f>> + 1)) "`pwd`<<g>>""#,
    );
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(
        names(&s),
        [
            ("a", Quoting::SingleQuoted),
            ("b", Quoting::DoubleQuoted),
            ("c", Quoting::Raw),
            ("d", Quoting::DoubleQuoted),
            ("e", Quoting::SingleQuoted),
            ("f", Quoting::Raw),
            ("g", Quoting::DoubleQuoted),
        ]
    );
    // Parentheses inside the substitution do not close it.
    let sub = shell("x=$( (cd /; echo ok) ; echo '<<a>>')");
    assert_eq!(names(&sub), [("a", Quoting::SingleQuoted)]);
}

#[test]
fn places_that_cannot_be_escaped_are_refused_naming_the_fragment() {
    for (t, start) in [
        ("echo $'<<v>>'", "`<<v>>` inside `$'...'`"),
        ("echo \"`echo '<<v>>'`\"", "`<<v>>` inside backticks"),
        ("echo `<<v>>`", "`<<v>>` inside backticks"),
        ("echo ${x:-'<<v>>'}", "`<<v>>` inside `${...}`"),
        ("echo \"${x:-<<v>>}\"", "`<<v>>` inside `${...}`"),
        ("echo ${x:-$(echo '<<v>>')}", "`<<v>>` inside `${...}`"),
        ("echo $<<v>>", "`$<<v>>`: the value would continue"),
        ("echo \"$<<v>>\"", "`$<<v>>`: the value would continue"),
    ] {
        let m = problems(t);
        assert_eq!(m.len(), 1, "{t}: {m:?}");
        assert!(m[0].starts_with(start), "{t}: {}", m[0]);
    }
    assert!(problems("echo $'<<v>>'")[0].contains("use `'<<v>>'`"));
    // Escaped, or in single quotes, `$` is a character.
    assert!(problems(r"echo \$<<v>> '$<<v>>'").is_empty());
    // After the refused place, reading goes on as before.
    assert_eq!(
        names(&shell("echo `x` '<<a>>' ${y} \"<<b>>\"")),
        [("a", Quoting::SingleQuoted), ("b", Quoting::DoubleQuoted)]
    );
}

#[test]
fn heredoc_bodies_are_escaped_for_their_kind() {
    let heredoc = shell("cat <<'EOF' > f; echo '<<a>>'\nit's <<b>>\n\"<<c>>\nEOF\necho \"<<d>>\"");
    assert_eq!(
        names(&heredoc),
        [
            ("a", Quoting::SingleQuoted),
            ("b", Quoting::HeredocLiteral),
            ("c", Quoting::HeredocLiteral),
            ("d", Quoting::DoubleQuoted)
        ]
    );
    let tabs = shell("cat <<-E\n\t'<<a>>\n\tE\n'<<b>>'");
    assert_eq!(
        names(&tabs),
        [("a", Quoting::HeredocBody), ("b", Quoting::SingleQuoted)]
    );
    let escaped = shell("cat \\<<E>>log\n'<<a>>\nE\n'<<b>>'");
    assert_eq!(
        names(&escaped),
        [("a", Quoting::HeredocBody), ("b", Quoting::SingleQuoted)]
    );
    // In an unquoted body `$(...)` runs: its quotes are quotes again.
    let live = shell("cat <<E\n$(echo '<<a>>') `<<b>>`\nE");
    assert_eq!(subs(&live)[0].quoting, Quoting::SingleQuoted);
    assert_eq!(live.problems.len(), 1);
    assert!(live.problems[0].message.contains("backticks"));
    // Two heredocs on one line, and one inside `$(...)`.
    let two = shell("cat <<A <<'B'\n<<x>>\nA\n<<y>>\nB\nv=\"$(cat <<C\n<<z>>\nC\n)\" '<<w>>'");
    assert_eq!(
        names(&two),
        [
            ("x", Quoting::HeredocBody),
            ("y", Quoting::HeredocLiteral),
            ("z", Quoting::HeredocBody),
            ("w", Quoting::SingleQuoted)
        ]
    );
}

#[test]
fn values_are_escaped_for_their_place() {
    let v = "x';touch /tmp/pwned;'\"$(id)`id`\\";
    assert_eq!(Quoting::Raw.text("-P 4").unwrap(), "-P 4");
    assert_eq!(Quoting::Raw.word("a b").unwrap(), "'a b'");
    assert_eq!(Quoting::Raw.word("node-1").unwrap(), "node-1");
    assert_eq!(Quoting::Verbatim.word(v).unwrap(), v);
    assert_eq!(
        Quoting::SingleQuoted.text(v).unwrap(),
        r#"x'\'';touch /tmp/pwned;'\''"$(id)`id`\"#
    );
    assert_eq!(
        Quoting::DoubleQuoted.text(v).unwrap(),
        r#"x';touch /tmp/pwned;'\"\$(id)\`id\`\\"#
    );
    assert_eq!(
        Quoting::HeredocBody.text(v).unwrap(),
        r#"x';touch /tmp/pwned;'"\$(id)\`id\`\\"#
    );
    assert_eq!(Quoting::HeredocLiteral.text(v).unwrap(), v);
    for q in [Quoting::HeredocBody, Quoting::HeredocLiteral] {
        assert!(q.word("a\nEOF\nrm x").unwrap_err().contains("newline"));
    }
    assert_eq!(quote_word(""), "''");
}

#[test]
fn never_panics_on_odd_input() {
    for s in [
        "<<",
        "<<a",
        "<<a>",
        "\\<",
        "\\",
        "é<<a>>é",
        "<<<<a>>>>",
        "\u{1F600}<<",
        "'",
        "\"",
        "\\<<",
        "<<-",
        "cat <<'E",
        "cat <<E\n",
        "#",
        "<<a.b.>>",
        "<<9>>",
        "$(",
        "$((",
        "${",
        "`",
        "$'",
        "$\"",
        ")",
        "))",
        "}",
        "{{",
        "{{{",
        "{{a}",
        "{{a}}}",
        "<<é b>>",
        "<<[>>",
        "cat <<E\n$(\nE\n<<a>>",
        "$\\<<a>>",
        "\"$(\"'<<a>>",
        "<<a>>$",
        "$<<a>>",
    ] {
        let _ = scan(s, Mode::Shell);
        let _ = scan(s, Mode::Path);
    }
}

#[test]
fn read_gives_the_template_or_the_first_runtime_problem() {
    let t = read("cat <<'E'\n<<v>>\nE\necho <<w", Mode::Shell).unwrap();
    assert_eq!(
        t.subs().map(|s| (&*s.name, s.quoting)).collect::<Vec<_>>(),
        [("v", Quoting::HeredocLiteral)],
        "`<<w` left open is a literal's mistake only: text at run time"
    );
    assert_eq!(t.mode(), Mode::Shell);
    let e = read("a {{x}} `<<y>>`", Mode::Shell).unwrap_err();
    assert_eq!(e.range, 2..7, "the first problem: {e:?}");
    assert!(e.message.contains("write `<<x>>`"), "{e:?}");
}

#[test]
fn a_template_from_static_parts_is_the_one_read() {
    const PIECES: &[Piece] = &[
        Piece::text("echo '"),
        Piece::sub("v", Quoting::SingleQuoted, 6, 11),
        Piece::text("' "),
        Piece::sub("host", Quoting::Raw, 13, 21),
    ];
    const T: Template = Template::from_static("echo '<<v>>' <<host>>", Mode::Shell, PIECES);
    assert_eq!(read(T.source(), Mode::Shell), Ok(T));
}
