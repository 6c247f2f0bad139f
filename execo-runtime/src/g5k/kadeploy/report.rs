//! What kadeploy3 says it did, read from its output: the node files it writes with
//! `-o`/`-n` (the deployed and undeployed lists, exact), and its printed result, which
//! alone gives each failed node's reason.
//!
//! The printed result comes in two shapes (madynes/kadeploy): since 3.2,
//! `The deployment is successful on nodes` then one node a line, and `The deployment
//! failed on nodes` then `node (reason)` lines; before, `Nodes correctly deployed on
//! cluster X` and `Nodes not correctly deployed on cluster X`, some versions
//! capitalising `Correctly`: headers are matched without regard to case. Only names
//! that were asked for are taken from the output, so debug lines (`-d`) and other noise
//! never turn into nodes.

use std::collections::{BTreeMap, BTreeSet};

/// The line printed before the contents of the `-o` file (the deployed nodes).
pub const OK_MARK: &str = "=== execo: kadeploy3 -o ===";
/// The line printed before the contents of the `-n` file (the undeployed nodes).
pub const KO_MARK: &str = "=== execo: kadeploy3 -n ===";
/// The line printed after both files.
pub const END_MARK: &str = "=== execo: end ===";

/// kadeploy3's account of one run: which of the nodes asked for it deployed, which it
/// did not, and why not when it said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KadeployReport {
    /// The nodes deployed, as they were asked for.
    pub deployed: BTreeSet<String>,
    /// The nodes not deployed, with kadeploy's reason when it gave one.
    pub undeployed: BTreeMap<String, Option<String>>,
    /// Whether the sets come from the `-o`/`-n` node files (else from the printed result).
    pub from_node_files: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Ok,
    Ko,
}

/// The section a line opens, if it is a result header of either shape.
fn header(line: &str) -> Option<Section> {
    let l = line.trim().to_ascii_lowercase();
    if l.starts_with("nodes not correctly deployed") {
        return Some(Section::Ko);
    }
    if l.starts_with("nodes correctly deployed") {
        return Some(Section::Ok);
    }
    let rest = l.strip_prefix("the ")?;
    let (_, rest) = rest.split_once(' ')?;
    if rest.starts_with("is successful on nodes") {
        Some(Section::Ok)
    } else if rest.starts_with("failed on nodes") {
        Some(Section::Ko)
    } else {
        None
    }
}

/// The requested name `printed` stands for: itself, or the short name it completes
/// (`taurus-1` asked, `taurus-1.lyon.grid5000.fr` printed).
fn requested_name<'a>(printed: &str, requested: &'a BTreeSet<String>) -> Option<&'a String> {
    requested.get(printed).or_else(|| {
        let short = printed.split('.').next()?;
        requested.get(short).filter(|_| printed.contains('.'))
    })
}

