//! Writing node sets back in the compact syntax, as ClusterShell writes them: every run
//! of digits in a name is a dimension, names are grouped by what surrounds their digits
//! (their pattern), patterns come in ClusterShell's order, and the indexes of a pattern
//! are folded in all its dimensions at once (`a[0-1]b[2-3]`).
//!
//! The steps are ClusterShell's (`NodeSetBase.__str__`, `RangeSet._slices_padding`,
//! `RangeSetND._fold_univariate` and `_fold_multivariate`), so that the text is the same
//! as `nodeset -f` prints for the same hosts, with one bound of our own: the quadratic
//! last pass of the n-dimensional merge is skipped above [`FULL_PASS_LIMIT`] pieces.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

/// Above this many pieces left in one pattern, the n-dimensional merge skips its
/// quadratic pass (ClusterShell does not, and takes minutes there): the text stays
/// correct, possibly in more pieces than `nodeset -f` prints.
pub(super) const FULL_PASS_LIMIT: usize = 2_000;

/// One index: a run of digits as written (its padding is part of it: `01` and `1` are
/// two indexes, as in ClusterShell).
#[derive(Clone, Copy, Debug)]
pub(super) struct Idx<'a> {
    text: &'a str,
    /// Its value, when it fits in 64 bits (a longer run never joins a range).
    value: Option<u64>,
}

impl<'a> Idx<'a> {
    pub(super) fn new(text: &'a str) -> Idx<'a> {
        Idx {
            text,
            value: text.parse().ok(),
        }
    }

    /// The digits as written.
    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    fn padded(&self) -> bool {
        self.text.len() > 1 && self.text.starts_with('0')
    }
}

impl PartialEq for Idx<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Idx<'_> {}

impl PartialOrd for Idx<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Idx<'_> {
    /// ClusterShell's order of indexes: shorter first, then by text (which, at equal
    /// length, is by value).
    fn cmp(&self, other: &Self) -> Ordering {
        (self.text.len(), self.text).cmp(&(other.text.len(), other.text))
    }
}

/// The contiguous runs of sorted, distinct indexes, as ClusterShell cuts them: a run
/// goes on while the next index is the next number and its padding fits (after a
/// padded start, the same length; after an unpadded one, unpadded).
pub(super) fn runs<'a>(sorted: &[Idx<'a>]) -> Vec<(Idx<'a>, Idx<'a>)> {
    let mut out = Vec::new();
    let mut it = sorted.iter();
    let Some(&first) = it.next() else {
        return out;
    };
    let (mut start, mut last) = (first, first);
    for &idx in it {
        let fits = if start.padded() {
            idx.text.len() == start.text.len()
        } else {
            !idx.padded()
        };
        let next =
            matches!((last.value, idx.value), (Some(l), Some(i)) if l.checked_add(1) == Some(i));
        if fits && next {
            last = idx;
        } else {
            out.push((start, last));
            (start, last) = (idx, idx);
        }
    }
    out.push((start, last));
    out
}

/// Writes sorted, distinct indexes as a range list (`1-3,5,08-10`), without brackets.
pub(super) fn write_ranges(out: &mut String, sorted: &[Idx<'_>]) {
    for (i, (low, high)) in runs(sorted).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(low.text);
        if high != low {
            out.push('-');
            out.push_str(high.text);
        }
    }
}

/// A name cut into its text pieces and its runs of ASCII digits (`texts` has one more
/// element than `digits`).
fn split(name: &str) -> (Vec<&str>, Vec<&str>) {
    let bytes = name.as_bytes();
    let (mut texts, mut digits) = (Vec::new(), Vec::new());
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        texts.push(&name[start..i]);
        if i == bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        digits.push(&name[start..i]);
        if i == bytes.len() {
            texts.push("");
            break;
        }
    }
    (texts, digits)
}

/// ClusterShell's key of a pattern: the text pieces joined by `%s`, with `%` written
/// `%%`; patterns are printed in the order of these keys.
fn key(texts: &[&str], out: &mut String) {
    out.clear();
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push_str("%s");
        }
        for c in text.chars() {
            if c == '%' {
                out.push('%');
            }
            out.push(c);
        }
    }
}

