//! Per-host substitution in command templates, at run time (execo's `{{{host}}}` and
//! `{{expr}}`, in the `<<...>>` form that the `remote!` macro also uses).
//!
//! For host `i` of an action over `n` hosts:
//! - `<<host>>` is the host's address (before any rewrite, as in execo);
//! - `<<index>>` is `i`;
//! - `<<name>>` is `values[i % len]` of the list registered under `name` (round robin:
//!   six hosts and four targets give targets 0 1 2 3 0 1).
//!
//! Shell syntax stays writable: only `<<` followed directly by a name and `>>` is a
//! substitution, so `cat <<EOF`, `<<< "$x"` and `>> out.log` pass through. Where a shell
//! needs a literal `<<name>>` (a heredoc glued to a redirection, `cat <<EOF>>log`), write
//! `\<<` for a literal `<<`:
//!
//! ```
//! use execo_runtime::substitution::Substitutions;
//! let subs = Substitutions::new().list("targets", ["a", "b"]);
//! let t = subs.compile(r"iperf -c <<targets>> -p 50<<index>>; cat \<<EOF>>log").unwrap();
//! assert_eq!(t.render(3, "node-4"), "iperf -c b -p 503; cat <<EOF>>log");
//! ```
//!
//! A template is checked once, when compiled: a name with no list, an unclosed `<<name`
//! or an empty list is an error that quotes the fragment and its position.

use std::collections::HashMap;
use std::fmt;

/// Named lists that `<<name>>` draws from, round robin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Substitutions {
    lists: HashMap<String, Vec<String>>,
}

/// A template that does not compile: what is wrong, the fragment, and its byte offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad substitution in `{template}` at byte {position} (`{fragment}`): {reason}")]
pub struct SubstitutionError {
    /// The template as given.
    pub template: String,
    /// Where the bad fragment starts.
    pub position: usize,
    /// The bad fragment.
    pub fragment: String,
    /// What is wrong, and how to fix it.
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Host,
    Index,
    List(Vec<String>),
}

/// A compiled template, ready to render for each host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

const RESERVED: [&str; 2] = ["host", "index"];

impl Substitutions {
    /// No lists: only `<<host>>` and `<<index>>`.
    pub fn new() -> Substitutions {
        Substitutions::default()
    }

    /// Registers `values` under `name` (a name made of letters, digits, `_` and `.`).
    pub fn list<I, S>(mut self, name: &str, values: I) -> Substitutions
    where
        I: IntoIterator<Item = S>,
        S: ToString,
    {
        self.lists.insert(
            name.to_string(),
            values.into_iter().map(|v| v.to_string()).collect(),
        );
        self
    }

    /// Checks and compiles `template`.
    pub fn compile(&self, template: &str) -> Result<Template, SubstitutionError> {
        let err = |position: usize, fragment: &str, reason: String| SubstitutionError {
            template: template.to_string(),
            position,
            fragment: fragment.to_string(),
            reason,
        };
        let bytes = template.as_bytes();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(br"\<<") {
                text.push_str("<<");
                i += 3;
                continue;
            }
            if bytes[i..].starts_with(b"<<") {
                let start = i + 2;
                let name_len = bytes[start..]
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                    .count();
                let after = start + name_len;
                let starts_like_name = name_len > 0 && !bytes[start].is_ascii_digit();
                if starts_like_name && bytes[after..].starts_with(b">>") {
                    let name = &template[start..after];
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(match name {
                        "host" => Part::Host,
                        "index" => Part::Index,
                        _ => match self.lists.get(name) {
                            Some(v) if v.is_empty() => {
                                return Err(err(i, &template[i..after + 2], format!("the list `{name}` is empty")));
                            }
                            Some(v) => Part::List(v.clone()),
                            None => {
                                let mut known: Vec<&str> = RESERVED.iter().copied().chain(self.lists.keys().map(String::as_str)).collect();
                                known.sort_unstable();
                                return Err(err(
                                    i,
                                    &template[i..after + 2],
                                    format!(
                                        "no list named `{name}` (known: {}); for a literal `<<` write `\\<<`",
                                        known.join(", ")
                                    ),
                                ));
                            }
                        },
                    });
                    i = after + 2;
                    continue;
                }
                if bytes[i..].starts_with(b"<<>>") {
                    return Err(err(
                        i,
                        "<<>>",
                        "empty substitution `<<>>`; for a literal `<<` write `\\<<`".into(),
                    ));
                }
            }
            let c = template[i..].chars().next().unwrap_or_default();
            text.push(c);
            i += c.len_utf8().max(1);
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }
}

