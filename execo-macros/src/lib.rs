//! Procedural macros of execo: [`remote!`], [`local!`], [`put!`] and [`get!`] build the
//! runtime's actions from a template whose substitutions are Rust values, checked when
//! the program is built. (`#[params]` and `#[experiment]` arrive with their own issue.)
//!
//! Use them through the facade: `execo::remote!`, or `use execo::prelude::*;`.
//!
//! ```ignore
//! use execo::prelude::*;
//! let targets = ["srv-a", "srv-b", "srv-c", "srv-d"];
//! let n = 4;
//! let run = remote!("iperf3 -c <<targets>> -P <<n>> -p 52<<index>>" on &nodes)
//!     .window(100)
//!     .blocking_run()?;
//! ```
//!
//! # Why a macro
//!
//! execo substitutes per host at run time from strings (`{{expr}}` evaluated by Python);
//! a typo there shows up on the testbed, hours into an experiment. Here the template is
//! read at compile time: each `<<x>>` becomes a reference to the Rust value `x` in the
//! caller's scope, so an unknown name is rustc's own "cannot find value `x`", with its
//! "a local variable with a similar name exists" suggestion, pointing at the template.
//! What comes out is the runtime's action itself ([`Remote`], [`Local`], [`Put`],
//! [`Get`]), with every builder (`.params(..)`, `.window(..)`, `.name(..)`,
//! `.configure(..)`) and everything `start()` gives (wait, expect, `Report`...).
//!
//! [`Remote`]: ../execo/action/struct.Remote.html
//! [`Local`]: ../execo/action/struct.Local.html
//! [`Put`]: ../execo/action/struct.Put.html
//! [`Get`]: ../execo/action/struct.Get.html
//!
//! # Templates
//!
//! The rules are the runtime's (`execo::substitution`), so a template means the same in a
//! macro and in a file given to the `execo` command:
//!
//! - `<<x>>`, `<<x.field>>`, `<<x.0>>`: a variable or field path of the caller. Anything
//!   more (a call, an index) is bound with `let` first; keeping the grammar to names is
//!   what keeps shell syntax out of it.
//! - `<<host>>` and `<<index>>` are reserved: the host's address and its position in the
//!   action (0-based). A variable of yours named `host` or `index` therefore needs
//!   another name in a template: `let server = &host;` then `<<server>>` (a field path
//!   such as `<<cfg.host>>` is not reserved either).
//! - Only `<<` directly followed by a name and `>>` is a substitution, so shell syntax
//!   passes through as it is: `cat <<EOF` (with its body on the next lines),
//!   `cat <<< "$v"`, `echo x >> log`, `$((1 << 3))`.
//! - **The escape**: `\<<` is a literal `<<`, for the one shell form that looks like a
//!   substitution, a heredoc glued to a redirection (`cat <<EOF>>log`). In a Rust string
//!   the backslash is doubled, or use a raw string:
//!
//! ```ignore
//! remote!(r"cat \<<EOF>>/tmp/log
//! run <<index>> of <<n>> on <<host>>
//! EOF" on &nodes)
//! // each host appends `run 2 of 4 on node-3` (for the third host) to /tmp/log
//! ```
//!
//! # Sequences and single values
//!
//! For host `i`, `<<x>>` is `x[i % len]` when `x` is a sequence (six hosts and four
//! targets give targets 0 1 2 3 0 1), and `x` itself otherwise. A sequence is a type
//! implementing `execo::substitution::SubstitutionList`: slices, arrays, `Vec`,
//! `VecDeque`, `BTreeSet`, integer ranges, `NodeSet`, and references to them; anything
//! else must be `Display`. The choice is made at compile time, on stable Rust, by
//! autoref specialization: the expansion calls `(&Probe(&x)).__execo_kind()`, which
//! finds the sequence impl when `x`'s type has one and the `Display` one through a
//! further reference otherwise; the types are concrete at the call site, so this is
//! decided statically. A value that is neither gets rustc's "doesn't implement
//! `Display`" at the template. Strings (`&str`, `String`) are single values. An empty
//! sequence is an error when the action starts (the runtime's `SubstitutionError`).
//!
//! # Quoting
//!
//! Quotes in a command template mean what they mean in the shell, and a value cannot
//! leave them:
//!
//! - outside quotes, a value is inserted as it is: it is shell text, as in execo, so
//!   `<<opts>>` with `opts = "-P 4 -t 10"` gives four arguments, and `$VAR` in it expands;
//! - inside `'...'`, the value is taken literally and stays in those quotes (its `'` are
//!   written `'\''`): `'<<v>>'` is **one argument holding exactly `v`**, whatever spaces,
//!   quotes, `$`, backslashes or newlines it has;
//! - inside `"..."`, the value is taken literally too (its `\`, `"`, `$` and `` ` `` are
//!   escaped), while the template's own `$HOME` still expands: `"$HOME/<<file>>"`.
//!
//! ```ignore
//! let msg = r#"it's "quoted" $HOME"#;
//! local!("printf '%s\n' '<<msg>>'")   // prints: it's "quoted" $HOME
//! ```
//!
//! The macro reads the template as a POSIX shell does (`\` escapes, `'...'`, `"..."`,
//! `#` comments, heredoc bodies, whose quotes are not quotes and whose values are
//! inserted as they are). It does not follow nesting: inside `"$(...)"` the template
//! still counts as double-quoted. [`put!`] and [`get!`] paths do not go through a shell
//! (scp gets them as arguments): their values are inserted as they are and quotes in
//! them are plain characters. The runtime's string form, whose values are already shell
//! text, inserts values as they are everywhere.
//!
//! # Errors
//!
//! Every problem of a template is reported (not just the first), on the literal (on
//! stable Rust a span cannot point inside a literal; the message quotes the fragment),
//! with a hint:
//!
//! - ``unclosed `<<targets>`: close it with `>>` (`<<targets>>`), or write `\<<` for a
//!   literal `<<` `` (also `<<name` at the end, and `<<` at the end);
//! - ``empty substitution `<<>>`: put a variable between `<<` and `>>` ...``;
//! - `` `<<a..b>>`: `a..b` is not a Rust variable or field path ...``, and keywords;
//! - an unknown name: rustc's E0425, with its suggestion of a close name in scope. A
//!   glued heredoc written without the escape (`cat <<EOF>>log`) also ends here, as
//!   "cannot find value `EOF`": write `\<<EOF>>log`.
//!
//! After an error the macro still yields an action of the right type, so no cascade of
//! errors follows in the code around it.

