//! The runtime's layers never loop back: kernel < process < action < engine, host and
//! config pure, and no module uses a module that uses it back.
//!
//! Read from the sources of execo-runtime/src, simply: in each file, every `crate::X`
//! (also inside `crate::{X, Y}`, and `$crate::X` in macros) is a use of top-level module
//! `X` (a name re-exported at the crate root by `pub use X::...` counts as `X`); in a
//! file of a directory module `d`, `super::Y` and `crate::d::Y` are uses of its sibling
//! `d/Y`. Comment lines (`//`, `///`, `//!`) do not count: a doc link is not a
//! dependency, and docs may point anywhere. Test code inside a module counts as the
//! module's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Who uses whom: `"action" -> {"host", ...}`, `"sweep/state" -> {"sweep/files", ...}`.
type Uses = BTreeMap<String, BTreeSet<String>>;

/// Loops known and left for their owner to break; each entry must still be a loop, so
/// that the list only shrinks.
const KNOWN_LOOPS: &[(&str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("execo-runtime/src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file, comment lines left out.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segment of every path after `prefix` (`crate::`, `super::`), including
/// each path of a `prefix{a, b::c}` group; the second segment too, when there is one.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<(&'a str, Option<&'a str>)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let item = item.trim();
                let first = ident_at(item);
                let second = item[first.len()..]
                    .strip_prefix("::")
                    .map(ident_at)
                    .filter(|s| !s.is_empty());
                out.push((first, second));
            }
        } else {
            let first = ident_at(rest);
            let second = rest[first.len()..]
                .strip_prefix("::")
                .map(ident_at)
                .filter(|s| !s.is_empty());
            out.push((first, second));
        }
    }
    out.retain(|(first, _)| !first.is_empty());
    out
}

/// Names re-exported at the crate root (`pub use host::{ConnectionParams, Host}`): their
/// module.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let lib = lib.replace('\n', " ");
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = ident_at(rest.trim());
        let items = rest.split_once("::").map_or("", |(_, i)| i);
        for name in items.split([',', '{', '}', ' ']) {
            let name = ident_at(name.trim());
            if !name.is_empty() {
                out.insert(name.to_string(), module.to_string());
            }
        }
    }
    out
}

fn uses() -> Uses {
    let src = src();
    let reexports = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 20,
        "execo-runtime/src not found at {}",
        src.display()
    );
    let top_modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel.components().next()?.as_os_str().to_str()?;
            Some(first.trim_end_matches(".rs").to_string())
        })
        .filter(|m| m != "lib")
        .collect();
    let mut uses = Uses::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|c| c.to_str().unwrap().trim_end_matches(".rs").to_string())
            .collect();
        let top = parts[0].clone();
        if top == "lib" {
            continue;
        }
        // `d/x.rs` and `d/x/...`: submodule `d/x`; `d/mod.rs` is `d` itself.
        let sub = (parts.len() >= 2 && parts[1] != "mod").then(|| format!("{top}/{}", parts[1]));
        let siblings: BTreeSet<String> = if sub.is_some() {
            std::fs::read_dir(src.join(&top))
                .unwrap()
                .map(|e| {
                    let name = e.unwrap().file_name().into_string().unwrap();
                    name.trim_end_matches(".rs").to_string()
                })
                .filter(|n| n != "mod")
                .collect()
        } else {
            BTreeSet::new()
        };
        let code = code(&std::fs::read_to_string(file).unwrap());
        for (first, second) in paths_after(&code, "crate::") {
            let module = if top_modules.contains(first) {
                first.to_string()
            } else if let Some(m) = reexports.get(first) {
                m.clone()
            } else {
                continue;
            };
            if module != top {
                uses.entry(top.clone()).or_default().insert(module);
            } else if let (Some(sub), Some(second)) = (&sub, second)
                && siblings.contains(second)
                && *sub != format!("{top}/{second}")
            {
                uses.entry(sub.clone())
                    .or_default()
                    .insert(format!("{top}/{second}"));
            }
        }
        // `super::` of a file right inside `d/` names `d`'s items: its siblings.
        if let Some(sub) = &sub
            && parts.len() == 2
        {
            for (first, _) in paths_after(&code, "super::") {
                if siblings.contains(first) && *sub != format!("{top}/{first}") {
                    uses.entry(sub.clone())
                        .or_default()
                        .insert(format!("{top}/{first}"));
                }
            }
        }
    }
    uses
}

fn uses_of<'a>(uses: &'a Uses, module: &str) -> impl Iterator<Item = &'a String> {
    uses.get(module).into_iter().flatten()
}

#[test]
fn no_two_runtime_modules_use_each_other() {
    let uses = uses();
    assert!(
        uses_of(&uses, "action").any(|m| m == "process"),
        "the reader finds nothing: {uses:?}"
    );
    let mut loops = Vec::new();
    for (a, used) in &uses {
        for b in used {
            if a < b && uses_of(&uses, b).any(|m| m == a) {
                loops.push((a.as_str(), b.as_str()));
            }
        }
    }
    let unknown: Vec<_> = loops.iter().filter(|l| !KNOWN_LOOPS.contains(l)).collect();
    assert!(
        unknown.is_empty(),
        "modules that use each other: {unknown:?}"
    );
    for known in KNOWN_LOOPS {
        assert!(
            loops.contains(known),
            "{known:?} is no loop any more: remove it from KNOWN_LOOPS"
        );
    }
}

#[test]
fn lower_layers_never_use_higher_ones() {
    let uses = uses();
    for (module, forbidden) in [
        ("kernel", &["process", "action", "engine", "sweep"][..]),
        ("process", &["action", "engine"]),
        ("action", &["engine"]),
        ("host", &["process", "action", "engine", "kernel"]),
        ("config", &["process", "action", "engine", "kernel"]),
    ] {
        let bad: Vec<&String> = uses_of(&uses, module)
            .filter(|m| forbidden.contains(&m.as_str()))
            .collect();
        assert!(bad.is_empty(), "`{module}` uses {bad:?}");
    }
}

#[test]
fn the_reader_sees_groups_reexports_and_siblings() {
    let code = "use crate::{Error, host::Host};\nlet x = $crate::process::Process;\n\
                // crate::engine in a comment\nuse super::files::{self, DirLock};";
    let code = self::code(code);
    assert_eq!(
        paths_after(&code, "crate::"),
        [
            ("Error", None),
            ("host", Some("Host")),
            ("process", Some("Process"))
        ]
    );
    assert_eq!(paths_after(&code, "super::"), [("files", None)]);
    let re = root_reexports("pub use host::{ConnectionParams, Host};\npub use error::Error;");
    assert_eq!(re.get("Host").map(String::as_str), Some("host"));
    assert_eq!(re.get("Error").map(String::as_str), Some("error"));
}