/// A set of indexes of one dimension: sorted, distinct.
type Ranges<'a> = Vec<Idx<'a>>;

/// The names sharing one pattern, folded: the pattern's text pieces and its pieces, each
/// a vector of index sets, one per dimension (none when the name has no digits).
pub(super) struct FoldedPattern<'a> {
    key: String,
    texts: Vec<&'a str>,
    vectors: Vec<Vec<Ranges<'a>>>,
}

/// A set of names folded: its patterns in ClusterShell's order.
pub(super) struct Folded<'a> {
    patterns: Vec<FoldedPattern<'a>>,
}

impl<'a> Folded<'a> {
    /// Folds distinct names.
    pub(super) fn new(hosts: &'a [Arc<str>]) -> Folded<'a> {
        struct Group<'a> {
            key: String,
            texts: Vec<&'a str>,
            /// The index vectors of the names, one after the other.
            points: Vec<Idx<'a>>,
        }
        let mut groups: Vec<Group<'a>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut buf = String::new();
        for host in hosts {
            let (texts, digits) = split(host);
            key(&texts, &mut buf);
            let g = match index.get(buf.as_str()) {
                Some(&g) => g,
                None => {
                    index.insert(buf.clone(), groups.len());
                    groups.push(Group {
                        key: buf.clone(),
                        texts,
                        points: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[g].points.extend(digits.into_iter().map(Idx::new));
        }
        let mut patterns: Vec<FoldedPattern<'a>> = groups
            .into_iter()
            .map(|g| {
                let dim = g.texts.len() - 1;
                let vectors = if dim == 0 {
                    Vec::new()
                } else {
                    fold_points(dim, &g.points)
                };
                FoldedPattern {
                    key: g.key,
                    texts: g.texts,
                    vectors,
                }
            })
            .collect();
        patterns.sort_by(|a, b| a.key.cmp(&b.key));
        Folded { patterns }
    }

    /// The folded text, `nodeset -f`'s.
    pub(super) fn text(&self) -> String {
        let mut out = String::new();
        for pattern in &self.patterns {
            if pattern.vectors.is_empty() {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(pattern.texts[0]);
                continue;
            }
            for vector in &pattern.vectors {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(pattern.texts[0]);
                for (ranges, text) in vector.iter().zip(&pattern.texts[1..]) {
                    if let [one] = &ranges[..] {
                        out.push_str(one.text);
                    } else {
                        out.push('[');
                        write_ranges(&mut out, ranges);
                        out.push(']');
                    }
                    out.push_str(text);
                }
            }
        }
        out
    }

    /// The names in `nodeset -e`'s order: by pattern, then piece by piece, each piece's
    /// indexes in order, the last dimension fastest.
    pub(super) fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for pattern in &self.patterns {
            if pattern.vectors.is_empty() {
                out.push(pattern.texts[0].to_string());
                continue;
            }
            for vector in &pattern.vectors {
                let mut cursor = vec![0usize; vector.len()];
                'product: loop {
                    let mut name = String::from(pattern.texts[0]);
                    for ((ranges, &c), text) in vector.iter().zip(&cursor).zip(&pattern.texts[1..])
                    {
                        name.push_str(ranges[c].text);
                        name.push_str(text);
                    }
                    out.push(name);
                    for d in (0..vector.len()).rev() {
                        cursor[d] += 1;
                        if cursor[d] < vector[d].len() {
                            continue 'product;
                        }
                        cursor[d] = 0;
                    }
                    break;
                }
            }
        }
        out
    }
}

/// Folds the index vectors of one pattern (`points`, `dim` indexes per name, distinct
/// vectors) into pieces.
fn fold_points<'a>(dim: usize, points: &[Idx<'a>]) -> Vec<Vec<Ranges<'a>>> {
    let count = points.len() / dim;
    // The indexes of each dimension. When the names are all the products of them
    // (names are distinct, so counting is enough), they are one piece: what
    // ClusterShell keeps for a pattern written with brackets, and what its merge ends
    // with when at most one dimension varies.
    let projections: Vec<Ranges<'a>> = (0..dim)
        .map(|d| {
            let mut ranges: Ranges<'a> = (0..count).map(|p| points[p * dim + d]).collect();
            ranges.sort_unstable();
            ranges.dedup();
            ranges
        })
        .collect();
    let product = projections
        .iter()
        .try_fold(1usize, |acc, r| acc.checked_mul(r.len()));
    if product == Some(count) {
        return vec![projections];
    }
    let vectors = points
        .chunks_exact(dim)
        .map(|point| point.iter().map(|&i| vec![i]).collect())
        .collect();
    merge(vectors)
}

