//! Templates read at compile time, with the runtime's rules
//! (`execo_runtime::substitution`): `<<` directly followed by a name and `>>` is a
//! substitution, `\<<` is a literal `<<`, anything else is text. Reading them the same
//! way is what lets the macros hand the template to the runtime unchanged, and lets a
//! template move between a macro and a file without changing meaning.
//!
//! On top of the runtime's checks, the macros refuse what can only be a mistake in a
//! literal: `<<name` at the end, `<<name>` closed by a single `>`, and names that are not
//! Rust variables or field paths. For shell commands they also find, for each
//! substitution, the quotes it sits in, so that a value cannot leave them.

use std::ops::Range;

/// Where a value lands in a shell command (mirrors the runtime's `Quoting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Quoting {
    Raw,
    Single,
    Double,
}

/// One part of a field path: `x`, `field`, or a tuple index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Ident(String),
    Index(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `<<host>>` or `<<index>>`: the runtime fills them in.
    Reserved,
    /// A Rust variable or field path in the caller's scope.
    Path(Vec<Segment>),
}

/// A `<<name>>` found in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sub {
    /// The whole `<<name>>`, in bytes of the template's value.
    pub range: Range<usize>,
    pub name: String,
    pub kind: Kind,
    pub quoting: Quoting,
}

/// A mistake: the fragment's range and a message that quotes it and says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub range: Range<usize>,
    pub message: String,
}

/// A scanned template: its substitutions, and every problem found (not just the first).
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub subs: Vec<Sub>,
    pub problems: Vec<Problem>,
}

const ESCAPE_HINT: &str = r"or write `\<<` for a literal `<<`";

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Scans `text`; `shell` says whether it is a shell command (quotes matter) or a path.
pub(crate) fn scan(text: &str, shell: bool) -> Scanned {
    let bytes = text.as_bytes();
    let mut out = Scanned::default();
    // The text as the shell will read it, substitutions left opaque: the quote lexer's input.
    let mut items: Vec<Item> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(br"\<<") {
            items.extend([Item::Char('<'), Item::Char('<')]);
            i += 3;
            continue;
        }
        if bytes[i..].starts_with(b"<<") {
            let start = i + 2;
            let name_len = bytes[start..]
                .iter()
                .take_while(|&&b| is_name_byte(b))
                .count();
            let after = start + name_len;
            let starts_like_name = name_len > 0 && !bytes[start].is_ascii_digit();
            if starts_like_name && bytes[after..].starts_with(b">>") {
                let name = &text[start..after];
                let range = i..after + 2;
                let kind = match name {
                    "host" | "index" => Some(Kind::Reserved),
                    _ => match path(name) {
                        Ok(segments) => Some(Kind::Path(segments)),
                        Err(why) => {
                            out.problems.push(Problem {
                                range: range.clone(),
                                message: format!(
                                    "`<<{name}>>`: {why}; bind the value to a variable with \
                                     `let` first, {ESCAPE_HINT}"
                                ),
                            });
                            None
                        }
                    },
                };
                if let Some(kind) = kind {
                    items.push(Item::Sub(out.subs.len()));
                    out.subs.push(Sub {
                        range,
                        name: name.to_string(),
                        kind,
                        quoting: Quoting::Raw,
                    });
                }
                i = after + 2;
                continue;
            }
            if bytes[i..].starts_with(b"<<>>") {
                out.problems.push(Problem {
                    range: i..i + 4,
                    message: format!(
                        "empty substitution `<<>>`: put a variable between `<<` and `>>` \
                         (`<<targets>>`), {ESCAPE_HINT}"
                    ),
                });
                i += 4;
                continue;
            }
            // What the runtime would pass through as text but that, in a literal, can
            // only be a substitution left open.
            let single_gt = bytes[after..].starts_with(b">");
            if starts_like_name && (after == bytes.len() || single_gt) {
                let end = after + usize::from(single_gt);
                let name = &text[start..after];
                out.problems.push(Problem {
                    range: i..end,
                    message: format!(
                        "unclosed `{}`: close it with `>>` (`<<{name}>>`), {ESCAPE_HINT}",
                        &text[i..end]
                    ),
                });
                for c in text[i..end].chars() {
                    items.push(Item::Char(c));
                }
                i = end;
                continue;
            }
            if start == bytes.len() {
                out.problems.push(Problem {
                    range: i..start,
                    message: format!(
                        "unclosed `<<` at the end: name a variable and close it with `>>` \
                         (`<<targets>>`), {ESCAPE_HINT}"
                    ),
                });
            }
        }
        let c = text[i..].chars().next().unwrap_or_default();
        items.push(Item::Char(c));
        i += c.len_utf8().max(1);
    }
    if shell {
        for (sub, quoting) in shell_quoting(&items) {
            out.subs[sub].quoting = quoting;
        }
    }
    out
}

