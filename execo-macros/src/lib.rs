//! Procedural macros of execo: [`remote!`], [`local!`], [`put!`] and [`get!`] build the
//! runtime's actions from a template whose substitutions are Rust values, checked when
//! the program is built; [`macro@params`] makes a typed sweep and [`macro@experiment`] an
//! experiment binary around a function.
//!
//! Use them through the facade: `execo::remote!`, or `use execo::prelude::*;`. (The
//! examples here are not compiled in this crate, which cannot depend on the facade; the
//! same ones are compiled as doctests in the facade's guide.)
//!
//! ```text
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
//!   such as `<<cfg.host>>` is not reserved either; `<<host.address>>` is an error).
//!   The macro cannot see your local variables: with `let host = ..;` in scope,
//!   `<<host>>` is still the host's address, and rustc's "unused variable: `host`" is
//!   often the only sign.
//! - Only `<<` directly followed by a name and `>>` is a substitution, so shell syntax
//!   passes through as it is: `cat <<EOF` (with its body on the next lines),
//!   `cat <<< "$v"`, `echo x >> log`, `$((1 << 3))`.
//! - **The escape**: `\<<` is a literal `<<`, for the one shell form that looks like a
//!   substitution, a heredoc glued to a redirection (`cat <<EOF>>log`). In a Rust string
//!   the backslash is doubled, or use a raw string:
//!
//! ```text
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
//! leave them. The template is read by the runtime's own reader (`execo_template`), so
//! the runtime writes each value for its place, the same way for a macro and for a
//! template built at run time:
//!
//! - outside quotes, a value is inserted as it is: it is shell text, as in execo, so
//!   `<<opts>>` with `opts = "-P 4 -t 10"` gives four arguments, and `$VAR` in it expands;
//!   `<<host>>` there is quoted as one word (hosts come from node sets and files);
//! - inside `'...'`, the value is taken literally and stays in those quotes (its `'` are
//!   written `'\''`): `'<<v>>'` is **one argument holding exactly `v`**, whatever spaces,
//!   quotes, `$`, backslashes or newlines it has;
//! - inside `"..."`, the value is taken literally too (its `\`, `"`, `$` and `` ` `` are
//!   escaped), while the template's own `$HOME` still expands: `"$HOME/<<file>>"`;
//! - `$(...)` is followed, inside double quotes too: in `"$(echo '<<v>>')"` the value is
//!   in single quotes;
//! - in a heredoc's body the value is text (`$`, `` ` `` and `\` escaped when the
//!   delimiter is not quoted); it cannot hold a newline, which the action's start refuses.
//!
//! ```text
//! let msg = r#"it's "quoted" $HOME"#;
//! local!("printf '%s\n' '<<msg>>'")   // prints: it's "quoted" $HOME
//! ```
//!
//! Where no escaping is safe the macro refuses the template: inside `$'...'` (bash and
//! dash read it differently), inside backticks, inside `${...}`, and right after a `$`.
//! [`put!`] and [`get!`] paths do not go through a shell (scp gets them as arguments):
//! their values are inserted as they are and quotes in them are plain characters.
//!
//! # Copies with paths known at run time
//!
//! `put!` and `get!` also take the files and the directory as Rust values: one path
//! (`String`, `&str`, `PathBuf`, `&Path`) or, for the files, a `Vec`, slice or array of
//! them. Those are paths, not templates (a `<<` in them is a plain `<<`), the same for
//! every host:
//!
//! ```text
//! let files: Vec<String> = configs();
//! let dest = format!("/etc/{app}");
//! put!(files to &dest on &nodes).blocking_run()?;
//! ```
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
//! - ``<<targets[0].address>>` looks like an expression, but a template takes only
//!   names ...: bind it with `let` first`` (also `<<[..]>>`, `<<f(x)>>`, `<<a b>>`: text
//!   between `<<` and `>>` that reads as an expression, not as a heredoc);
//! - `` `{{{host}}}` is execo's host syntax ...: write `<<host>>` `` and the same for
//!   `{{name}}` (only those exact shapes: `awk '{...}'` and `{{.Name}}` are text);
//! - a value where no escaping is safe (`$'<<v>>'`, backticks, `${x:-<<v>>}`, `$<<v>>`),
//!   with the fix;
//! - `<<host.address>>`: a field path on a reserved name, with the rename hint;
//! - an unknown name: rustc's E0425, with its suggestion of a close name in scope. A
//!   glued heredoc written without the escape (`cat <<EOF>>log`) also ends here, as
//!   "cannot find value `EOF`": write `\<<EOF>>log`.
//!
//! After an error the macro still yields an action of the right type, so no cascade of
//! errors follows in the code around it.

