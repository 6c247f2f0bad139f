//! The node sets' behaviour through their public face, parse and fold together: most
//! properties are round trips; agreement with ClusterShell itself is the integration
//! test `nodeset_cli`'s.

use super::*;

fn hosts(expr: &str) -> Vec<String> {
    NodeSet::parse(expr)
        .unwrap_or_else(|e| panic!("{expr:?}: {e}"))
        .into_iter()
        .collect()
}

fn names(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_string).collect()
}

fn error(expr: &str) -> NodeSetError {
    match NodeSet::parse(expr) {
        Ok(set) => panic!("{expr:?} parsed as {set:?}"),
        Err(e) => e,
    }
}

/// A small deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[test]
fn plain_names_pass_through() {
    assert_eq!(hosts("frontend.site"), names("frontend.site"));
    assert_eq!(hosts("user@host:22"), names("user@host:22"));
    assert_eq!(
        hosts("a, user@b.site:2222 ,c"),
        names("a user@b.site:2222 c")
    );
    assert_eq!(hosts("node-7"), names("node-7"));
}

#[test]
fn empty_input_is_the_empty_set() {
    assert!(NodeSet::parse("").unwrap().is_empty());
    assert!(NodeSet::parse("  \t ").unwrap().is_empty());
    assert_eq!(NodeSet::new().fold(), "");
}

#[test]
fn ranges_and_padding() {
    assert_eq!(hosts("node-[1-3]"), names("node-1 node-2 node-3"));
    assert_eq!(hosts("n[8-10]"), names("n8 n9 n10"));
    assert_eq!(hosts("n[008-010]"), names("n008 n009 n010"));
    assert_eq!(
        hosts("h[01-10].site"),
        names(
            "h01.site h02.site h03.site h04.site h05.site h06.site h07.site h08.site h09.site h10.site"
        )
    );
    assert_eq!(hosts("h[98-101]"), names("h98 h99 h100 h101"));
    assert_eq!(hosts("h[098-101]"), names("h098 h099 h100 h101"));
    assert_eq!(hosts("h[1-10]"), names("h1 h2 h3 h4 h5 h6 h7 h8 h9 h10"));
    assert_eq!(hosts("h[0-2]"), names("h0 h1 h2"));
    assert_eq!(hosts("h[00-02]"), names("h00 h01 h02"));
    assert_eq!(hosts("h[3,1,2]"), names("h1 h2 h3"), "a group is a set");
    assert_eq!(hosts("h[1-2,5,7-8]"), names("h1 h2 h5 h7 h8"));
    assert_eq!(hosts("[1-3]"), names("1 2 3"));
    assert_eq!(hosts("h[ 1-2 , 4 ]"), names("h1 h2 h4"));
}

#[test]
fn steps() {
    assert_eq!(hosts("n[1-10/2]"), names("n1 n3 n5 n7 n9"));
    assert_eq!(hosts("n[1-9/4]"), names("n1 n5 n9"));
    assert_eq!(hosts("n[01-10/3]"), names("n01 n04 n07 n10"));
    assert_eq!(hosts("n[5-5/7]"), names("n5"));
    let top = u64::MAX;
    assert_eq!(
        hosts(&format!("n[{}-{top}/5]", top - 10)),
        names(&format!("n{} n{} n{}", top - 10, top - 5, top))
    );
}

#[test]
fn cartesian_product_in_order() {
    assert_eq!(
        hosts("rack[1-2]-node[01-03]"),
        names("rack1-node01 rack1-node02 rack1-node03 rack2-node01 rack2-node02 rack2-node03")
    );
    assert_eq!(hosts("[1-2]x[7-8]"), names("1x7 1x8 2x7 2x8"));
}

#[test]
fn several_patterns_and_whitespace() {
    assert_eq!(hosts("a[1-3],b[1-2]"), names("a1 a2 a3 b1 b2"));
    assert_eq!(hosts(" a[1-2] ,\tb , c[1,3] "), names("a1 a2 b c1 c3"));
    assert_eq!(hosts("x[1-2]y[3-4]z"), names("x1y3z x1y4z x2y3z x2y4z"));
}

#[test]
fn duplicates_removed_order_kept() {
    assert_eq!(hosts("a[1-3],a[2-4]"), names("a1 a2 a3 a4"));
    assert_eq!(hosts("b,a,b,a[1-2],a1"), names("b a a1 a2"));
}

