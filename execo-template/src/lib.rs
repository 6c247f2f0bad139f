//! The one reader of execo's templates, `iperf -c <<targets>> -p 52<<index>>`, shared by
//! the `remote!` family of macros (at compile time) and the runtime (`Remote::new(cmd,
//! hosts).list(..)`, `execo run '...'`).
//!
//! # Why a crate of its own
//!
//! A template must mean the same in a macro and at run time, and a value must not leave
//! the quotes written around it in either. Both need the same two readers: the `<<...>>`
//! scanner and the shell reader that finds, for each substitution, the quoting context
//! it lands in. A proc-macro crate cannot depend on the runtime, and the runtime should
//! not depend on a proc-macro crate, so the readers live here, below both, with no
//! dependencies, and are tested once. A template is read once: the macros write what
//! they read as a [`Template`] of `'static` pieces in the code they generate, and the
//! runtime takes it as it is; text given at run time goes through [`read`].
//!
//! # The rules
//!
//! - `<<` directly followed by a name (letters, digits, `_`, `.`, not starting with a
//!   digit) and `>>` is a substitution; `\<<` is a literal `<<`; other `<<` are text, so
//!   `cat <<EOF`, `cat <<< "$v"`, `echo x >> log` and `$((1 << 3))` pass through.
//! - What only looks like a substitution is refused rather than passed to the shell as a
//!   heredoc: `<<targets[0].address>>`, `<<[t for t in x]>>`, `<<a b>>`; so is execo's
//!   own syntax, `{{{host}}}` and `{{name}}` (the exact shapes only: `awk '{...}'`, `jq`
//!   and docker's `{{.Name}}` stay text).
//! - In a shell command, each substitution gets the [`Quoting`] of where it stands, and
//!   the value is escaped for it: `'<<v>>'` and `"<<v>>"` are one argument holding
//!   exactly `v`; outside quotes a list's value is shell text (execo's semantics,
//!   `-P 4` is two words) while the host's address is quoted as one word.
//! - A place where no escaping is safe is refused, naming the fragment: inside `$'...'`
//!   (bash reads `\` escapes there, dash reads `$` and then `'...'`: no escaping keeps a
//!   value intact in both, and the command may meet either), inside backticks (quotes do
//!   not protect a backtick there), inside `${...}` (what the word of a parameter
//!   expansion unquotes depends on the shell and the operator), and right after a `$`
//!   (the value would continue the expansion).
//!
//! # Caveats
//!
//! The shell reader follows `'...'`, `"..."`, `\`, `#` comments, `$(...)` (nested, inside
//! double quotes too), `$((...))`, `${...}`, backticks and heredoc bodies. It does not
//! parse `case` patterns: a `)` of a `case` inside `$(...)` closes the substitution early
//! for the reader, which can make it refuse or misplace a later substitution in that
//! command; put such commands in a script file.

use std::borrow::Cow;
use std::ops::Range;

/// Whether a template is a shell command (quotes matter) or a path handed to a program
/// as one argument (scp's sources and destination).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A shell command: each substitution is escaped for the quotes it stands in.
    Shell,
    /// A path: values are inserted as they are.
    Path,
}

/// Where a substituted value lands, and so how it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quoting {
    /// Not a shell command (a path given as one argument): values as they are.
    Verbatim,
    /// Outside quotes: a list's value is shell text, as in execo (`<<flags>>` holding
    /// `-P 4` gives two words); the host's address is quoted as one word.
    Raw,
    /// Inside `'...'`: each `'` of the value becomes `'\''`.
    SingleQuoted,
    /// Inside `"..."`: `\`, `"`, `$` and `` ` `` of the value are escaped with `\`.
    DoubleQuoted,
    /// In the body of a heredoc whose delimiter is not quoted (`<<EOF`): `\`, `$` and
    /// `` ` `` are escaped; a value cannot hold a newline (a line of it could end the
    /// heredoc).
    HeredocBody,
    /// In the body of a heredoc whose delimiter is quoted (`<<'EOF'`): the value as it
    /// is, without a newline.
    HeredocLiteral,
}

