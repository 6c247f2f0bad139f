//! matplotlib's box statistics: the numbers a box is drawn from, apart from any file
//! or drawing so they can be checked against numpy's.

/// A box's numbers, as matplotlib's `boxplot` computes them.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// First quartile (25th percentile, linear interpolation).
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// The lowest value at or above `q1 - 1.5 IQR` (or `q1` if none is below it).
    pub whisker_low: f64,
    /// The highest value at or below `q3 + 1.5 IQR` (or `q3` if none is above it).
    pub whisker_high: f64,
    /// Values beyond the whiskers, ascending.
    pub outliers: Vec<f64>,
}

impl BoxStats {
    /// The box of `values` (any order); `None` when there are none or one is NaN.
    pub fn of(values: &[f64]) -> Option<BoxStats> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let (q1, median, q3) = (
            percentile(&v, 25.0),
            percentile(&v, 50.0),
            percentile(&v, 75.0),
        );
        let iqr = q3 - q1;
        let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        // matplotlib's cbook.boxplot_stats: the whisker stops at the box when no value
        // lies between the box and the fence.
        let whisker_low = v.iter().copied().find(|&x| x >= lo).filter(|&x| x <= q1);
        let whisker_high = v
            .iter()
            .rev()
            .copied()
            .find(|&x| x <= hi)
            .filter(|&x| x >= q3);
        let (whisker_low, whisker_high) = (whisker_low.unwrap_or(q1), whisker_high.unwrap_or(q3));
        let outliers = v
            .iter()
            .copied()
            .filter(|&x| x < whisker_low || x > whisker_high)
            .collect();
        Some(BoxStats {
            q1,
            median,
            q3,
            whisker_low,
            whisker_high,
            outliers,
        })
    }
}

/// The `p`th percentile (0..=100) of ascending `sorted`, interpolated linearly between
/// the closest ranks (`numpy.percentile`'s default); NaN when empty, finite when the
/// values are.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = p.clamp(0.0, 100.0) / 100.0 * last as f64;
    let below = rank.floor() as usize;
    let above = (below + 1).min(last);
    let frac = rank - below as f64;
    let (a, b) = (sorted[below], sorted[above]);
    let gap = b - a;
    if gap.is_finite() {
        a + gap * frac
    } else {
        // Values whose distance overflows (-1e308 and 1e308): the same point, computed
        // without the overflow.
        a * (1.0 - frac) + b * frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_values_whose_distance_overflows_stay_finite() {
        let v = [-1e308, 1e308];
        assert_eq!(percentile(&v, 25.0), -5e307);
        assert_eq!(percentile(&v, 50.0), 0.0);
        assert_eq!(percentile(&[f64::MIN, f64::MAX], 100.0), f64::MAX);
        let s = BoxStats::of(&[-1e308, 1e308, 1e308]).unwrap();
        assert!(s.q1.is_finite() && s.q3 == 1e308, "{s:?}");
    }
}