impl Template {
    /// The template for host number `index` whose address is `host`.
    pub fn render(&self, index: usize, host: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Host => out.push_str(host),
                Part::Index => out.push_str(&index.to_string()),
                Part::List(v) => out.push_str(&v[index % v.len()]),
            }
        }
        out
    }

    /// Whether the template varies from host to host.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(&t.replace("<<", r"\<<"))?,
                Part::Host => f.write_str("<<host>>")?,
                Part::Index => f.write_str("<<index>>")?,
                Part::List(_) => f.write_str("<<list>>")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_over_six_hosts_and_four_targets() {
        let subs = Substitutions::new().list("targets", ["t0", "t1", "t2", "t3"]);
        let t = subs
            .compile("ping <<targets>> from <<host>> #<<index>>")
            .unwrap();
        let got: Vec<String> = (0..6).map(|i| t.render(i, &format!("h{i}"))).collect();
        assert_eq!(got[0], "ping t0 from h0 #0");
        assert_eq!(got[4], "ping t0 from h4 #4");
        assert_eq!(got[5], "ping t1 from h5 #5");
    }

    #[test]
    fn shell_syntax_passes_through() {
        let t = Substitutions::new()
            .compile("cat <<EOF > f\nx\nEOF\necho a >> log; cat <<< \"$v\"; cat << 'E'")
            .unwrap();
        assert!(t.is_constant());
        assert_eq!(
            t.render(0, "h"),
            "cat <<EOF > f\nx\nEOF\necho a >> log; cat <<< \"$v\"; cat << 'E'"
        );
        let glued = Substitutions::new().compile(r"cat \<<EOF>>log").unwrap();
        assert_eq!(glued.render(0, "h"), "cat <<EOF>>log");
        assert_eq!(
            Substitutions::new()
                .compile("a <<1>> b")
                .unwrap()
                .render(0, "h"),
            "a <<1>> b"
        );
    }

    #[test]
    fn errors_quote_the_fragment_and_hint() {
        let subs = Substitutions::new()
            .list("targets", ["a"])
            .list("none", Vec::<String>::new());
        let e = subs.compile("iperf -c <<targtes>>").unwrap_err();
        assert_eq!((e.position, e.fragment.as_str()), (9, "<<targtes>>"));
        assert!(
            e.reason.contains("known: host, index, none, targets") && e.reason.contains(r"\<<"),
            "{e}"
        );
        assert!(
            subs.compile("x <<>>")
                .unwrap_err()
                .reason
                .contains("empty substitution")
        );
        assert!(
            subs.compile("x <<none>>")
                .unwrap_err()
                .reason
                .contains("is empty")
        );
        assert!(
            subs.compile("cat <<EOF>>log").is_err(),
            "a glued heredoc needs the escape"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let subs = Substitutions::new().list("a", ["1"]);
        for s in [
            "<<",
            "<<a",
            "<<a>",
            "\\<",
            "\\",
            "é<<a>>é",
            "<<<<a>>>>",
            "<<a>><<host>>",
            "\u{1F600}<<",
        ] {
            let _ = subs.compile(s).map(|t| t.render(7, "h"));
        }
        assert_eq!(subs.compile("<<<<a>>>>").unwrap().render(0, "h"), "<<1>>");
    }
}

// What the `remote!` family of macros needs at run time: turning the Rust values named in
// a template into the lists above, and keeping a value inside the quotes the template
// put around it.

/// A sequence substituted round robin: host `i` gets item `i % len`.
///
/// The `remote!` macros take `<<x>>` as a sequence when `x` implements this trait, and as
/// one value for every host otherwise (anything [`Display`](fmt::Display)). Implemented
/// for slices, arrays, `Vec`, `VecDeque`, `BTreeSet`, integer ranges and
/// [`NodeSet`](crate::NodeSet), and through references to them; items are written with
/// `Display` (a [`Host`](crate::Host) as `user@address:port` when those are set: write
/// `<<h.address>>` for the address alone).
pub trait SubstitutionList {
    /// The items, in order, as text.
    fn substitution_values(&self) -> Vec<String>;
}

impl<S: SubstitutionList + ?Sized> SubstitutionList for &S {
    fn substitution_values(&self) -> Vec<String> {
        (**self).substitution_values()
    }
}

