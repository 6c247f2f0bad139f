//! Writing node sets back in the compact syntax: names grouped by what surrounds their
//! last run of digits, consecutive numbers as ranges, padding kept.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// A name split around its last run of ASCII digits.
struct Split<'a> {
    prefix: &'a str,
    digits: &'a str,
    suffix: &'a str,
    value: u64,
}

fn split_last_number(name: &str) -> Option<Split<'_>> {
    let bytes = name.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &name[start..end];
    Some(Split {
        prefix: &name[..start],
        digits,
        suffix: &name[end..],
        value: digits.parse().ok()?,
    })
}

/// The padding width a run of digits declares: its length if it has a leading zero.
fn padding(digits: &str) -> usize {
    if digits.len() > 1 && digits.starts_with('0') {
        digits.len()
    } else {
        0
    }
}

/// The folded form of `hosts` (see [`NodeSet::fold`](super::NodeSet::fold)).
pub(super) fn fold(hosts: &[Arc<str>]) -> String {
    // Each numbered name's family: the names with the same prefix and suffix. Neighbours
    // usually share theirs, so the last one is tried before the map.
    struct Family<'a> {
        prefix: &'a str,
        suffix: &'a str,
        /// The padding widths seen in the family.
        widths: Vec<usize>,
    }
    let mut families: Vec<Family<'_>> = Vec::new();
    let mut family_index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut splits: Vec<Option<(Split<'_>, usize)>> = Vec::with_capacity(hosts.len());
    let mut last: Option<usize> = None;
    for host in hosts {
        let Some(split) = split_last_number(host) else {
            splits.push(None);
            continue;
        };
        let f = match last {
            Some(f) if families[f].prefix == split.prefix && families[f].suffix == split.suffix => {
                f
            }
            _ => *family_index
                .entry((split.prefix, split.suffix))
                .or_insert_with(|| {
                    families.push(Family {
                        prefix: split.prefix,
                        suffix: split.suffix,
                        widths: Vec::new(),
                    });
                    families.len() - 1
                }),
        };
        last = Some(f);
        let width = padding(split.digits);
        if width > 0 && !families[f].widths.contains(&width) {
            families[f].widths.push(width);
        }
        splits.push(Some((split, f)));
    }

    // Groups in order of first appearance. A padded number goes to the group of its
    // width; an unpadded one joins the widest padded group it prints identically in
    // (its length is at least the width), if any, else the unpadded group.
    enum Item<'a> {
        Literal(&'a str),
        Group(usize),
    }
    struct Group {
        family: usize,
        width: usize,
        numbers: Vec<u64>,
    }
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut last: Option<usize> = None;
    for (host, split) in hosts.iter().zip(&splits) {
        let Some((split, f)) = split else {
            items.push(Item::Literal(host));
            continue;
        };
        let (family, width) = (
            *f,
            match padding(split.digits) {
                0 => families[*f]
                    .widths
                    .iter()
                    .copied()
                    .filter(|&w| w <= split.digits.len())
                    .max()
                    .unwrap_or(0),
                width => width,
            },
        );
        let g = match last {
            Some(g) if groups[g].family == family && groups[g].width == width => g,
            _ => *group_index.entry((family, width)).or_insert_with(|| {
                groups.push(Group {
                    family,
                    width,
                    numbers: Vec::new(),
                });
                items.push(Item::Group(groups.len() - 1));
                groups.len() - 1
            }),
        };
        last = Some(g);
        groups[g].numbers.push(split.value);
    }

    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Item::Literal(name) => out.push_str(name),
            Item::Group(g) => {
                let group = &mut groups[*g];
                let width = group.width;
                let family = &families[group.family];
                out.push_str(family.prefix);
                if let [n] = group.numbers[..] {
                    let _ = write!(out, "{n:0width$}");
                } else {
                    group.numbers.sort_unstable();
                    out.push('[');
                    let mut first = true;
                    for (low, high) in runs(&group.numbers) {
                        if !first {
                            out.push(',');
                        }
                        first = false;
                        let _ = if low == high {
                            write!(out, "{low:0width$}")
                        } else {
                            write!(out, "{low:0width$}-{high:0width$}")
                        };
                    }
                    out.push(']');
                }
                out.push_str(family.suffix);
            }
        }
    }
    out
}

/// The runs of consecutive numbers in a sorted slice, as `(low, high)`.
fn runs(numbers: &[u64]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let &low = numbers.get(i)?;
        let mut high = low;
        i += 1;
        while i < numbers.len() && high.checked_add(1) == Some(numbers[i]) {
            high = numbers[i];
            i += 1;
        }
        Some((low, high))
    })
}
