//! `execo nodeset`: fold, expand and count node sets, and combine them, as ClusterShell's
//! `nodeset` does, so that the command cluster users type daily works the same here
//! (same flags, same output), on the library's [`NodeSet`].
//!
//! The arguments are read as `nodeset` reads them: `-x`, `-i` and `-X` given before the
//! first node set apply first (to an empty set), and after it everything is an operand
//! or an operation, applied left to right (`execo nodeset -f 'n[1-9]' -x n5 n10`).
//! Without node sets, standard input is read (whitespace-separated node sets, `#` starts
//! a comment), and so is `-` in place of a node set.

use std::io::{self, BufRead};
use std::process::ExitCode;

use clap::Args;
use execo::nodeset::NodeSet;

/// `execo nodeset`'s arguments (ClusterShell's `nodeset` flags).
#[derive(Args)]
pub struct NodesetArgs {
    /// Print the node set folded: `node-[1-3,5]`.
    #[arg(short = 'f', long)]
    fold: bool,
    /// Print the node names, separated by the separator (-S).
    #[arg(short = 'e', long)]
    expand: bool,
    /// Print how many nodes the set holds.
    #[arg(short = 'c', long)]
    count: bool,
    /// The separator of expanded names (`\n`, `\t` understood).
    #[arg(short = 'S', long, default_value = " ")]
    separator: String,
    /// Intersect with this node set (before the first node set; `-` reads stdin).
    #[arg(short = 'i', long = "intersection", value_name = "NODESET")]
    intersection: Vec<String>,
    /// Remove this node set (before the first node set; `-` reads stdin).
    #[arg(short = 'x', long = "exclude", value_name = "NODESET")]
    exclude: Vec<String>,
    /// Symmetric difference with this node set (before the first node set; `-` reads
    /// stdin).
    #[arg(short = 'X', long = "xor", value_name = "NODESET")]
    xor: Vec<String>,
    /// Node sets, and operations on what is to their left: `-x NODESET`,
    /// `-i NODESET`, `-X NODESET`; `-` reads standard input.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "NODESET"
    )]
    args: Vec<String>,
}

/// An operation on the set so far.
#[derive(Clone, Copy)]
enum Op {
    Intersection,
    Difference,
    Xor,
}

impl Op {
    fn apply(self, set: &NodeSet, other: &NodeSet) -> NodeSet {
        match self {
            Op::Intersection => set.intersection(other),
            Op::Difference => set.difference(other),
            Op::Xor => set.symmetric_difference(other),
        }
    }
}

pub fn nodeset(args: NodesetArgs) -> ExitCode {
    let commands = [args.fold, args.expand, args.count];
    match commands.iter().filter(|&&c| c).count() {
        0 => {
            errln!("execo nodeset: no command given: one of -f (fold), -e (expand), -c (count)");
            return ExitCode::from(2);
        }
        1 => {}
        _ => {
            errln!("execo nodeset: several commands given: only one of -f, -e, -c");
            return ExitCode::from(2);
        }
    }
    let set = match compute(&args) {
        Ok(set) => set,
        Err(e) => {
            errln!("execo nodeset: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = if args.fold {
        set.fold()
    } else if args.expand {
        set.sorted().join(&unescape(&args.separator))
    } else {
        set.len().to_string()
    };
    match outln!("{text}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::stdout_failed("nodeset", &e),
    }
}

/// The set the arguments describe.
fn compute(args: &NodesetArgs) -> Result<NodeSet, String> {
    let mut set = NodeSet::new();
    if args.args.is_empty() {
        set = stdin_set()?;
    }
    let leading = [
        (Op::Intersection, &args.intersection),
        (Op::Difference, &args.exclude),
        (Op::Xor, &args.xor),
    ];
    if set.is_empty() && leading.iter().any(|(_, v)| !v.is_empty()) {
        errln!("WARNING: empty left operand for set operation");
    }
    for (op, values) in leading {
        for value in values {
            set = op.apply(&set, &operand(value)?);
        }
    }
    let mut rest = args.args.iter();
    while let Some(arg) = rest.next() {
        let op = match arg.as_str() {
            "-i" | "--intersection" => Op::Intersection,
            "-x" | "--exclude" => Op::Difference,
            "-X" | "--xor" => Op::Xor,
            _ => {
                set.extend(operand(arg)?);
                continue;
            }
        };
        let Some(value) = rest.next() else {
            return Err(format!("`{arg}` needs a node set after it"));
        };
        set = op.apply(&set, &operand(value)?);
    }
    Ok(set)
}

/// One operand: `-` for standard input, else each line of the argument a node set.
fn operand(arg: &str) -> Result<NodeSet, String> {
    if arg == "-" {
        return stdin_set();
    }
    let mut set = NodeSet::new();
    for line in arg.lines() {
        set.extend(parse(line)?);
    }
    Ok(set)
}

fn parse(text: &str) -> Result<NodeSet, String> {
    NodeSet::parse(text).map_err(|e| format!("bad node set `{text}`: {e}"))
}

/// The union of the node sets on standard input: whitespace-separated, `#` to the end
/// of a line is a comment.
fn stdin_set() -> Result<NodeSet, String> {
    let mut set = NodeSet::new();
    for line in io::stdin().lock().lines() {
        let line = line.map_err(|e| format!("failed to read standard input: {e}"))?;
        let line = line.split('#').next().unwrap_or("");
        for word in line.split_whitespace() {
            set.extend(parse(word)?);
        }
    }
    Ok(set)
}

/// The separator with `\n`, `\t` and `\\` read as escapes, as `nodeset -S` reads them.
fn unescape(sep: &str) -> String {
    let mut out = String::new();
    let mut chars = sep.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