impl Quoting {
    /// `value` written for this place as text: in [`Raw`](Quoting::Raw) the value is
    /// shell text and goes as it is; elsewhere the shell reads it back unchanged.
    ///
    /// ```
    /// use execo_template::Quoting;
    /// assert_eq!(Quoting::SingleQuoted.text("it's").unwrap(), r"it'\''s");
    /// assert_eq!(Quoting::DoubleQuoted.text(r#"a "$b""#).unwrap(), r#"a \"\$b\""#);
    /// assert_eq!(Quoting::Raw.text("-P 4").unwrap(), "-P 4");
    /// assert!(Quoting::HeredocBody.text("a\nEOF").is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// A value that cannot be written safely here (a newline in a heredoc's body), with
    /// the reason.
    pub fn text(self, value: &str) -> Result<String, String> {
        match self {
            Quoting::Verbatim | Quoting::Raw => Ok(value.to_string()),
            _ => self.word(value),
        }
    }

    /// `value` written for this place so that the shell reads it back as exactly that
    /// string: as [`text`](Quoting::text), but in [`Raw`](Quoting::Raw) the value is
    /// quoted as one word ([`quote_word`]). The host's address goes this way.
    ///
    /// # Errors
    ///
    /// As [`text`](Quoting::text).
    pub fn word(self, value: &str) -> Result<String, String> {
        Ok(match self {
            Quoting::Verbatim => value.to_string(),
            Quoting::Raw => quote_word(value),
            Quoting::SingleQuoted => value.replace('\'', r"'\''"),
            Quoting::DoubleQuoted => escape(value, &['\\', '"', '$', '`']),
            Quoting::HeredocBody | Quoting::HeredocLiteral => {
                if value.contains('\n') {
                    return Err(
                        "a value in a heredoc's body cannot hold a newline (a line of it \
                         could end the heredoc)"
                            .into(),
                    );
                }
                if self == Quoting::HeredocBody {
                    escape(value, &['\\', '$', '`'])
                } else {
                    value.to_string()
                }
            }
        })
    }
}

fn escape(value: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quotes one word so that a POSIX shell reads it back unchanged: as it is when made of
/// safe characters, else in `'...'`.
///
/// ```
/// assert_eq!(execo_template::quote_word("node-1.lan"), "node-1.lan");
/// assert_eq!(execo_template::quote_word("x';touch y;'"), r#"'x'"'"';touch y;'"'"''"#);
/// ```
pub fn quote_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r#"'"'"'"#))
    }
}

/// A `<<name>>` found in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sub {
    /// The whole `<<name>>`, in bytes of the template.
    pub range: Range<usize>,
    /// The name between `<<` and `>>`.
    pub name: Cow<'static, str>,
    /// Where its value lands.
    pub quoting: Quoting,
}

/// A mistake in a template: the fragment's range and a message that quotes it and says
/// how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The bad fragment, in bytes of the template.
    pub range: Range<usize>,
    /// What is wrong, and the fix.
    pub message: String,
    /// Only a mistake in a literal written in Rust source (`<<name` left open): the
    /// runtime passes such text through, a macro refuses it.
    pub literal_only: bool,
}

/// A piece of a template: text (with `\<<` already made `<<`) or a substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text as the shell or the program gets it.
    Text(Cow<'static, str>),
    /// A substitution, with the place its value lands.
    Sub(Sub),
}

impl Piece {
    /// Text, as generated code writes it.
    pub const fn text(text: &'static str) -> Piece {
        Piece::Text(Cow::Borrowed(text))
    }

    /// The substitution `<<name>>` at bytes `start..end` of the template, landing in
    /// `quoting`, as generated code writes it.
    pub const fn sub(name: &'static str, quoting: Quoting, start: usize, end: usize) -> Piece {
        Piece::Sub(Sub {
            range: start..end,
            name: Cow::Borrowed(name),
            quoting,
        })
    }
}