mod expand;
mod experiment;
mod params;
mod template;

use expand::Which;
use proc_macro::TokenStream;

/// A command on many hosts over ssh: `remote!("cmd <<x>>" on hosts)` is
/// `Remote::new(..)` with `<<x>>` taken from the Rust value `x` (round robin for a
/// sequence). `hosts` is anything `Remote::new` takes (`&nodes`, `[host]`, a `Vec`).
///
/// ```text
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
/// ```text
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
/// &nodes)`; or Rust values, plain paths known at run time: `put!(files to &dest on
/// &nodes)` with `files: Vec<String>` (or `&[PathBuf]`, `String`..) and `dest: String`.
#[proc_macro]
pub fn put(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Put).into()
}

/// Copies files from each host into a local directory with scp:
/// `get!(["/var/log/syslog"] to "logs/<<host>>" on hosts)` (one file may be given
/// without brackets; without `to`, into the current directory). Name the host in the
/// local directory when several hosts have files of the same name. Files and directory
/// may also be Rust values, as for [`put!`].
#[proc_macro]
pub fn get(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), Which::Get).into()
}

/// A typed sweep: `#[params(name = values, ..)]` generates a struct with one field per
/// parameter (`Serialize`, `Deserialize`, `Hash`, `Eq`, `Clone`, `Debug`) and its whole
/// sweep (`Params::sweep()`, and the runtime's `ParamSpace`).
///
/// ```text
/// #[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat: u32 = 0..3)]
/// struct Params;
/// // struct Params { pub num_flows: u64, pub cc: String, pub repeat: u32 }
/// let sweeper = ParamSweeper::open("sweeper", Params::sweep())?; // 5 × 2 × 3 = 30
/// ```
///
/// It goes on a unit struct (replaced by the struct), or on an `#[experiment]` function
/// (the struct is named after the type of its parameter, `p: Params`).
///
/// # Levels
///
/// - a literal list, `[1, 2, 4]` or `vec![..]`, a literal range, `0..3`, `1..=4`: the
///   field's type comes from the literals: `String` for strings, `bool`, `char`,
///   `Float` for floats, the suffix's type for integers (`1u8`), else `u64` (what
///   `igeom` gives), `i64` when one is negative; `Enum::A` paths give `Enum`;
/// - `igeom(..)` (`u64`) and `geom(..)` (`Float`);
/// - any other expression yielding the levels (an iterator, a `Vec`, a constant array),
///   with the type declared: `hosts: String = HOSTS`. Values are converted to the
///   declared type: `&str` to `String`, `f64` to `Float`, `&T` to `T`. The expressions
///   are evaluated when the sweep is built, in the sweep function: constants, statics and
///   function calls, not a caller's local variables.
///
/// `f64` is not a level type (a combination is `Eq` and `Hash`): `Float` is, and takes
/// `f64` levels.
///
/// # Restricted sub-sweeps
///
/// execo's `sweep({'a': [1, 2], 'b': {'x': {'c': [True, False]}, 'y': {}}})`, a level
/// that carries its own sub-parameters, is written with braces and gives the same 6
/// combinations:
///
/// ```text
/// #[params(a = [1, 2], b = { x: { c = [true, false] }, y: {} })]
/// struct Params;
/// // struct Params { pub a: u64, pub b: B }
/// // enum B { X { c: bool }, Y }      (B: Display, "x" or "y")
/// // a=1 b=x c=true, a=1 b=x c=false, a=1 b=y, a=2 b=x c=true, a=2 b=x c=false, a=2 b=y
/// match &p.b {
///     B::X { c } => ..,
///     B::Y => ..,
/// }
/// ```
///
/// The enum is named after the parameter (`b` → `B`, `tcp_mode` → `TcpMode`), or as
/// declared (`b: Mode = { .. }`); levels are names, variants their CamelCase. Levels nest.
/// A combination is stored flat, as execo's: `{"a":1,"b":"x","c":true}`, so a
/// sub-parameter's name must differ from the other parameters'.
///
/// # Errors
///
/// At compile time, on the attribute: a duplicate name, an empty list or range, levels of
/// mixed literal kinds (`[1, "a"]`, `[1, 2.5]`), an expression whose type cannot be told,
/// `f64`. A field used but not declared (`p.typo`) is rustc's E0609 on the use, with the
/// available fields.
#[proc_macro_attribute]
pub fn params(attr: TokenStream, item: TokenStream) -> TokenStream {
    experiment::params_attr(attr.into(), item.into()).into()
}

