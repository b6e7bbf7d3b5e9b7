//! Descriptive statistics of one benchmark's samples.

use serde::{Deserialize, Serialize};

use crate::error::{check_samples, StatsError};

/// Descriptive statistics of a sample.
///
/// Quantiles use linear interpolation between order statistics (Hyndman & Fan 1996,
/// definition 7, the default of R and NumPy). `mad` is the raw median absolute deviation
/// from the median (not scaled by 1.4826). `stddev` is the sample standard deviation
/// (divisor n − 1) and is `0.0` for a single sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    pub q1: f64,
    pub q3: f64,
    pub mad: f64,
}

impl Summary {
    /// Summarises `samples`; needs at least one sample, all finite.
    pub fn new(samples: &[f64]) -> Result<Self, StatsError> {
        check_samples(samples, 1)?;
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = mean_of(&sorted);
        let stddev = if n > 1 {
            let ss: f64 = sorted.iter().map(|v| (v - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let median = quantile_sorted(&sorted, 0.5);
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        Ok(Self {
            n,
            mean,
            median,
            stddev,
            min: sorted[0],
            max: sorted[n - 1],
            q1: quantile_sorted(&sorted, 0.25),
            q3: quantile_sorted(&sorted, 0.75),
            mad: quantile_sorted(&deviations, 0.5),
        })
    }

    /// Coefficient of variation (stddev / mean), when the mean is not zero.
    pub fn cv(&self) -> Option<f64> {
        (self.mean != 0.0).then(|| self.stddev / self.mean.abs())
    }
}

fn mean_of(values: &[f64]) -> f64 {
    // Kahan–Babuška summation would be overkill for benchmark sample sizes; a plain sum of
    // positive timings of similar magnitude loses nothing measurable.
    values.iter().sum::<f64>() / values.len() as f64
}

/// Quantile `p` (0..=1) of already sorted, non-empty data, definition 7 of Hyndman & Fan.
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Quantile `p` of `samples` (any order). Errors on empty or non-finite input.
pub fn quantile(samples: &[f64], p: f64) -> Result<f64, StatsError> {
    check_samples(samples, 1)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(StatsError::InvalidParameter(
            "quantile must be within 0..=1",
        ));
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(quantile_sorted(&sorted, p))
}

/// Median of `samples` (any order).
pub fn median(samples: &[f64]) -> Result<f64, StatsError> {
    quantile(samples, 0.5)
}

/// Median of a scratch buffer, reordering it; the buffer must be non-empty and finite.
pub(crate) fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    let mid = n / 2;
    let (_, upper, _) = buf.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = buf[..mid]
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn known_answers() -> Result<(), StatsError> {
        let s = Summary::new(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])?;
        assert_eq!(s.n, 8);
        assert!(close(s.mean, 5.0));
        assert!(close(s.median, 4.5));
        // Sample stddev of this classic set: sqrt(32/7).
        assert!(close(s.stddev, (32.0f64 / 7.0).sqrt()));
        assert!(close(s.min, 2.0) && close(s.max, 9.0));
        // R: quantile(c(2,4,4,4,5,5,7,9), c(.25,.75)) = 4.00 5.50
        assert!(close(s.q1, 4.0));
        assert!(close(s.q3, 5.5));
        // |x - 4.5| = 2.5 .5 .5 .5 .5 .5 2.5 4.5 -> median 0.5
        assert!(close(s.mad, 0.5));
        Ok(())
    }

    #[test]
    fn one_sample_has_zero_spread() -> Result<(), StatsError> {
        let s = Summary::new(&[3.5])?;
        assert!(close(s.median, 3.5) && close(s.stddev, 0.0) && close(s.mad, 0.0));
        Ok(())
    }

    #[test]
    fn rejects_empty_and_non_finite() {
        assert_eq!(
            Summary::new(&[]),
            Err(StatsError::TooFewSamples { needed: 1, got: 0 })
        );
        assert_eq!(
            Summary::new(&[1.0, f64::NAN]),
            Err(StatsError::NotFinite { index: 1 })
        );
        assert_eq!(
            Summary::new(&[f64::INFINITY]),
            Err(StatsError::NotFinite { index: 0 })
        );
    }

    #[test]
    fn median_in_place_matches_sorted_median() {
        let mut even = vec![4.0, 1.0, 3.0, 2.0];
        assert!(close(median_in_place(&mut even), 2.5));
        let mut odd = vec![5.0, 1.0, 3.0];
        assert!(close(median_in_place(&mut odd), 3.0));
    }

    proptest! {
        #[test]
        fn order_statistics_are_ordered(v in prop::collection::vec(-1e6f64..1e6, 1..200)) {
            let s = Summary::new(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max);
            prop_assert!(s.min <= s.mean && s.mean <= s.max);
            prop_assert!(s.stddev >= 0.0 && s.mad >= 0.0);
        }

        #[test]
        fn shifting_moves_location_not_spread(v in prop::collection::vec(0.0f64..1e3, 2..100), c in -1e3f64..1e3) {
            let a = Summary::new(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let shifted: Vec<f64> = v.iter().map(|x| x + c).collect();
            let b = Summary::new(&shifted).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!((b.median - a.median - c).abs() < 1e-6);
            prop_assert!((b.stddev - a.stddev).abs() < 1e-6);
        }

        #[test]
        fn median_in_place_agrees(v in prop::collection::vec(-1e6f64..1e6, 1..100)) {
            let mut buf = v.clone();
            let fast = median_in_place(&mut buf);
            let slow = median(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!((fast - slow).abs() <= 1e-9 * slow.abs().max(1.0));
        }
    }
}