/// A template already read: its text, and its pieces with the place of each
/// substitution. [`read`] makes one from text at run time; the `remote!` macros read
/// their literal at compile time and write the result in the code they generate
/// ([`Template::from_static`]), so that it is never read again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: Cow<'static, str>,
    mode: Mode,
    pieces: Cow<'static, [Piece]>,
}

impl Template {
    /// A template read before, from its parts: `source` as written (for messages),
    /// what it was read as, and its pieces. Nothing is checked: the parts are taken as
    /// they are (the macros write what [`scan`] found).
    pub const fn from_static(
        source: &'static str,
        mode: Mode,
        pieces: &'static [Piece],
    ) -> Template {
        Template {
            source: Cow::Borrowed(source),
            mode,
            pieces: Cow::Borrowed(pieces),
        }
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What it was read as.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Its pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Its substitutions, in order.
    pub fn subs(&self) -> impl Iterator<Item = &Sub> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Sub(s) => Some(s),
            Piece::Text(_) => None,
        })
    }
}

/// A read template and every problem found in it (not just the first).
#[derive(Clone, Debug)]
pub struct Scanned {
    /// The template.
    pub template: Template,
    /// Its problems, in order.
    pub problems: Vec<Problem>,
}

impl Scanned {
    /// The first problem, unless it is [`literal_only`](Problem::literal_only).
    pub fn runtime_problem(&self) -> Option<&Problem> {
        self.problems.iter().find(|p| !p.literal_only)
    }
}

/// Reads `text` once, as the runtime does: the template, or its first problem (those
/// only a literal can have, such as `<<name` left open, pass as text).
///
/// ```
/// use execo_template::{Mode, Piece, Quoting, read};
/// let t = read("echo '<<msg>>'", Mode::Shell).unwrap();
/// assert_eq!(t.pieces()[1], Piece::sub("msg", Quoting::SingleQuoted, 6, 13));
/// assert!(read("echo `<<msg>>`", Mode::Shell).is_err());
/// ```
///
/// # Errors
///
/// The first problem that is not [`literal_only`](Problem::literal_only).
pub fn read(text: &str, mode: Mode) -> Result<Template, Problem> {
    let scanned = scan(text, mode);
    match scanned.runtime_problem() {
        Some(p) => Err(p.clone()),
        None => Ok(scanned.template),
    }
}

/// The hint every `<<` problem ends with.
pub const ESCAPE_HINT: &str = r"or write `\<<` for a literal `<<`";

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// `{{name}}` at `i` (execo's `{{expr}}` in its common form): the name's length.
fn execo_braces(bytes: &[u8], i: usize, braces: usize) -> Option<usize> {
    let open = &bytes[i..];
    if open.len() < braces || !open[..braces].iter().all(|&b| b == b'{') {
        return None;
    }
    let start = i + braces;
    let first = *bytes.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = bytes[start..]
        .iter()
        .take_while(|&&b| is_name_byte(b))
        .count();
    let close = &bytes[start + len..];
    (close.len() >= braces && close[..braces].iter().all(|&b| b == b'}')).then_some(len)
}

/// After a `<<` at `i` that is no substitution: the end of `<<...>>` when it reads as an
/// expression (`<<x[0].y>>`, `<<[a for a in b]>>`, `<<a b>>`), not as shell syntax.
fn expression_like(bytes: &[u8], i: usize) -> Option<usize> {
    let start = i + 2;
    let line_end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| start + p);
    let close = start + bytes[start..line_end].windows(2).position(|w| w == b">>")?;
    let inner = &bytes[start..close];
    let first = *inner.first()?;
    let starts_like_expr = first.is_ascii_alphabetic() || matches!(first, b'_' | b'[' | b'(');
    let shell_chars = inner
        .iter()
        .any(|b| b";|&<>'\"$`\\{}".contains(b) || *b == b'\t');
    let last_blank = inner.last().is_some_and(|b| b.is_ascii_whitespace());
    let glued_word = bytes
        .get(close + 2)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b"_./-$~".contains(&b));
    (starts_like_expr && !shell_chars && !last_blank && !glued_word).then_some(close + 2)
}