#[test]
fn operators_left_to_right() {
    assert_eq!(
        hosts("node-[1-10]!node-5"),
        names("node-1 node-2 node-3 node-4 node-6 node-7 node-8 node-9 node-10")
    );
    assert_eq!(hosts("n[1-5] ! n[2-4]"), names("n1 n5"));
    // Left to right: a host removed then added again comes back at the end.
    assert_eq!(hosts("n[1-3]!n2,n2"), names("n1 n3 n2"));
    assert_eq!(hosts("n1!n1"), Vec::<String>::new());
    assert_eq!(hosts("n[1-5]&n[3-9]"), names("n3 n4 n5"));
    assert_eq!(hosts("n[1-5]^n[3-7]"), names("n1 n2 n6 n7"));
    assert_eq!(
        hosts("n[1-3]^n[1,1]"),
        names("n2 n3"),
        "an operand is a set"
    );
    assert_eq!(hosts("a,b&b,c"), names("b c"), "no precedence");
}

#[test]
fn digits_next_to_a_group_belong_to_it() {
    assert_eq!(hosts("a2[1-3]"), names("a21 a22 a23"));
    assert_eq!(hosts("a[1-3]2"), names("a12 a22 a32"));
    assert_eq!(hosts("a0[1-3]"), names("a01 a02 a03"));
    assert_eq!(hosts("a1[1-3,5]0b"), names("a110b a120b a130b a150b"));
    assert_eq!(
        hosts("a[1-2]5b6[3-4]"),
        names("a15b63 a15b64 a25b63 a25b64")
    );
    assert_eq!(NodeSet::parse("a2[1-3]").unwrap().fold(), "a[21-23]");
}

#[test]
fn set_operations() {
    let a = NodeSet::parse("n[1-5]").unwrap();
    let b = NodeSet::parse("n[4-8],x").unwrap();
    assert_eq!(a.union(&b).fold(), "n[1-8],x");
    assert_eq!(
        b.union(&a).iter().collect::<Vec<_>>()[..3],
        ["n4", "n5", "n6"]
    );
    assert_eq!(a.difference(&b).fold(), "n[1-3]");
    assert_eq!(b.difference(&a).fold(), "n[6-8],x");
    assert_eq!(a.intersection(&b).fold(), "n[4-5]");
    assert!(a.contains("n3"));
    assert!(!a.contains("n6"));
    assert!(!a.contains("n"));
    assert_eq!(a.len(), 5);
    assert!(!a.is_empty());
}