/// Checks that `name` is a Rust variable or field path: `x`, `x.field`, `self.x`, `t.0`.
fn path(name: &str) -> Result<Vec<Segment>, String> {
    let bad = || format!("`{name}` is not a Rust variable or field path (`x`, `x.field`, `x.0`)");
    let mut segments = Vec::new();
    for (k, seg) in name.split('.').enumerate() {
        if seg.is_empty() {
            return Err(bad());
        }
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            let index = seg.parse::<u32>().ok().filter(|_| k > 0);
            match index {
                Some(n) if seg == n.to_string() => segments.push(Segment::Index(n)),
                _ => return Err(bad()),
            }
            continue;
        }
        if syn::parse_str::<syn::Ident>(seg).is_ok() || (k == 0 && seg == "self") {
            segments.push(Segment::Ident(seg.to_string()));
        } else if seg == "_" {
            return Err(bad());
        } else {
            return Err(format!("`{seg}` is a Rust keyword, not a variable"));
        }
    }
    Ok(segments)
}

/// The template as the shell sees it: characters, and substitutions by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Char(char),
    Sub(usize),
}

/// Finds which quotes each substitution sits in, reading `items` as a POSIX shell does:
/// `\` escapes, `'...'`, `"..."` (with `\` escapes), `#` comments, and heredoc bodies
/// (`<<WORD`, `<<-WORD`, `<<'WORD'`), whose quotes are not quotes. Substitutions outside
/// quotes, in comments and in heredoc bodies are `Raw`.
///
/// It does not follow nesting (`"$(echo '...')"` counts as double quotes) nor
/// arithmetic (`$((1<<n))` reads as a heredoc): the crate docs say so.
fn shell_quoting(items: &[Item]) -> Vec<(usize, Quoting)> {
    #[derive(PartialEq)]
    enum State {
        Normal,
        Single,
        Double,
    }
    let ch = |k: usize| match items.get(k) {
        Some(Item::Char(c)) => Some(*c),
        _ => None,
    };
    let mut found = Vec::new();
    let mut state = State::Normal;
    let mut word_start = true;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut k = 0;
    while k < items.len() {
        let c = match items[k] {
            Item::Sub(s) => {
                match state {
                    State::Single => found.push((s, Quoting::Single)),
                    State::Double => found.push((s, Quoting::Double)),
                    State::Normal => word_start = false,
                }
                k += 1;
                continue;
            }
            Item::Char(c) => c,
        };
        match state {
            State::Single => {
                if c == '\'' {
                    state = State::Normal;
                }
            }
            State::Double => match c {
                '\\' => k += 1,
                '"' => state = State::Normal,
                _ => {}
            },
            State::Normal => {
                let starts_word = matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')');
                match c {
                    '\\' => k += 1,
                    '\'' => state = State::Single,
                    '"' => state = State::Double,
                    '#' if word_start => {
                        while k + 1 < items.len() && ch(k + 1) != Some('\n') {
                            k += 1;
                        }
                    }
                    '<' if ch(k + 1) == Some('<') && ch(k + 2) == Some('<') => k += 2,
                    '<' if ch(k + 1) == Some('<') => {
                        k += 2;
                        let strip_tabs = ch(k) == Some('-');
                        if strip_tabs {
                            k += 1;
                        }
                        while matches!(ch(k), Some(' ' | '\t')) {
                            k += 1;
                        }
                        let (word, next) = heredoc_word(items, k);
                        if !word.is_empty() {
                            heredocs.push((word, strip_tabs));
                        }
                        word_start = false;
                        k = next;
                        continue;
                    }
                    '\n' if !heredocs.is_empty() => {
                        k = skip_heredoc_bodies(items, k + 1, &std::mem::take(&mut heredocs));
                        word_start = true;
                        continue;
                    }
                    _ => {}
                }
                word_start = starts_word;
            }
        }
        k += 1;
    }
    found
}

