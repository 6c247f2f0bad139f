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
//! # Quoting
//!
//! A command template is read as the shell will read it (by `execo_template`, the same
//! reader as the `remote!` macros', so a template means the same in both), and every
//! value is written for the place it lands in: inside `'...'` or `"..."` it is one
//! argument holding exactly the value; outside quotes a list's value is shell text, as in
//! execo (`<<flags>>` holding `-P 4` gives two words), while the host's address is
//! quoted as one word, since hosts come from node sets and files, not from the author of
//! the command. Places where no escaping is safe (`$'...'`, backticks, `${...}`) are
//! refused. Paths ([`compile_path`](Substitutions::compile_path), for scp) are not read
//! by a shell: values go as they are.
//!
//! ```
//! use execo_runtime::substitution::Substitutions;
//! let subs = Substitutions::new().list("msg", ["it's"]).list("flags", ["-P 4"]);
//! let t = subs.compile("echo '<<msg>>' <<flags>> <<host>>").unwrap();
//! assert_eq!(t.render(0, "a b"), r"echo 'it'\''s' -P 4 'a b'");
//! ```
//!
//! A template is checked once, when compiled: a name with no list, an empty list, a
//! value that cannot be written where it lands, a refused place, execo's own `{{name}}`
//! syntax, or what looks like an expression (`<<x[0]>>`) is an error that quotes the
//! fragment and its position.
//!
//! # Read once
//!
//! Text is read once, when compiled. The `remote!` macros read their literal at compile
//! time and hand over the result, a [`ReadTemplate`] of pieces (text, and each
//! substitution with its place): [`compile_read`](Substitutions::compile_read) takes it
//! as it is, without reading the text again. Actions take either ([`TemplateSource`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

pub use execo_template::{Mode, Piece, Quoting, Sub, quote_word};

/// A template already read (by [`execo_template::read`], or by the `remote!` macros at
/// compile time): its pieces, each substitution with the place its value lands.
pub type ReadTemplate = execo_template::Template;

/// A template as an action takes it: text, read once when the action is planned, or a
/// template read before, taken as it is (what the `remote!` macros hand over).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    /// Text, read when compiled.
    Text(String),
    /// Read before: not read again.
    Read(ReadTemplate),
}

impl TemplateSource {
    /// The template as written.
    pub fn as_str(&self) -> &str {
        match self {
            TemplateSource::Text(t) => t,
            TemplateSource::Read(t) => t.source(),
        }
    }
}

impl fmt::Display for TemplateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for TemplateSource {
    fn from(t: &str) -> Self {
        TemplateSource::Text(t.to_string())
    }
}

impl From<String> for TemplateSource {
    fn from(t: String) -> Self {
        TemplateSource::Text(t)
    }
}

impl From<&String> for TemplateSource {
    fn from(t: &String) -> Self {
        TemplateSource::Text(t.clone())
    }
}

impl From<Cow<'_, str>> for TemplateSource {
    fn from(t: Cow<'_, str>) -> Self {
        TemplateSource::Text(t.into_owned())
    }
}

impl From<ReadTemplate> for TemplateSource {
    fn from(t: ReadTemplate) -> Self {
        TemplateSource::Read(t)
    }
}

/// Named lists that `<<name>>` draws from, round robin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Substitutions {
    lists: HashMap<String, Vec<String>>,
}

/// A template that does not compile, or a host that cannot be written where `<<host>>`
/// stands: what is wrong, the fragment, and its byte offset.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "failed to substitute in template `{template}` at byte {position} (`{fragment}`): {reason}"
)]
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
    /// The host's address, written for its place; the substitution's range.
    Host(Quoting, std::ops::Range<usize>),
    Index,
    /// The values, already written for their place.
    List(Vec<String>),
}