/// An experiment: a function run once per combination of its parameters, its result
/// recorded, through the engine (result directory, `-C` to continue, logs, run record,
/// progress) and a checkpointed `ParamSweeper`.
///
/// ```text
/// use execo::prelude::*;
///
/// /// TCP congestion control under parallel flows.
/// #[experiment]
/// #[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat = 0..3)]
/// async fn tcp_congestion(xp: &mut Experiment<Args>, p: Params) -> Result<Bandwidth, String> {
///     let hosts = &xp.args().hosts;
///     ..
/// }
/// ```
///
/// The function, `async` or not, takes the context by `&mut` (`Experiment`, or
/// `Experiment<Args>` with a `clap::Args` struct of its own, flattened beside the
/// engine's) and a combination by value; it returns `Result<R, E>`: `R` (`Serialize`) is
/// recorded in `results.yaml` and `results.jsonl`, an `Err` (`Display`) or a panic is
/// logged and the combination retried by the next run. Its `#[params]` gives the sweep;
/// any type implementing `ParamSpace` will do.
///
/// It generates the binary's `main` (at the crate root of a binary): the engine's
/// command line (`-C DIR`, `-l`, `-L`, `-R`, `-M`), the experiment's own, `--dry-run` (the
/// combinations left to do, nothing run) and `--list`. Experiments register with
/// `inventory`: a binary may hold several, each then a subcommand (`prog NAME -C DIR`);
/// give all of them `#[experiment(no_main)]` and write
/// `fn main() -> std::process::ExitCode { execo::engine::experiment::main() }`, or let one
/// generate it. `#[experiment(name = "..")]` names it (the function's name by default).
///
/// # A whole experiment
///
/// ```text
/// #[experiment(setup = setup, teardown = teardown, finish = finish)]
/// #[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat = 0..3)]
/// #[params(quick, num_flows = igeom(1, 20, 3), repeat = 0..1)]
/// async fn tcp_congestion(xp: &mut Experiment<Args, Setup>, p: Params) -> Result<Measure, String>
/// fn setup(xp: &Experiment<Args>) -> Result<Setup, E>
/// fn teardown(xp: &Experiment<Args>, s: Setup) -> Result<(), E>
/// fn finish(xp: &Experiment<Args>, outcome: &Outcome) -> Result<(), E>
/// ```
///
/// `setup` builds what the combinations need (a testbed, servers, a reservation), the
/// context's `xp.setup()`; it is not called when nothing is left to do, and its error
/// ends the run before any combination. `teardown` gets it back after the sweep, on
/// success, error and Ctrl-C (SIGINT, SIGTERM, SIGHUP); what a `kill -9` leaves is the
/// next run's `setup`'s to clear, told by `xp.unfinished_runs()`. `finish` (a plot, a
/// summary) runs after it unless a signal stopped the run, `xp.results()` reading every
/// result. `#[params(quick, ..)]` gives some parameters fewer levels (the others keep the
/// full sweep's) for `--quick`, and `Params::quick_sweep()`. Each is optional; the steps
/// are plain functions (use blocking calls).
#[proc_macro_attribute]
pub fn experiment(attr: TokenStream, item: TokenStream) -> TokenStream {
    experiment::experiment_attr(attr.into(), item.into()).into()
}