#[test]
fn traits() {
    let set: NodeSet = "n[1-3]".parse().unwrap();
    let same: NodeSet = ["n3", "n1", "n2", "n1", ""].into_iter().collect();
    assert_eq!(set, same, "equality ignores order");
    assert_eq!(same.len(), 3, "duplicates and empty names dropped");
    assert_ne!(set, NodeSet::parse("n[1-4]").unwrap());
    assert_ne!(set, NodeSet::parse("n[1-2],m").unwrap());
    let strings: NodeSet = vec!["a".to_string(), "b".to_string()].into_iter().collect();
    assert_eq!(strings.fold(), "a,b");
    let cloned = set.clone();
    assert_eq!(cloned, set);
    assert_eq!(format!("{set:?}"), r#"NodeSet("n[1-3]")"#);
    assert_eq!(format!("{set}"), "n[1-3]");
    let borrowed: Vec<&str> = (&set).into_iter().collect();
    assert_eq!(borrowed, ["n1", "n2", "n3"]);
    assert_eq!(set.iter().next_back(), Some("n3"));
    assert_eq!(set.iter().len(), 3);
    let owned: Vec<String> = set.into_iter().collect();
    assert_eq!(owned, names("n1 n2 n3"));
    let mut grown = NodeSet::new();
    assert!(grown.insert("x"));
    assert!(!grown.insert("x"));
    assert!(!grown.insert(""));
    grown.extend(names("y x z"));
    assert_eq!(grown.fold(), "x,y,z");
}

fn fold_of(list: &str) -> String {
    names(list).into_iter().collect::<NodeSet>().fold()
}

#[test]
fn folding() {
    assert_eq!(
        fold_of("node-1 node-2 node-3 node-5 other"),
        "node-[1-3,5],other"
    );
    assert_eq!(fold_of("h01 h02 h03"), "h[01-03]");
    assert_eq!(fold_of("node-7"), "node-7");
    assert_eq!(fold_of("alpha beta"), "alpha,beta");
    assert_eq!(fold_of("n3 n1 n2"), "n[1-3]");
    assert_eq!(fold_of("n1 m1 n2 m3"), "m[1,3],n[1-2]");
    assert_eq!(fold_of("a1.site a2.site b1.site"), "a[1-2].site,b1.site");
    assert_eq!(fold_of("h8 h9 h10 h11"), "h[8-11]");
    assert_eq!(fold_of("h08 h09 h10 h11"), "h[08-11]");
    assert_eq!(fold_of("h01 h1 h2"), "h[1-2,01]");
    assert_eq!(fold_of("h10 h01"), "h[01,10]");
    assert_eq!(fold_of("h099 h100 h0100"), "h[099-100,0100]");
    assert_eq!(fold_of("h1 h01 h001 h9 h10 h11 h09"), "h[1,9,01,09-11,001]");
    assert_eq!(
        fold_of("rack1-node1 rack1-node2 rack2-node1"),
        "rack1-node[1-2],rack2-node1"
    );
    // Every run of digits is a dimension.
    assert_eq!(
        NodeSet::parse("taurus-[1-12].lyon.grid5000.fr")
            .unwrap()
            .fold(),
        "taurus-[1-12].lyon.grid5000.fr"
    );
    assert_eq!(fold_of("a0b2 a0b3 a1b2 a1b3"), "a[0-1]b[2-3]");
    assert_eq!(fold_of("x1y1 x1y2 x2y1 x2y2 x3y1"), "x[1-2]y[1-2],x3y1");
    assert_eq!(
        NodeSet::parse("a[1-2]b[1-3],a[2-3]b[2-4]").unwrap().fold(),
        "a2b[1-4],a1b[1-3],a3b[2-4]"
    );
    assert_eq!(
        NodeSet::parse("da[2-3]c[1-2],da[2,5]c[2-3]")
            .unwrap()
            .sorted(),
        names("da2c1 da2c2 da2c3 da3c1 da3c2 da5c2 da5c3")
    );
    assert_eq!(fold_of("n0 n1 n3"), "n[0-1,3]");
    assert_eq!(fold_of("user@h1:22 user@h2:22"), "user@h[1-2]:22");
    assert_eq!(fold_of("user@h1 user@h2"), "user@h[1-2]");
    let top = u64::MAX;
    assert_eq!(
        fold_of(&format!("n{} n{top}", top - 1)),
        format!("n[{}-{top}]", top - 1)
    );
    // A run of digits too large for u64 stays as it is.
    assert_eq!(
        fold_of("n99999999999999999999999"),
        "n99999999999999999999999"
    );
}

#[test]
fn fold_parse_round_trips_examples() {
    for expr in [
        "node-[1-3,5],other",
        "h[001-100]",
        "h[001-009],h[01-20]",
        "h[1-3],h[01-03],h[001-003]",
        "rack[1-2]-node[01-10]",
        "a[1-10/3],b[0-0],c",
        "x[0-3]y[0-3]",
    ] {
        let set = NodeSet::parse(expr).unwrap();
        let folded = set.fold();
        assert_eq!(NodeSet::parse(&folded).unwrap(), set, "{expr} -> {folded}");
    }
}

#[test]
fn fold_parse_round_trips_generated_sets() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let prefixes = ["", "n", "node-", "rack1-node", "h.", "user@host", "a0b"];
    let suffixes = ["", ".site", "-ib", "x", ":22"];
    for round in 0..500 {
        let mut set = NodeSet::new();
        for _ in 0..rng.below(60) {
            let prefix = rng.pick(&prefixes);
            let suffix = rng.pick(&suffixes);
            let name = match rng.below(10) {
                0 => format!("{prefix}{suffix}"),
                1 => format!("{prefix}{}{suffix}", rng.next()),
                _ => {
                    let width = *rng.pick(&[0, 0, 2, 3, 4]);
                    let max = *rng.pick(&[10, 120, 1200]);
                    let n = rng.below(max);
                    format!("{prefix}{n:0width$}{suffix}")
                }
            };
            if name.starts_with('-') {
                continue; // not a host name (ssh would read it as an option)
            }
            set.insert(name);
        }
        let folded = set.fold();
        let back =
            NodeSet::parse(&folded).unwrap_or_else(|e| panic!("round {round}: {folded:?}: {e}"));
        assert_eq!(back, set, "round {round}: {folded}");
        assert_eq!(back.fold(), folded, "folding is stable");
    }
}

#[test]
fn large_set_expands_and_folds() {
    let set = NodeSet::parse("node-[1-100000]").unwrap();
    assert_eq!(set.len(), 100_000);
    assert_eq!(set.iter().next(), Some("node-1"));
    assert_eq!(set.iter().next_back(), Some("node-100000"));
    assert_eq!(set.fold(), "node-[1-100000]");
}