/// A compiled template, ready to render for each host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
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

    /// Checks and compiles `template`, a shell command: each value is written for the
    /// quotes it stands in (see [Quoting](self#quoting)).
    pub fn compile(&self, template: &str) -> Result<Template, SubstitutionError> {
        self.compile_as(template, Mode::Shell)
    }

    /// Checks and compiles `template`, a path given to a program as one argument (scp's
    /// sources and destination): values go as they are.
    pub fn compile_path(&self, template: &str) -> Result<Template, SubstitutionError> {
        self.compile_as(template, Mode::Path)
    }

    /// Compiles `template`, read before (by the `remote!` macros at compile time, or by
    /// [`execo_template::read`]): its pieces are taken as they are, not read again.
    pub fn compile_read(&self, template: &ReadTemplate) -> Result<Template, SubstitutionError> {
        let source = template.source();
        let err = |range: std::ops::Range<usize>, reason: String| SubstitutionError {
            template: source.to_string(),
            position: range.start,
            fragment: source.get(range).unwrap_or_default().to_string(),
            reason,
        };
        let mut parts = Vec::new();
        for piece in template.pieces() {
            let sub = match piece {
                Piece::Text(t) => {
                    parts.push(Part::Text(t.to_string()));
                    continue;
                }
                Piece::Sub(sub) => sub,
            };
            let name = &*sub.name;
            parts.push(match name {
                "host" => Part::Host(sub.quoting, sub.range.clone()),
                "index" => Part::Index,
                _ => match self.lists.get(name) {
                    Some(v) if v.is_empty() => {
                        return Err(err(
                            sub.range.clone(),
                            format!("the list `{name}` is empty"),
                        ));
                    }
                    Some(v) => Part::List(
                        v.iter()
                            .map(|value| {
                                sub.quoting.text(value).map_err(|why| {
                                    err(
                                        sub.range.clone(),
                                        format!("cannot substitute `{value}` of `{name}`: {why}"),
                                    )
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    None => {
                        let mut known: Vec<&str> = RESERVED
                            .iter()
                            .copied()
                            .chain(self.lists.keys().map(String::as_str))
                            .collect();
                        known.sort_unstable();
                        return Err(err(
                            sub.range.clone(),
                            format!(
                                "no list named `{name}` (known: {}); for a literal `<<` write `\\<<`",
                                known.join(", ")
                            ),
                        ));
                    }
                },
            });
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// Compiles `template` as a `mode` template: text is read once, a template read
    /// before is taken as it is (if it was read as that mode).
    pub(crate) fn compile_source(
        &self,
        template: &TemplateSource,
        mode: Mode,
    ) -> Result<Template, SubstitutionError> {
        match template {
            TemplateSource::Text(text) => self.compile_as(text, mode),
            TemplateSource::Read(t) if t.mode() == mode => self.compile_read(t),
            TemplateSource::Read(t) => {
                let what = |m| match m {
                    Mode::Shell => "a shell command",
                    Mode::Path => "a path",
                };
                Err(SubstitutionError {
                    template: t.source().to_string(),
                    position: 0,
                    fragment: String::new(),
                    reason: format!(
                        "it was read as {}, but is used as {}",
                        what(t.mode()),
                        what(mode)
                    ),
                })
            }
        }
    }

    fn compile_as(&self, template: &str, mode: Mode) -> Result<Template, SubstitutionError> {
        let read = execo_template::read(template, mode).map_err(|p| SubstitutionError {
            template: template.to_string(),
            position: p.range.start,
            fragment: template.get(p.range).unwrap_or_default().to_string(),
            reason: p.message,
        })?;
        self.compile_read(&read)
    }
}

impl Template {
    /// The template for host number `index` whose address is `host`.
    ///
    /// It does not fail: a host that cannot be written where it lands (a newline in a
    /// heredoc's body) is written with its newlines as spaces; actions refuse such a host
    /// before they start ([`check_host`](Template::check_host)).
    pub fn render(&self, index: usize, host: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Host(q, _) => out.push_str(
                    &q.word(host)
                        .unwrap_or_else(|_| q.word(&host.replace('\n', " ")).unwrap_or_default()),
                ),
                Part::Index => out.push_str(&index.to_string()),
                Part::List(v) => out.push_str(&v[index % v.len()]),
            }
        }
        out
    }

    /// Checks that `host` can be written wherever `<<host>>` stands.
    pub fn check_host(&self, host: &str) -> Result<(), SubstitutionError> {
        for part in &self.parts {
            if let Part::Host(q, range) = part {
                q.word(host).map_err(|why| SubstitutionError {
                    template: self.source.clone(),
                    position: range.start,
                    fragment: "<<host>>".into(),
                    reason: format!("cannot substitute host `{host}`: {why}"),
                })?;
            }
        }
        Ok(())
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
                Part::Host(..) => f.write_str("<<host>>")?,
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

    #[test]
    fn values_and_the_host_are_written_for_their_place() {
        let hostile = "x';touch${IFS}/tmp/pwned;'";
        let subs = Substitutions::new()
            .list("v", [hostile])
            .list("flags", ["-P 4"]);
        let t = subs
            .compile(r#"echo '<<v>>' "<<v>>" <<flags>> <<host>> '<<host>>' "$(echo '<<v>>')""#)
            .unwrap();
        assert_eq!(
            t.render(0, hostile),
            r#"echo 'x'\'';touch${IFS}/tmp/pwned;'\''' "x';touch\${IFS}/tmp/pwned;'" -P 4 'x'"'"';touch${IFS}/tmp/pwned;'"'"'' 'x'\'';touch${IFS}/tmp/pwned;'\''' "$(echo 'x'\'';touch${IFS}/tmp/pwned;'\''')""#
        );
        // Paths are not read by a shell: as they are.
        let p = subs.compile_path("'<<v>>'/<<host>>").unwrap();
        assert_eq!(p.render(0, "a b"), format!("'{hostile}'/a b"));
        assert_eq!(
            super::__macro::copy_path(r"a<<v>>\<<b"),
            r"a\<<v>>\\<<b",
            "a path given as a value is not a template"
        );
        let back = subs
            .compile_path(&super::__macro::copy_path(r"a<<v>>\<<b"))
            .unwrap();
        assert_eq!(back.render(0, "h"), r"a<<v>>\<<b");
    }

    #[test]
    fn the_readers_problems_and_values_that_cannot_land_name_the_fragment() {
        // Which places are refused is the reader's (execo_template's tests); here, that
        // its problems come back with the fragment and its position.
        let subs = Substitutions::new().list("v", ["a"]).list("nl", ["a\nEOF"]);
        let e = subs.compile("echo ok; echo `<<v>>`").unwrap_err();
        assert_eq!((e.position, e.fragment.as_str()), (15, "<<v>>"));
        assert!(e.reason.contains("inside backticks"), "{e}");
        assert!(subs.compile_path("conf/{{{host}}}").is_err());
        let e = subs.compile("cat <<E\n<<nl>>\nE").unwrap_err();
        assert_eq!(e.fragment, "<<nl>>");
        assert!(e.reason.contains("cannot hold a newline"), "{e}");
        let t = subs.compile("cat <<'E'\n<<host>>\nE").unwrap();
        assert!(t.check_host("h1").is_ok());
        let e = t.check_host("h\nE\nrm -rf x").unwrap_err();
        assert!(e.reason.contains("cannot substitute host"), "{e}");
        assert_eq!(t.render(0, "h\nE"), "cat <<'E'\nh E\nE");
    }

    #[test]
    fn a_template_read_before_is_taken_as_it_is() {
        // Pieces that reading the text would refuse (`$'...'`) or read otherwise: the
        // runtime uses them as given, it does not read the text again.
        const PIECES: &[Piece] = &[
            Piece::text("echo $'"),
            Piece::sub("v", Quoting::SingleQuoted, 7, 12),
            Piece::text("' "),
            Piece::sub("host", Quoting::DoubleQuoted, 14, 22),
        ];
        let read = ReadTemplate::from_static("echo $'<<v>>' <<host>>", Mode::Shell, PIECES);
        let subs = Substitutions::new().list("v", ["it's"]);
        assert!(
            subs.compile(read.source()).is_err(),
            "the text alone is refused"
        );
        let t = subs.compile_read(&read).unwrap();
        assert_eq!(t.render(0, "a b"), r"echo $'it'\''s' a b");
        let t = subs
            .compile_source(&TemplateSource::from(read.clone()), Mode::Shell)
            .unwrap();
        assert_eq!(t.render(0, "$x"), r"echo $'it'\''s' \$x");
        let e = subs
            .compile_source(&TemplateSource::from(read), Mode::Path)
            .unwrap_err();
        assert!(e.reason.contains("read as a shell command"), "{e}");
        // Its errors quote its text as before.
        let empty = Substitutions::new().list("v", Vec::<String>::new());
        let e = empty
            .compile_read(&ReadTemplate::from_static(
                "echo $'<<v>>' <<host>>",
                Mode::Shell,
                PIECES,
            ))
            .unwrap_err();
        assert_eq!((e.position, e.fragment.as_str()), (7, "<<v>>"));
    }
}

// What the `remote!` family of macros needs at run time: turning the Rust values named in
// a template into the lists above (the template then writes each value for its place),
// and the paths that `put!` and `get!` take as Rust values.

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

/// The code the `remote!` macros expand to: which of [`SubstitutionList`] or `Display`
/// a value uses, chosen at compile time without specialization.
///
/// `(&Probe(&x)).__execo_kind()` finds [`ListKind`](__macro::ListKind) when `Probe<X>: ListKind` (by-value
/// receiver, tried first) and falls back to [`ValueKind`](__macro::ValueKind) through one more autoref
/// (dtolnay's autoref specialization, which works because `X` is concrete at the call
/// site). The tag's `values(&x)` then states the bound it needs, so a value that is
/// neither gets rustc's plain "doesn't implement `Display`" at the template.
#[doc(hidden)]
pub mod __macro {
    use super::SubstitutionList;
    use std::fmt::Display;
    use std::path::{Path, PathBuf};

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

    /// Paths that `put!` and `get!` take as a Rust value rather than a literal template:
    /// one path (`String`, `&str`, `PathBuf`, `&Path`) or a sequence of them (`Vec`,
    /// slice, array).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a path or a sequence of paths",
        label = "the files to copy",
        note = "give a `String`, `&str`, `PathBuf`, `&Path`, or a `Vec`, slice or array of them"
    )]
    pub trait CopyPaths {
        /// The paths, each written so that the copy's template reads it back as it is.
        fn copy_paths(&self) -> Vec<String>;
    }

    impl<T: CopyPaths + ?Sized> CopyPaths for &T {
        fn copy_paths(&self) -> Vec<String> {
            (**self).copy_paths()
        }
    }

    macro_rules! one_path {
        ($($ty:ty),*) => {$(
            impl CopyPaths for $ty {
                fn copy_paths(&self) -> Vec<String> {
                    vec![copy_path(self)]
                }
            }
        )*};
    }
    one_path!(str, String, Path, PathBuf);

    impl<T: AsRef<Path>> CopyPaths for [T] {
        fn copy_paths(&self) -> Vec<String> {
            self.iter().map(copy_path).collect()
        }
    }

    impl<T: AsRef<Path>> CopyPaths for Vec<T> {
        fn copy_paths(&self) -> Vec<String> {
            self.as_slice().copy_paths()
        }
    }

    impl<T: AsRef<Path>, const N: usize> CopyPaths for [T; N] {
        fn copy_paths(&self) -> Vec<String> {
            self.as_slice().copy_paths()
        }
    }

    /// Every path of `paths`, as [`copy_path`] writes them.
    pub fn copy_paths<T: CopyPaths + ?Sized>(paths: &T) -> Vec<String> {
        paths.copy_paths()
    }

    /// One path given as a value: `<<` escaped, so that it is not read as a
    /// substitution. (scp takes a path as text: a path that is not UTF-8 is written
    /// lossily, and scp then reports the file it cannot find.)
    pub fn copy_path<P: AsRef<Path> + ?Sized>(path: &P) -> String {
        path.as_ref().to_string_lossy().replace("<<", r"\<<")
    }
}
