//! execo's interval arithmetic on one element's planning (`_merge_el_planning`,
//! `_trunc_el_planning`, `_fill_el_planning_free`, `_fix_job`), step for step.
//!
//! It exists apart because the slots depend on every endpoint these steps leave: execo's
//! merge stops early (it never looks at the last interval of a list, so two
//! overlapping jobs are kept apart), and its truncation moves intervals to the end of
//! the list before sorting again. Correct-looking rewrites give other endpoints, hence
//! other slots; these do not, so a planning here has execo's slots on the same data.

use super::Span;

/// What execo adds after a job's end (`_fix_job`): OAR's two minutes of cleaning.
pub const JOB_END_MARGIN: i64 = 121;

/// A job's busy interval as execo counts it: its start, and its end plus
/// [`JOB_END_MARGIN`].
pub fn job_span(start: i64, walltime: i64) -> Span {
    (start, start + walltime + JOB_END_MARGIN)
}

/// `_merge_el_planning`: merges overlapping intervals of a sorted list, as execo does
/// (the last interval is never merged, and a list of two is left as it is).
pub fn merge(el: &mut Vec<Span>) {
    if el.len() <= 1 {
        return;
    }
    let n = el.len();
    for i in 0..n {
        let j = i + 1;
        if j >= el.len() - 1 {
            break;
        }
        loop {
            if el[i].1 >= el[j].0 {
                if el[j].1 > el[i].1 {
                    el[i] = (el[i].0, el[j].1);
                }
                el.remove(j);
                if j >= el.len() - 1 {
                    break;
                }
            } else {
                break;
            }
        }
        if j >= el.len() - 1 {
            break;
        }
    }
}

/// `_trunc_el_planning`: drops the intervals outside `[start, end]` and cuts those
/// that cross its bounds.
pub fn truncate(el: &mut Vec<Span>, start: i64, end: i64) {
    if el.is_empty() {
        return;
    }
    el.sort_unstable();
    let mut i = 0;
    while i < el.len() {
        let (s, e) = el[i];
        if e < start || s > end {
            el.remove(i);
        } else if s < start {
            el.remove(i);
            el.push((start, if e < end { e } else { end }));
        } else if e > end {
            el.remove(i);
            el.push((s, end));
        } else {
            i += 1;
        }
    }
    el.sort_unstable();
}

/// `_fill_el_planning_free`: the free intervals between the busy ones, within
/// `[start, end]`.
pub fn fill_free(busy: &[Span], start: i64, end: i64) -> Vec<Span> {
    let mut free = Vec::with_capacity(busy.len() + 1);
    let (Some(first), Some(last)) = (busy.first(), busy.last()) else {
        free.push((start, end));
        return free;
    };
    if first.0 > start {
        free.push((start, first.0));
    }
    for w in busy.windows(2) {
        free.push((w[0].1, w[1].0));
    }
    if last.1 < end {
        free.push((last.1, end));
    }
    free
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_executions_quirks() {
        // Two overlapping intervals: execo leaves them apart.
        let mut a = vec![(0, 10), (5, 20)];
        merge(&mut a);
        assert_eq!(a, vec![(0, 10), (5, 20)]);
        // Three: the first two merge, the last is never looked at.
        let mut b = vec![(0, 10), (5, 20), (15, 30)];
        merge(&mut b);
        assert_eq!(b, vec![(0, 20), (15, 30)]);
        let mut c = vec![(0, 10), (5, 20), (18, 25), (40, 50)];
        merge(&mut c);
        assert_eq!(c, vec![(0, 25), (40, 50)]);
    }

    #[test]
    fn truncate_cuts_and_drops() {
        let mut a = vec![(0, 5), (8, 12), (15, 30), (40, 50), (60, 70)];
        truncate(&mut a, 10, 45);
        assert_eq!(a, vec![(10, 12), (15, 30), (40, 45)]);
        let mut b = vec![(0, 100)];
        truncate(&mut b, 10, 45);
        assert_eq!(b, vec![(10, 45)]);
    }

    #[test]
    fn free_is_between_busy() {
        assert_eq!(fill_free(&[], 0, 10), vec![(0, 10)]);
        assert_eq!(
            fill_free(&[(2, 4), (6, 8)], 0, 10),
            vec![(0, 2), (4, 6), (8, 10)]
        );
        assert_eq!(fill_free(&[(0, 10)], 0, 10), Vec::<Span>::new());
    }
}