/// Reads kadeploy3's output (with the node files after [`OK_MARK`] and [`KO_MARK`] when
/// the command printed them) for the nodes in `requested`.
pub fn parse(output: &str, requested: &BTreeSet<String>) -> KadeployReport {
    let mut printed_ok = BTreeSet::new();
    let mut printed_ko: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut file_ok = BTreeSet::new();
    let mut file_ko = BTreeSet::new();
    let mut files_seen = false;
    let mut section = Section::None;
    // Which node file we are in: 0 none, 1 the -o file, 2 the -n file.
    let mut file = 0;
    for line in output.lines() {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        match line.trim() {
            OK_MARK => {
                (file, files_seen) = (1, true);
                continue;
            }
            KO_MARK => {
                file = 2;
                continue;
            }
            END_MARK => {
                file = 0;
                continue;
            }
            _ => {}
        }
        if file != 0 {
            if let Some(h) = requested_name(line.trim(), requested) {
                if file == 1 {
                    file_ok.insert(h.clone());
                } else {
                    file_ko.insert(h.clone());
                }
            }
            continue;
        }
        if let Some(s) = header(line) {
            section = s;
            continue;
        }
        let (name, reason) = match line.trim().split_once(char::is_whitespace) {
            Some((n, r)) => (n, Some(r.trim())),
            None => (line.trim(), None),
        };
        // A node line: a name alone, or (failed nodes) a name and `(reason)`.
        let node_line = match reason {
            None => true,
            Some(r) => section == Section::Ko && r.starts_with('('),
        };
        let host = requested_name(name, requested);
        if node_line && host.is_none() && section != Section::None {
            // A node not asked for: not ours, but the list goes on.
            continue;
        }
        match (section, host, reason) {
            (Section::Ok, Some(h), None) => {
                printed_ok.insert(h.clone());
            }
            (Section::Ko, Some(h), reason) => {
                let reason = reason
                    .map(|r| r.strip_prefix('(').unwrap_or(r))
                    .map(|r| r.strip_suffix(')').unwrap_or(r).trim().to_string())
                    .filter(|r| !r.is_empty());
                printed_ko.insert(h.clone(), reason);
            }
            _ => section = Section::None,
        }
    }
    let from_node_files = files_seen && !(file_ok.is_empty() && file_ko.is_empty());
    if !from_node_files {
        return KadeployReport {
            deployed: printed_ok,
            undeployed: printed_ko,
            from_node_files,
        };
    }
    let undeployed = file_ko
        .into_iter()
        .filter(|h| !file_ok.contains(h))
        .map(|h| {
            let reason = printed_ko.get(&h).cloned().flatten();
            (h, reason)
        })
        .collect();
    KadeployReport {
        deployed: file_ok,
        undeployed,
        from_node_files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    const NODES: [&str; 3] = [
        "taurus-1.lyon.grid5000.fr",
        "taurus-2.lyon.grid5000.fr",
        "sagittaire-3.lyon.grid5000.fr",
    ];

    #[test]
    fn the_3_2_format_gives_both_lists_and_the_reasons() {
        let out = "Deployment #D-2b1e started\r\n\
                   [lyon] Grab the key file /home/me/.ssh/authorized_keys\r\n\
                   The deployment is successful on nodes\r\n\
                   taurus-1.lyon.grid5000.fr\r\n\
                   sagittaire-3.lyon.grid5000.fr\r\n\
                   The deployment failed on nodes\r\n\
                   taurus-2.lyon.grid5000.fr (BootNewEnv-reboot: timeout in the reboot step)\r\n";
        let r = parse(out, &asked(&NODES));
        assert_eq!(
            r.deployed,
            asked(&["taurus-1.lyon.grid5000.fr", "sagittaire-3.lyon.grid5000.fr"])
        );
        assert_eq!(
            r.undeployed.get("taurus-2.lyon.grid5000.fr"),
            Some(&Some(
                "BootNewEnv-reboot: timeout in the reboot step".to_string()
            ))
        );
        assert!(!r.from_node_files);
    }

    #[test]
    fn the_old_per_cluster_format_is_read_whatever_the_case() {
        let out = "Nodes Correctly deployed on cluster taurus\n\
                   taurus-1.lyon.grid5000.fr\n\
                   Nodes not correctly deployed on cluster taurus\n\
                   taurus-2.lyon.grid5000.fr (SetDeploymentEnv: cannot reach the node)\n\
                   nodes correctly deployed on cluster sagittaire\n\
                   sagittaire-3.lyon.grid5000.fr\n\
                   Summary: 2 deployed, 1 failed\n";
        let r = parse(out, &asked(&NODES));
        assert_eq!(
            r.deployed,
            asked(&["taurus-1.lyon.grid5000.fr", "sagittaire-3.lyon.grid5000.fr"])
        );
        assert_eq!(
            r.undeployed["taurus-2.lyon.grid5000.fr"].as_deref(),
            Some("SetDeploymentEnv: cannot reach the node")
        );
    }

    #[test]
    fn node_files_decide_and_the_output_gives_the_reasons() {
        let out = format!(
            "The deployment failed on nodes\n\
             taurus-2.lyon.grid5000.fr (Deploy: disk error)\n\
             \n{OK_MARK}\ntaurus-1.lyon.grid5000.fr\n{KO_MARK}\ntaurus-2.lyon.grid5000.fr\n\
             sagittaire-3.lyon.grid5000.fr\n{END_MARK}\n"
        );
        let r = parse(&out, &asked(&NODES));
        assert!(r.from_node_files);
        assert_eq!(r.deployed, asked(&["taurus-1.lyon.grid5000.fr"]));
        assert_eq!(
            r.undeployed["taurus-2.lyon.grid5000.fr"].as_deref(),
            Some("Deploy: disk error")
        );
        assert_eq!(r.undeployed["sagittaire-3.lyon.grid5000.fr"], None);
    }

    #[test]
    fn empty_node_files_fall_back_to_the_printed_result() {
        let out = format!(
            "The deployment is successful on nodes\ntaurus-1.lyon.grid5000.fr\n{OK_MARK}\n{KO_MARK}\n{END_MARK}\n"
        );
        let r = parse(&out, &asked(&NODES));
        assert!(!r.from_node_files);
        assert_eq!(r.deployed, asked(&["taurus-1.lyon.grid5000.fr"]));
    }

    #[test]
    fn names_not_asked_for_and_noise_are_ignored() {
        let out = "The deployment is successful on nodes\n\
                   other-9.nancy.grid5000.fr\n\
                   taurus-1.lyon.grid5000.fr\n\
                   Some debug line\n\
                   taurus-2.lyon.grid5000.fr\n";
        let r = parse(out, &asked(&NODES));
        assert_eq!(r.deployed, asked(&["taurus-1.lyon.grid5000.fr"]));
        assert!(r.undeployed.is_empty());
    }

    #[test]
    fn short_names_asked_for_match_the_printed_fqdns() {
        let out = "The deployment is successful on nodes\ntaurus-1.lyon.grid5000.fr\n";
        let r = parse(out, &asked(&["taurus-1"]));
        assert_eq!(r.deployed, asked(&["taurus-1"]));
    }
}
