//! Templates read at compile time by the runtime's own reader (`execo_template`), so
//! that a template means the same in a macro and at run time, plus what only Rust source
//! can check: every name is a variable or field path of the caller.
//!
//! On top of the runtime's checks, the macros refuse what can only be a mistake in a
//! literal: `<<name` at the end, `<<name>` closed by a single `>`, names that are not
//! Rust variables or field paths, and field paths on a reserved name (`<<host.x>>`),
//! which cannot mean the caller's variable.

use std::ops::Range;

use execo_template::{ESCAPE_HINT, Mode};

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
}

/// A mistake: the fragment's range and a message that quotes it and says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub range: Range<usize>,
    pub message: String,
}

/// A scanned template: the template as read (what the generated code hands the runtime),
/// its substitutions, and every problem found (not just the first).
#[derive(Debug)]
pub(crate) struct Scanned {
    pub template: execo_template::Template,
    pub subs: Vec<Sub>,
    pub problems: Vec<Problem>,
}

/// Scans `text`; `shell` says whether it is a shell command (quotes matter) or a path.
pub(crate) fn scan(text: &str, shell: bool) -> Scanned {
    let mode = if shell { Mode::Shell } else { Mode::Path };
    let read = execo_template::scan(text, mode);
    let mut out = Scanned {
        template: read.template.clone(),
        subs: Vec::new(),
        problems: read
            .problems
            .into_iter()
            .map(|p| Problem {
                range: p.range,
                message: p.message,
            })
            .collect(),
    };
    for sub in read.template.subs() {
        let name = &*sub.name;
        let root = name.split('.').next().unwrap_or_default();
        let kind = match name {
            "host" | "index" => Ok(Kind::Reserved),
            _ if root == "host" || root == "index" => Err(format!(
                "`<<{name}>>`: `{root}` is reserved for the {}; rename your variable \
                 (`let h = &{root};` then `<<h{}>>`)",
                if root == "host" {
                    "host's address"
                } else {
                    "host's position"
                },
                &name[root.len()..]
            )),
            _ => path(name).map(Kind::Path).map_err(|why| {
                format!(
                    "`<<{name}>>`: {why}; bind the value to a variable with `let` first, \
                     {ESCAPE_HINT}"
                )
            }),
        };
        match kind {
            Ok(kind) => out.subs.push(Sub {
                range: sub.range.clone(),
                name: name.to_string(),
                kind,
            }),
            Err(message) => out.problems.push(Problem {
                range: sub.range.clone(),
                message,
            }),
        }
    }
    out.problems.sort_by_key(|p| p.range.start);
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

#[cfg(test)]
mod tests {
    //! The reader itself is tested in `execo_template`; here, what the macros add.
    use super::*;

    #[test]
    fn names_are_rust_variables_or_field_paths() {
        let s = scan("iperf -c <<targets>> -P <<p.n>> <<index>> <<t.0>>", true);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(
            s.subs[1].kind,
            Kind::Path(vec![Segment::Ident("p".into()), Segment::Ident("n".into())])
        );
        assert_eq!(s.subs[2].kind, Kind::Reserved);
        assert_eq!(
            s.subs[3].kind,
            Kind::Path(vec![Segment::Ident("t".into()), Segment::Index(0)])
        );
        let bad = scan("x <<a..b>> <<type>> <<n", true);
        let got: Vec<&str> = bad.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].contains("`a..b` is not a Rust variable or field path"));
        assert!(got[1].contains("`type` is a Rust keyword"));
        assert!(got[2].starts_with("unclosed `<<n`"), "literals refuse it");
        for bad in ["<<_>>", "<<a.>>", "<<.a>>", "<<a.01>>", "<<a.b.self>>"] {
            assert_eq!(scan(bad, true).problems.len(), 1, "{bad}");
        }
        assert!(scan("<<self.x>>", true).problems.is_empty());
    }

    #[test]
    fn a_field_path_on_a_reserved_name_is_refused() {
        for (t, hint) in [
            ("<<host.address>>", "`<<h.address>>`"),
            ("<<index.0>>", "`<<h.0>>`"),
        ] {
            let s = scan(t, false);
            assert_eq!(s.problems.len(), 1, "{t}");
            assert!(s.problems[0].message.contains("is reserved"), "{t}");
            assert!(s.problems[0].message.contains(hint), "{t}");
        }
        assert!(scan("<<cfg.host>>", true).problems.is_empty());
    }
}