#[test]
fn limit_on_expansion() {
    let e = error("node-[1-999999999]");
    assert_eq!(
        e.kind(),
        &NodeSetErrorKind::TooManyHosts { limit: MAX_HOSTS }
    );
    assert_eq!(e.position(), 5);
    let e = error("a[1-1000][1-1001]");
    assert_eq!(e.position(), 9, "the group that passes the limit");
    let e = error("a[1-600000],b[1-600000]");
    assert_eq!(e.position(), 13);
    let e = error(&format!("a[0-{}]", u64::MAX));
    assert!(matches!(e.kind(), NodeSetErrorKind::TooManyHosts { .. }));
    let e = error("a[1-1000000],b");
    assert_eq!(e.position(), 13, "no budget left for the last name");
    let e = error(&format!("a[0-{m}]x[0-{m}]y[0-{m}]z[0-{m}]", m = u64::MAX));
    assert_eq!(e.position(), 1);
    let e = error("a[1-600000]!a[1-600000]");
    assert_eq!(e.position(), 13, "removed names count too");
}

#[test]
fn errors_with_positions() {
    use NodeSetErrorKind as K;
    let cases: Vec<(&str, NodeSetErrorKind, usize)> = vec![
        ("node[1-3", K::UnclosedBracket, 4),
        ("a,node[1-3", K::UnclosedBracket, 6),
        ("node]", K::UnmatchedBracket, 4),
        ("node[1]]", K::UnmatchedBracket, 7),
        ("a[1-2,b[3]", K::NestedBracket { open: 1 }, 7),
        ("a[[1]]", K::NestedBracket { open: 1 }, 2),
        ("node[]", K::EmptyBrackets, 4),
        ("node[ ]", K::EmptyBrackets, 4),
        ("a,,b", K::MissingOperand { op: ',' }, 2),
        (",a", K::MissingOperand { op: ',' }, 0),
        ("a,", K::MissingOperand { op: ',' }, 1),
        ("a, ,b", K::MissingOperand { op: ',' }, 3),
        ("a!", K::MissingOperand { op: '!' }, 1),
        ("!a", K::MissingOperand { op: '!' }, 0),
        ("a&&b", K::MissingOperand { op: '&' }, 2),
        ("a^", K::MissingOperand { op: '^' }, 1),
        ("a[1-2][3]", K::ReopenedBracket, 6),
        ("a[1-2]0[3]", K::ReopenedBracket, 7),
        (
            "a[01-3]",
            K::PaddingMismatch {
                range: "01-3".into(),
            },
            2,
        ),
        (
            "a[1-010]",
            K::PaddingMismatch {
                range: "1-010".into(),
            },
            2,
        ),
        ("a[1-9/2]0", K::StepWithTrailingDigits, 1),
        (
            "n[-5-5]",
            K::NegativeIndex {
                range: "-5-5".into(),
            },
            2,
        ),
        ("n[1,,2]", K::EmptyRangeItem, 4),
        ("n[1,]", K::EmptyRangeItem, 4),
        ("n[,1]", K::EmptyRangeItem, 2),
        (
            "n[1-]",
            K::MissingBound {
                range: "1-".into(),
                bound: "upper",
            },
            2,
        ),
        ("n[-3]", K::NegativeIndex { range: "-3".into() }, 2),
        (
            "node-[5-1]",
            K::ReversedRange {
                range: "5-1".into(),
                low: 5,
                high: 1,
            },
            6,
        ),
        ("n[a-c]", K::NotANumber { text: "a".into() }, 2),
        ("n[1-3a]", K::NotANumber { text: "3a".into() }, 2),
        (
            "n[1-2-3]",
            K::NegativeIndex {
                range: "1-2-3".into(),
            },
            2,
        ),
        ("n[1-3/x]", K::NotANumber { text: "x".into() }, 2),
        ("n[1-3/2/2]", K::NotANumber { text: "2/2".into() }, 2),
        ("n[é]", K::NotANumber { text: "é".into() }, 2),
        (
            "n[1-99999999999999999999]",
            K::NumberTooLarge {
                text: "99999999999999999999".into(),
            },
            2,
        ),
        ("n[5/2]", K::StepWithoutRange, 2),
        ("n[1-9/]", K::MissingStep, 2),
        ("n[1-9/0]", K::ZeroStep, 2),
        ("node 1", K::UnexpectedWhitespace, 4),
        ("n[1 2]", K::UnexpectedWhitespace, 2),
        ("a,b c", K::UnexpectedWhitespace, 3),
        ("-oProxyCommand=x", K::OptionLike { what: "host name" }, 0),
        ("a, -h[1-2]", K::OptionLike { what: "host name" }, 3),
        ("a!-h", K::OptionLike { what: "host name" }, 2),
        ("-u@h", K::OptionLike { what: "user name" }, 0),
        ("u@-oProxyCommand=x", K::OptionLike { what: "host name" }, 2),
        ("a@b@-c", K::OptionLike { what: "host name" }, 4),
        ("n\u{1b}1", K::ControlCharacter, 1),
    ];
    let mut wrong = Vec::new();
    for (expr, kind, position) in cases {
        let e = error(expr);
        if (e.kind(), e.position()) != (&kind, position) {
            wrong.push(format!("{expr:?}: {:?} at {}", e.kind(), e.position()));
        }
        assert_eq!(e.input(), expr);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_dash_inside_a_name_is_fine() {
    assert_eq!(
        hosts("node-[1-2],u-1@h-1,u@h-"),
        names("node-1 node-2 u-1@h-1 u@h-")
    );
}

#[test]
fn error_display_has_message_and_caret() {
    assert_eq!(
        error("node-[5-1]").to_string(),
        "reversed range `5-1`: 5 is greater than 1 at byte 6\n  node-[5-1]\n        ^"
    );
    assert_eq!(
        error("a,").to_string(),
        "missing node set on one side of `,` at byte 1\n  a,\n   ^"
    );
    // Control characters are shown as `?`, columns count characters.
    assert_eq!(
        error("é\tn[x]").to_string(),
        "unexpected whitespace (allowed only around commas) at byte 2\n  é?n[x]\n   ^"
    );
    // A long input is cut around the position.
    let long = format!("{},n[1-]", "a".repeat(200));
    let shown = error(&long).to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("  …aaa") && lines[1].ends_with("n[1-]"),
        "{shown}"
    );
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[1].chars().nth(caret), Some('1'), "{shown}");
    let long = format!("n[x],{}", "b".repeat(200));
    let shown = error(&long).to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[1].starts_with("  n[x],bbb") && lines[1].ends_with('…'),
        "{shown}"
    );
    assert_eq!(lines[2], "    ^");
}