/// A heredoc's delimiter from `k` on, its quotes removed, and where it ends.
fn heredoc_word(items: &[Item], mut k: usize) -> (String, usize) {
    let mut word = String::new();
    let mut quote = None;
    while let Some(Item::Char(c)) = items.get(k).copied() {
        match (quote, c) {
            (None, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => break,
            (None, '\'' | '"') => quote = Some(c),
            (None, '\\') => {
                if let Some(Item::Char(e)) = items.get(k + 1).copied() {
                    word.push(e);
                    k += 1;
                }
            }
            (Some(q), c) if c == q => quote = None,
            (_, c) => word.push(c),
        }
        k += 1;
    }
    (word, k)
}

/// Skips the bodies of `heredocs` starting at `k` (a line start); returns where the
/// shell reads commands again.
fn skip_heredoc_bodies(items: &[Item], mut k: usize, heredocs: &[(String, bool)]) -> usize {
    for (word, strip_tabs) in heredocs {
        while k < items.len() {
            let end = (k..items.len())
                .find(|&e| items[e] == Item::Char('\n'))
                .unwrap_or(items.len());
            let mut line = String::new();
            let mut has_sub = false;
            for item in &items[k..end] {
                match item {
                    Item::Char(c) => line.push(*c),
                    Item::Sub(_) => has_sub = true,
                }
            }
            let line = if *strip_tabs {
                line.trim_start_matches('\t')
            } else {
                &line
            };
            k = end + 1;
            if !has_sub && line == word {
                break;
            }
        }
    }
    k.min(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Scanned) -> Vec<(&str, Quoting)> {
        s.subs
            .iter()
            .map(|s| (s.name.as_str(), s.quoting))
            .collect()
    }

    #[test]
    fn finds_substitutions_with_the_runtime_rules() {
        let s = scan("iperf -c <<targets>> -P <<p.n>> #<<index>> <<t.0>>", true);
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
        assert_eq!(s.subs[0].range, 9..20);
        assert_eq!(
            s.subs[1].kind,
            Kind::Path(vec![Segment::Ident("p".into()), Segment::Ident("n".into())])
        );
        assert_eq!(s.subs[2].kind, Kind::Reserved);
        assert_eq!(
            s.subs[3].kind,
            Kind::Path(vec![Segment::Ident("t".into()), Segment::Index(0)])
        );
    }

    #[test]
    fn shell_syntax_is_text() {
        for t in [
            "cat <<EOF > f\nx\nEOF\necho a >> log; cat <<< \"$v\"; cat << 'E'\nE",
            r"cat \<<EOF>>log",
            "a <<1>> b",
            "echo $((1 << 3))",
            "<<<<x>>",
        ] {
            let s = scan(t, true);
            assert!(s.problems.is_empty(), "{t}: {:?}", s.problems);
        }
        assert!(scan("a <<1>> b", true).subs.is_empty());
        assert!(scan(r"cat \<<EOF>>log", true).subs.is_empty());
        assert_eq!(names(&scan("<<<<x>>>>", true)), [("x", Quoting::Raw)]);
    }

    #[test]
    fn problems_quote_the_fragment_and_hint() {
        let s = scan("a <<>> b <<targets> c <<x..y>> <<type>> <<n", true);
        let got: Vec<(&Range<usize>, &str)> = s
            .problems
            .iter()
            .map(|p| (&p.range, p.message.as_str()))
            .collect();
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(*got[0].0, 2..6);
        assert!(got[0].1.starts_with("empty substitution `<<>>`"));
        assert_eq!(*got[1].0, 9..19);
        assert!(
            got[1]
                .1
                .starts_with("unclosed `<<targets>`: close it with `>>` (`<<targets>>`)")
        );
        assert!(
            got[2]
                .1
                .contains("`x..y` is not a Rust variable or field path")
        );
        assert!(got[3].1.contains("`type` is a Rust keyword"));
        assert_eq!(*got[4].0, 40..43);
        assert!(got[4].1.starts_with("unclosed `<<n`"));
        assert!(
            got.iter()
                .all(|(_, m)| m.contains(r"write `\<<` for a literal `<<`"))
        );
        assert!(
            scan("cat <<", true).problems[0]
                .message
                .starts_with("unclosed `<<` at the end")
        );
        for bad in ["<<_>>", "<<a.>>", "<<.a>>", "<<a.01>>", "<<a.b.self>>"] {
            assert_eq!(scan(bad, true).problems.len(), 1, "{bad}");
        }
        assert!(scan("<<self.x>>", true).problems.is_empty());
    }

    #[test]
    fn quotes_in_the_template_are_read_as_the_shell_reads_them() {
        let s = scan(
            r#"echo '<<a>>' "<<b>>" <<c>> 'x <<d>> y' "$HOME/<<e>>" \'<<f>> '\'<<g>> # it's <<h>>"#,
            true,
        );
        let want = [
            ("a", Quoting::Single),
            ("b", Quoting::Double),
            ("c", Quoting::Raw),
            ("d", Quoting::Single),
            ("e", Quoting::Double),
            ("f", Quoting::Raw),
            ("g", Quoting::Raw),
            ("h", Quoting::Raw),
        ];
        assert_eq!(names(&s), want);
        let heredoc = scan(
            "cat <<'EOF' > f; echo '<<a>>'\nit's <<b>>\n\"<<c>>\nEOF\necho \"<<d>>\"",
            true,
        );
        assert_eq!(
            names(&heredoc),
            [
                ("a", Quoting::Single),
                ("b", Quoting::Raw),
                ("c", Quoting::Raw),
                ("d", Quoting::Double)
            ]
        );
        let tabs = scan("cat <<-E\n\t'<<a>>\n\tE\n'<<b>>'", true);
        assert_eq!(names(&tabs), [("a", Quoting::Raw), ("b", Quoting::Single)]);
        let escaped = scan("cat \\<<E>>log\n'<<a>>\nE\n'<<b>>'", true);
        assert_eq!(
            names(&escaped),
            [("a", Quoting::Raw), ("b", Quoting::Single)]
        );
        assert_eq!(names(&scan("'<<a>>'", false)), [("a", Quoting::Raw)]);
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
            "<<99999999999.x>>",
        ] {
            let _ = scan(s, true);
            let _ = scan(s, false);
        }
    }
}