impl<T: fmt::Display> SubstitutionList for [T] {
    fn substitution_values(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

impl<T: fmt::Display, const N: usize> SubstitutionList for [T; N] {
    fn substitution_values(&self) -> Vec<String> {
        self.as_slice().substitution_values()
    }
}

impl<T: fmt::Display> SubstitutionList for Vec<T> {
    fn substitution_values(&self) -> Vec<String> {
        self.as_slice().substitution_values()
    }
}

impl<T: fmt::Display> SubstitutionList for std::collections::VecDeque<T> {
    fn substitution_values(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

impl<T: fmt::Display> SubstitutionList for std::collections::BTreeSet<T> {
    fn substitution_values(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

impl<T> SubstitutionList for std::ops::Range<T>
where
    std::ops::Range<T>: Iterator<Item = T> + Clone,
    T: fmt::Display,
{
    fn substitution_values(&self) -> Vec<String> {
        self.clone().map(|v| v.to_string()).collect()
    }
}

impl<T> SubstitutionList for std::ops::RangeInclusive<T>
where
    std::ops::RangeInclusive<T>: Iterator<Item = T> + Clone,
    T: fmt::Display,
{
    fn substitution_values(&self) -> Vec<String> {
        self.clone().map(|v| v.to_string()).collect()
    }
}

impl SubstitutionList for crate::NodeSet {
    fn substitution_values(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

/// Where a substituted value lands in a shell command, as the `remote!` macros read it
/// from the template: a value cannot leave the quotes written around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quoting {
    /// Outside quotes (or in a heredoc's body): the value is shell text, as in execo.
    Raw,
    /// Inside `'...'`: each `'` of the value becomes `'\''`.
    SingleQuoted,
    /// Inside `"..."`: `\`, `"`, `$` and `` ` `` of the value are escaped with `\`.
    DoubleQuoted,
}

impl Quoting {
    /// `value`, written so that the shell reads it back unchanged in this place.
    ///
    /// ```
    /// use execo_runtime::substitution::Quoting;
    /// assert_eq!(Quoting::SingleQuoted.apply("it's"), r"it'\''s");
    /// assert_eq!(Quoting::DoubleQuoted.apply(r#"a "$b""#), r#"a \"\$b\""#);
    /// assert_eq!(Quoting::Raw.apply("-P 4"), "-P 4");
    /// ```
    pub fn apply(self, value: &str) -> String {
        match self {
            Quoting::Raw => value.to_string(),
            Quoting::SingleQuoted => value.replace('\'', r"'\''"),
            Quoting::DoubleQuoted => {
                let mut out = String::with_capacity(value.len());
                for c in value.chars() {
                    if matches!(c, '\\' | '"' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out
            }
        }
    }

    /// Every value of `values`, written for this place.
    pub fn apply_all(self, values: Vec<String>) -> Vec<String> {
        match self {
            Quoting::Raw => values,
            _ => values.iter().map(|v| self.apply(v)).collect(),
        }
    }
}

/// The code the `remote!` macros expand to: which of [`SubstitutionList`] or `Display`
/// a value uses, chosen at compile time without specialization.
///
/// `(&Probe(&x)).__execo_kind()` finds [`ListKind`] when `Probe<X>: ListKind` (by-value
/// receiver, tried first) and falls back to [`ValueKind`] through one more autoref
/// (dtolnay's autoref specialization, which works because `X` is concrete at the call
/// site). The tag's `values(&x)` then states the bound it needs, so a value that is
/// neither gets rustc's plain "doesn't implement `Display`" at the template.
#[doc(hidden)]
pub mod __macro {
    use super::SubstitutionList;
    use std::fmt::Display;

    /// Wraps a reference to the value being classified.
    pub struct Probe<'a, T: ?Sized>(pub &'a T);

    /// Says "sequence".
    pub struct ListTag;
    /// Says "one value".
    pub struct ValueTag;

    /// Found first: the value is a [`SubstitutionList`].
    pub trait ListKind {
        /// The tag.
        fn __execo_kind(&self) -> ListTag {
            ListTag
        }
    }
    impl<T: SubstitutionList + ?Sized> ListKind for Probe<'_, T> {}

    /// The fallback: one value for every host.
    pub trait ValueKind {
        /// The tag.
        fn __execo_kind(&self) -> ValueTag {
            ValueTag
        }
    }
    impl<T: ?Sized> ValueKind for &Probe<'_, T> {}

    impl ListTag {
        /// The items of the sequence.
        pub fn values<T: SubstitutionList + ?Sized>(self, v: &T) -> Vec<String> {
            v.substitution_values()
        }
    }

    impl ValueTag {
        /// The value, once.
        pub fn values<T: Display + ?Sized>(self, v: &T) -> Vec<String> {
            vec![v.to_string()]
        }
    }
}