#[test]
fn malformed_inputs_never_panic() {
    let malformed = [
        "[",
        "]",
        "[]",
        "][",
        "[[",
        "]]",
        "[-]",
        "[,]",
        "[/]",
        "[1-/]",
        "[-/1]",
        "!",
        "!!",
        "!,",
        ",",
        ",,",
        "!]",
        "![",
        "a[1-2]]",
        "a[1-2][",
        "[1-2",
        "1-2]",
        "[0-0/0]",
        "[00-]",
        "[-00]",
        "[999999999999999999999999-1]",
        "[1--2]",
        "[1-2//3]",
        "[ - ]",
        "[\u{0}]",
        "a\u{0}b",
        "[1-2]\u{301}",
        "é[1-2]ü",
        "[1-2],![",
        "!a[",
        "a[1]b[2]c[3]",
        "a[1-3/99999999999999999999]",
        "[18446744073709551615]",
        "[18446744073709551615-18446744073709551615/1]",
        "[18446744073709551616]",
        "\u{a0}a\u{a0}",
        "a\u{2028}b",
        "[１-２]",
    ];
    for expr in malformed {
        if let Ok(set) = NodeSet::parse(expr) {
            // Whatever parses must fold and parse back to itself.
            let folded = set.fold();
            assert_eq!(NodeSet::parse(&folded).as_ref(), Ok(&set), "{expr:?}");
        } else {
            let _ = error(expr).to_string();
        }
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let alphabet: Vec<char> = "[]-,!/0123456789 ab.@:é\t".chars().collect();
    let (mut parsed, mut failed) = (0, 0);
    for round in 0..20_000 {
        let len = rng.below(24) as usize;
        let input: String = if round % 3 == 0 {
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..len).map(|_| *rng.pick(&alphabet)).collect()
        };
        match NodeSet::parse(&input) {
            Ok(set) => {
                parsed += 1;
                assert!(set.len() <= MAX_HOSTS);
                if set.len() <= 10_000 {
                    let folded = set.fold();
                    let back = NodeSet::parse(&folded);
                    assert_eq!(back.as_ref(), Ok(&set), "{input:?} -> {folded:?}");
                }
            }
            Err(e) => {
                failed += 1;
                assert!(e.position() <= input.len(), "{input:?}: {e}");
                assert!(input.is_char_boundary(e.position()), "{input:?}: {e}");
                assert!(e.to_string().contains('^'));
            }
        }
    }
    assert!(
        parsed > 1000 && failed > 1000,
        "{parsed} parsed, {failed} failed"
    );
}