/// ClusterShell's multivariate merge: sort the pieces, then merge neighbours that
/// differ in one dimension only, in cheap linear passes, then in full passes.
fn merge<'a>(mut vectors: Vec<Vec<Ranges<'a>>>) -> Vec<Vec<Ranges<'a>>> {
    let mut full = false;
    loop {
        let mut changed = false;
        sort_vectors(&mut vectors);
        if !full {
            let mut out: Vec<Vec<Ranges<'a>>> = Vec::with_capacity(vectors.len());
            let mut items = vectors.into_iter();
            if let Some(mut current) = items.next() {
                for next in items {
                    match merged(&current, &next) {
                        Some(m) => {
                            current = m;
                            changed = true;
                        }
                        None => out.push(std::mem::replace(&mut current, next)),
                    }
                }
                out.push(current);
            }
            vectors = out;
            if !changed {
                full = true;
                changed = true;
            }
        } else {
            if vectors.len() > FULL_PASS_LIMIT {
                return vectors;
            }
            let mut alive = vec![true; vectors.len()];
            for i in 0..vectors.len() {
                if !alive[i] {
                    continue;
                }
                for j in i + 1..vectors.len() {
                    if alive[j]
                        && let Some(m) = merged(&vectors[i], &vectors[j])
                    {
                        vectors[i] = m;
                        alive[j] = false;
                        changed = true;
                    }
                }
            }
            let mut keep = alive.into_iter();
            vectors.retain(|_| keep.next().unwrap_or(false));
        }
        if !changed {
            return vectors;
        }
    }
}

/// ClusterShell's order of pieces: more names first, then dimension by dimension: more
/// indexes first, lower first index (as text), lower last index (as text).
fn sort_vectors(vectors: &mut [Vec<Ranges<'_>>]) {
    vectors.sort_by_cached_key(|v| {
        let size: u128 = v.iter().map(|r| r.len() as u128).product();
        let dims: Vec<(std::cmp::Reverse<usize>, &str, &str)> = v
            .iter()
            .map(|r| {
                (
                    std::cmp::Reverse(r.len()),
                    r.first().map_or("", |i| i.text),
                    r.last().map_or("", |i| i.text),
                )
            })
            .collect();
        (std::cmp::Reverse(size), dims)
    });
}

/// Two pieces merged into one, when they differ in one dimension at most (and there
/// either do not overlap or one holds the other).
fn merged<'a>(a: &[Ranges<'a>], b: &[Ranges<'a>]) -> Option<Vec<Ranges<'a>>> {
    let mut differ = false;
    let mut out = Vec::with_capacity(a.len());
    for (ra, rb) in a.iter().zip(b) {
        if ra == rb {
            out.push(ra.clone());
            continue;
        }
        if differ {
            return None;
        }
        differ = true;
        let common = common_count(ra, rb);
        if common == 0 {
            out.push(union(ra, rb));
        } else if common == ra.len() {
            out.push(rb.clone());
        } else if common == rb.len() {
            out.push(ra.clone());
        } else {
            return None;
        }
    }
    Some(out)
}

/// How many indexes two sorted sets share.
fn common_count(a: &[Idx<'_>], b: &[Idx<'_>]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The union of two disjoint sorted sets.
fn union<'a>(a: &[Idx<'a>], b: &[Idx<'a>]) -> Ranges<'a> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