/// Reads `text`: its substitutions, each with its [`Quoting`], and every problem.
pub fn scan(text: &str, mode: Mode) -> Scanned {
    let bytes = text.as_bytes();
    let mut pieces: Vec<Piece> = Vec::new();
    // The piece of each substitution, by number.
    let mut subs: Vec<usize> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    // The template as the shell will read it, substitutions left opaque.
    let mut items: Vec<Item> = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    let push_char = |items: &mut Vec<Item>, buf: &mut String, c: char| {
        items.push(Item::Char(c));
        buf.push(c);
    };
    while i < bytes.len() {
        if bytes[i..].starts_with(br"\<<") {
            push_char(&mut items, &mut buf, '<');
            push_char(&mut items, &mut buf, '<');
            i += 3;
            continue;
        }
        if bytes[i] == b'{' {
            let found = [3, 2]
                .into_iter()
                .find_map(|n| execo_braces(bytes, i, n).map(|len| (n, len)));
            if let Some((n, len)) = found {
                let range = i..i + 2 * n + len;
                let name = &text[i + n..i + n + len];
                let what = if n == 3 {
                    "execo's host"
                } else {
                    "execo's (Python) substitution"
                };
                problems.push(Problem {
                    message: format!(
                        "`{}` is {what} syntax, not a substitution here: write `<<{name}>>`",
                        &text[range.clone()]
                    ),
                    range: range.clone(),
                    literal_only: false,
                });
                for c in text[range.clone()].chars() {
                    push_char(&mut items, &mut buf, c);
                }
                i = range.end;
                continue;
            }
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
                if !buf.is_empty() {
                    pieces.push(Piece::Text(Cow::Owned(std::mem::take(&mut buf))));
                }
                items.push(Item::Sub(subs.len()));
                subs.push(pieces.len());
                pieces.push(Piece::Sub(Sub {
                    range: i..after + 2,
                    name: Cow::Owned(text[start..after].to_string()),
                    quoting: if mode == Mode::Shell {
                        Quoting::Raw
                    } else {
                        Quoting::Verbatim
                    },
                }));
                i = after + 2;
                continue;
            }
            if bytes[i..].starts_with(b"<<>>") {
                problems.push(Problem {
                    range: i..i + 4,
                    message: format!(
                        "empty substitution `<<>>`: put a variable between `<<` and `>>` \
                         (`<<targets>>`), {ESCAPE_HINT}"
                    ),
                    literal_only: false,
                });
            } else if let Some(end) = expression_like(bytes, i) {
                let fragment = &text[i..end];
                problems.push(Problem {
                    range: i..end,
                    message: format!(
                        "`{fragment}` looks like an expression, but a template takes only \
                         names (`<<x>>`, `<<x.field>>`, `<<x.0>>`): bind it with `let` \
                         first (`let v = ...;` then `<<v>>`), {ESCAPE_HINT}"
                    ),
                    literal_only: false,
                });
            } else {
                // What a shell reads as a heredoc but, in a literal, can only be a
                // substitution left open.
                let single_gt = bytes[after..].starts_with(b">");
                if starts_like_name && (after == bytes.len() || single_gt) {
                    let end = after + usize::from(single_gt);
                    let name = &text[start..after];
                    problems.push(Problem {
                        range: i..end,
                        message: format!(
                            "unclosed `{}`: close it with `>>` (`<<{name}>>`), {ESCAPE_HINT}",
                            &text[i..end]
                        ),
                        literal_only: true,
                    });
                } else if start == bytes.len() {
                    problems.push(Problem {
                        range: i..start,
                        message: format!(
                            "unclosed `<<` at the end: name a variable and close it with \
                             `>>` (`<<targets>>`), {ESCAPE_HINT}"
                        ),
                        literal_only: true,
                    });
                }
            }
        }
        let c = text[i..].chars().next().unwrap_or_default();
        push_char(&mut items, &mut buf, c);
        i += c.len_utf8().max(1);
    }
    if !buf.is_empty() {
        pieces.push(Piece::Text(Cow::Owned(buf)));
    }
    if mode == Mode::Shell {
        let mut reader = Reader {
            items: &items,
            k: 0,
            limit: items.len(),
            refuse: None,
            heredocs: Vec::new(),
            found: Vec::new(),
        };
        reader.commands(Close::End);
        for (sub, place) in reader.found {
            let Some(Piece::Sub(s)) = subs.get(sub).and_then(|&at| pieces.get_mut(at)) else {
                continue;
            };
            match place {
                Ok(q) => s.quoting = q,
                Err(why) => problems.push(Problem {
                    range: s.range.clone(),
                    message: why.message(&text[s.range.clone()]),
                    literal_only: false,
                }),
            }
        }
        problems.sort_by_key(|p| p.range.start);
    }
    Scanned {
        template: Template {
            source: Cow::Owned(text.to_string()),
            mode,
            pieces: Cow::Owned(pieces),
        },
        problems,
    }
}