mod expand;
mod template;

use expand::Which;
use proc_macro::TokenStream;

/// A command on many hosts over ssh: `remote!("cmd <<x>>" on hosts)` is
/// `Remote::new(..)` with `<<x>>` taken from the Rust value `x` (round robin for a
/// sequence). `hosts` is anything `Remote::new` takes (`&nodes`, `[host]`, a `Vec`).
///
/// ```ignore
/// use execo::prelude::*;
/// let targets = vec!["srv-a", "srv-b"];
/// let flows = 8;
/// let run = remote!("iperf3 -c <<targets>> -P <<flows>> --title '<<host>>'" on &nodes)
///     .window(64)
///     .blocking_run()?;
/// ```
///
/// See the [crate docs](crate) for templates, the escape `\<<` and quoting.
#[proc_macro]
pub fn remote(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Remote).into()
}

/// A command run locally through `sh -c`: `local!("cmd <<x>>")` once, or
/// `local!("cmd <<host>>" on hosts)` once per host with that host's substitutions (a
/// dry run of a [`remote!`], or local work about each host).
///
/// ```ignore
/// use execo::prelude::*;
/// let dir = "/tmp/results";
/// let h = local!("mkdir -p '<<dir>>'/<<host>>" on &nodes).blocking_run()?;
/// ```
#[proc_macro]
pub fn local(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Local).into()
}

/// Copies local files to each host with scp: `put!(["a", "b"] to "dir" on hosts)`
/// (one file may be given without brackets; without `to`, into the remote home). File
/// names and the directory are templates: `put!("conf/<<host>>.toml" to "/etc/app" on
/// &nodes)`.
#[proc_macro]
pub fn put(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Put).into()
}

/// Copies files from each host into a local directory with scp:
/// `get!(["/var/log/syslog"] to "logs/<<host>>" on hosts)` (one file may be given
/// without brackets; without `to`, into the current directory). Name the host in the
/// local directory when several hosts have files of the same name.
#[proc_macro]
pub fn get(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Get).into()
}