/// The template as the shell sees it: characters, and substitutions by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Char(char),
    Sub(usize),
}

/// A place where no escaping keeps a value intact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    AnsiC,
    Backtick,
    Parameter,
    AfterDollar,
}

impl Refusal {
    fn message(self, fragment: &str) -> String {
        match self {
            Refusal::AnsiC => format!(
                "`{fragment}` inside `$'...'`: bash reads `\\` escapes there and dash \
                 reads `$` then '...', so no escaping keeps the value intact in both; \
                 use `'{fragment}'`"
            ),
            Refusal::Backtick => format!(
                "`{fragment}` inside backticks: quotes do not protect a value there; use \
                 `$(...)` and `'{fragment}'` in it"
            ),
            Refusal::Parameter => format!(
                "`{fragment}` inside `${{...}}`: the word of a parameter expansion cannot \
                 be escaped safely; set a variable first (`v='{fragment}'; ... ${{x:-$v}}`)"
            ),
            Refusal::AfterDollar => format!(
                "`${fragment}`: the value would continue the `$` expansion; use \
                 `'{fragment}'`, or `\\$` for a literal `$`"
            ),
        }
    }
}

/// What ends a run of commands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    /// The end of the template (or of a heredoc body read as commands).
    End,
    /// The `)` of `$(...)`.
    Paren,
    /// The `))` of `$((...))`.
    Arith,
}

struct Reader<'a> {
    items: &'a [Item],
    k: usize,
    /// Where the current stretch ends (a heredoc's body, or the template).
    limit: usize,
    /// Set inside a place where every substitution is refused.
    refuse: Option<Refusal>,
    /// Heredocs opened on the current line: delimiter, `<<-`, quoted.
    heredocs: Vec<(String, bool, bool)>,
    found: Vec<(usize, Result<Quoting, Refusal>)>,
}

impl Reader<'_> {
    fn ch(&self, k: usize) -> Option<char> {
        match self.items.get(k) {
            Some(Item::Char(c)) if k < self.limit => Some(*c),
            _ => None,
        }
    }

    fn at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(n, c)| self.ch(self.k + n) == Some(c))
    }

    /// Records substitution `sub` at `self.k`, landing in `q` unless refused.
    fn sub(&mut self, sub: usize, q: Quoting) {
        let after_dollar = q != Quoting::SingleQuoted
            && q != Quoting::HeredocLiteral
            && self.k > 0
            && self.ch(self.k - 1) == Some('$')
            && !(self.k > 1 && self.ch(self.k - 2) == Some('\\'));
        let place = match self.refuse {
            Some(r) => Err(r),
            None if after_dollar => Err(Refusal::AfterDollar),
            None => Ok(q),
        };
        self.found.push((sub, place));
        self.k += 1;
    }

    /// Runs `f` with every substitution refused as `why` (the outermost reason wins).
    fn refusing(&mut self, why: Refusal, f: impl FnOnce(&mut Self)) {
        let saved = self.refuse;
        self.refuse = Some(saved.unwrap_or(why));
        f(self);
        self.refuse = saved;
    }

    /// `$(`, `$((`, `${`, `$'`, `$"` and backticks at `self.k`: reads them whole and
    /// returns true, or returns false.
    fn expansion(&mut self) -> bool {
        if self.at("$((") {
            self.k += 3;
            self.commands(Close::Arith);
        } else if self.at("$(") {
            self.k += 2;
            self.commands(Close::Paren);
        } else if self.at("${") {
            self.k += 2;
            self.refusing(Refusal::Parameter, Self::parameter);
        } else if self.at("`") {
            self.k += 1;
            self.refusing(Refusal::Backtick, |r| r.escaped_quote('`'));
        } else {
            return false;
        }
        true
    }

    /// Commands, up to `close` (consumed).
    fn commands(&mut self, close: Close) {
        let mut depth = 0usize;
        let mut word_start = true;
        while self.k < self.limit {
            let c = match self.items[self.k] {
                Item::Sub(s) => {
                    self.sub(s, Quoting::Raw);
                    word_start = false;
                    continue;
                }
                Item::Char(c) => c,
            };
            if c == '$' && self.at("$'") {
                self.k += 2;
                self.refusing(Refusal::AnsiC, |r| r.escaped_quote('\''));
                word_start = false;
                continue;
            }
            if c == '$' && self.at("$\"") {
                self.k += 2;
                self.double();
                word_start = false;
                continue;
            }
            if self.expansion() {
                word_start = false;
                continue;
            }
            match c {
                '\\' => {
                    self.k += usize::from(self.ch(self.k + 1).is_some());
                }
                '\'' => {
                    self.k += 1;
                    self.single();
                    word_start = false;
                    continue;
                }
                '"' => {
                    self.k += 1;
                    self.double();
                    word_start = false;
                    continue;
                }
                '#' if word_start => {
                    while self.ch(self.k + 1).is_some_and(|c| c != '\n') {
                        self.k += 1;
                    }
                }
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                ')' if close != Close::End => {
                    self.k += 1;
                    if close == Close::Arith && self.ch(self.k) == Some(')') {
                        self.k += 1;
                    }
                    return;
                }
                '<' if close != Close::Arith && self.at("<<<") => self.k += 2,
                '<' if close != Close::Arith && self.at("<<") => {
                    self.k += 2;
                    self.heredoc_start();
                    word_start = false;
                    continue;
                }
                '\n' if !self.heredocs.is_empty() => {
                    self.k += 1;
                    self.heredoc_bodies();
                    word_start = true;
                    continue;
                }
                _ => {}
            }
            word_start = matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')');
            self.k += 1;
        }
    }

    /// After `<<`: the delimiter, remembered for the next line.
    fn heredoc_start(&mut self) {
        let strip_tabs = self.ch(self.k) == Some('-');
        self.k += usize::from(strip_tabs);
        while matches!(self.ch(self.k), Some(' ' | '\t')) {
            self.k += 1;
        }
        let mut word = String::new();
        let mut quote = None;
        let mut quoted = false;
        while let Some(c) = self.ch(self.k) {
            match (quote, c) {
                (None, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => break,
                (None, '\'' | '"') => {
                    quote = Some(c);
                    quoted = true;
                }
                (None, '\\') => {
                    quoted = true;
                    if let Some(e) = self.ch(self.k + 1) {
                        word.push(e);
                        self.k += 1;
                    }
                }
                (Some(q), c) if c == q => quote = None,
                (_, c) => word.push(c),
            }
            self.k += 1;
        }
        if !word.is_empty() {
            self.heredocs.push((word, strip_tabs, quoted));
        }
    }

    /// The bodies of the heredocs opened on the line just ended, from `self.k` (a line
    /// start): each one's lines up to its delimiter line.
    fn heredoc_bodies(&mut self) {
        for (word, strip_tabs, quoted) in std::mem::take(&mut self.heredocs) {
            let body_start = self.k;
            let mut body_end = self.limit;
            let mut k = self.k;
            while k < self.limit {
                let end = (k..self.limit)
                    .find(|&e| self.items[e] == Item::Char('\n'))
                    .unwrap_or(self.limit);
                let mut line = String::new();
                let mut has_sub = false;
                for item in &self.items[k..end] {
                    match item {
                        Item::Char(c) => line.push(*c),
                        Item::Sub(_) => has_sub = true,
                    }
                }
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    &line
                };
                if !has_sub && line == word {
                    body_end = k;
                    k = end + 1;
                    break;
                }
                k = end + 1;
            }
            let after = k.min(self.limit);
            let saved_limit = self.limit;
            self.limit = body_end;
            self.k = body_start;
            if quoted {
                while self.k < self.limit {
                    let item = self.items[self.k];
                    match item {
                        Item::Sub(s) => self.sub(s, Quoting::HeredocLiteral),
                        Item::Char(_) => self.k += 1,
                    }
                }
            } else {
                self.heredoc_text();
            }
            self.limit = saved_limit;
            self.k = after;
        }
    }

    /// An unquoted heredoc's body: as between double quotes, but `"` is a character.
    fn heredoc_text(&mut self) {
        while self.k < self.limit {
            let item = self.items[self.k];
            match item {
                Item::Sub(s) => self.sub(s, Quoting::HeredocBody),
                Item::Char('\\') => self.k += 1 + usize::from(self.ch(self.k + 1).is_some()),
                Item::Char(_) if self.expansion() => {}
                Item::Char(_) => self.k += 1,
            }
        }
    }

    /// After `'`: up to the closing `'`.
    fn single(&mut self) {
        while self.k < self.limit {
            let item = self.items[self.k];
            match item {
                Item::Sub(s) => self.sub(s, Quoting::SingleQuoted),
                Item::Char(c) => {
                    self.k += 1;
                    if c == '\'' {
                        return;
                    }
                }
            }
        }
    }

    /// After `"`: up to the closing `"`.
    fn double(&mut self) {
        while self.k < self.limit {
            let item = self.items[self.k];
            match item {
                Item::Sub(s) => self.sub(s, Quoting::DoubleQuoted),
                Item::Char('"') => {
                    self.k += 1;
                    return;
                }
                Item::Char('\\') => self.k += 1 + usize::from(self.ch(self.k + 1).is_some()),
                Item::Char(_) if self.expansion() => {}
                Item::Char(_) => self.k += 1,
            }
        }
    }

    /// After `$'` or a backtick: up to the closing `close` (every substitution refused).
    fn escaped_quote(&mut self, close: char) {
        while self.k < self.limit {
            let item = self.items[self.k];
            match item {
                Item::Sub(s) => self.sub(s, Quoting::Raw),
                Item::Char('\\') => self.k += 1 + usize::from(self.ch(self.k + 1).is_some()),
                Item::Char(c) => {
                    self.k += 1;
                    if c == close {
                        return;
                    }
                }
            }
        }
    }

    /// After `${`: up to the matching `}` (every substitution refused).
    fn parameter(&mut self) {
        while self.k < self.limit {
            let item = self.items[self.k];
            match item {
                Item::Sub(s) => self.sub(s, Quoting::Raw),
                Item::Char('}') => {
                    self.k += 1;
                    return;
                }
                Item::Char('\\') => self.k += 1 + usize::from(self.ch(self.k + 1).is_some()),
                Item::Char('\'') => {
                    self.k += 1;
                    self.single();
                }
                Item::Char('"') => {
                    self.k += 1;
                    self.double();
                }
                Item::Char(_) if self.expansion() => {}
                Item::Char(_) => self.k += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests;
