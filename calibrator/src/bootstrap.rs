//! Seeded percentile bootstrap.
//!
//! Method: Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13: resample
//! the observations with replacement `B` times, compute the statistic on each resample,
//! and take the α/2 and 1 − α/2 quantiles of those values as the interval. The generator
//! is ChaCha8 seeded by the caller, so a stored result can be reproduced exactly.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::distributions::{normal_sf, t_quantile};
use crate::error::{check_samples, StatsError};
use crate::summary::{median_in_place, quantile_sorted};

/// Resamples used unless a caller asks otherwise (DESIGN: at least 10 000).
pub const DEFAULT_RESAMPLES: usize = 10_000;

/// Confidence level of every interval calibench reports.
pub const CONFIDENCE: f64 = 0.95;

/// A two-sided confidence interval around a point estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceInterval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
}

impl ConfidenceInterval {
    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether `value` lies inside the closed interval.
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

/// Bootstrap replicates of a statistic of one or more independent groups: each
/// replicate resamples every group with replacement (in the order given, from one
/// ChaCha8 stream seeded with `seed`) and passes the resampled groups to `statistic`.
/// The one resampler of calibench: intervals of a median, of a ratio of medians and of
/// a mean of paired log ratios all draw from it.
pub fn replicates<F>(groups: &[&[f64]], resamples: usize, seed: u64, mut statistic: F) -> Vec<f64>
where
    F: FnMut(&mut [Vec<f64>]) -> f64,
{
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scratch: Vec<Vec<f64>> = groups.iter().map(|g| g.to_vec()).collect();
    let mut out = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for (group, slot) in groups.iter().zip(scratch.iter_mut()) {
            let n = group.len();
            for x in slot.iter_mut() {
                *x = group[rng.random_range(0..n)];
            }
        }
        out.push(statistic(&mut scratch));
    }
    out
}

/// Percentile-bootstrap interval of an arbitrary statistic of one sample.
///
/// `statistic` receives a scratch buffer holding one resample (it may reorder it) and must
/// return a finite value. Needs at least two samples: a single value has no spread.
pub fn bootstrap_ci<F>(
    samples: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
    mut statistic: F,
) -> Result<ConfidenceInterval, StatsError>
where
    F: FnMut(&mut [f64]) -> f64,
{
    check_samples(samples, 2)?;
    check_level(level, resamples)?;
    let estimate = statistic(&mut samples.to_vec());
    let stats = replicates(&[samples], resamples, seed, |g| statistic(&mut g[0]));
    interval_from(estimate, stats, level)
}

/// Expanded percentile-bootstrap interval of a mean (Hesterberg, "What Teachers Should
/// Know About the Bootstrap", The American Statistician 69, 2015, §4.1): plain
/// percentile intervals of a mean are too narrow at small n, so the tail probability α′
/// is chosen with z₁₋α′/₂ = √(n/(n−1)) · t₁₋α/₂,ₙ₋₁. Needs at least two values.
pub fn expanded_mean_ci(
    values: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<ConfidenceInterval, StatsError> {
    check_samples(values, 2)?;
    check_level(level, resamples)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let estimate = mean(values);
    let stats = replicates(&[values], resamples, seed, |g| mean(&g[0]));
    interval_from(estimate, stats, 1.0 - expanded_alpha(level, values.len()))
        .map(|ci| ConfidenceInterval { level, ..ci })
}

/// The tail probability of Hesterberg's expanded percentile interval for n values.
pub fn expanded_alpha(level: f64, n: usize) -> f64 {
    let n = n as f64;
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, n - 1.0);
    (2.0 * normal_sf((n / (n - 1.0)).sqrt() * t)).clamp(1e-6, 1.0 - level)
}

/// Percentile-bootstrap interval of the median.
pub fn bootstrap_median_ci(
    samples: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<ConfidenceInterval, StatsError> {
    bootstrap_ci(samples, level, resamples, seed, median_in_place)
}

pub(crate) fn check_level(level: f64, resamples: usize) -> Result<(), StatsError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidParameter(
            "confidence level must be between 0 and 1",
        ));
    }
    if resamples < 100 {
        return Err(StatsError::InvalidParameter(
            "at least 100 bootstrap resamples are needed",
        ));
    }
    Ok(())
}

/// Turns bootstrap replicates into a percentile interval, keeping the point estimate
/// inside it (a skewed replicate distribution can otherwise exclude it by rounding).
pub(crate) fn interval_from(
    estimate: f64,
    mut replicates: Vec<f64>,
    level: f64,
) -> Result<ConfidenceInterval, StatsError> {
    if let Some(index) = replicates.iter().position(|v| !v.is_finite()) {
        return Err(StatsError::NotFinite { index });
    }
    if !estimate.is_finite() {
        return Err(StatsError::NotFinite { index: 0 });
    }
    replicates.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    let low = quantile_sorted(&replicates, alpha / 2.0).min(estimate);
    let high = quantile_sorted(&replicates, 1.0 - alpha / 2.0).max(estimate);
    Ok(ConfidenceInterval {
        estimate,
        low,
        high,
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::{bootstrap_median_ci, ChaCha8Rng, StatsError};
    use proptest::prelude::{prop, prop_assert, proptest, ProptestConfig, TestCaseError};
    use rand::{Rng, SeedableRng};

    fn normal_samples(n: usize, mean: f64, sd: f64, seed: u64) -> Vec<f64> {
        // Box–Muller; good enough to make known-answer data.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let u1: f64 = rng.random_range(f64::EPSILON..1.0);
                let u2: f64 = rng.random_range(0.0..1.0);
                mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
            })
            .collect()
    }

    #[test]
    fn same_seed_same_interval() -> Result<(), StatsError> {
        let v = normal_samples(50, 10.0, 1.0, 1);
        let a = bootstrap_median_ci(&v, 0.95, 2_000, 7)?;
        let b = bootstrap_median_ci(&v, 0.95, 2_000, 7)?;
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn covers_the_true_median_about_95_percent_of_the_time() -> Result<(), StatsError> {
        // Coverage check: 200 independent data sets from N(100, 5); the percentile bootstrap
        // of the median should cover 100 in roughly 95 % of them (binomial sd ≈ 1.5 %).
        let trials = 200;
        let mut covered = 0;
        for t in 0..trials {
            let v = normal_samples(40, 100.0, 5.0, 1_000 + t);
            if bootstrap_median_ci(&v, 0.95, 1_000, t)?.contains(100.0) {
                covered += 1;
            }
        }
        let rate = f64::from(covered) / trials as f64;
        assert!((0.88..=0.99).contains(&rate), "coverage {rate}");
        Ok(())
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            bootstrap_median_ci(&[1.0], 0.95, 1000, 0),
            Err(StatsError::TooFewSamples { .. })
        ));
        assert!(matches!(
            bootstrap_median_ci(&[1.0, f64::NAN], 0.95, 1000, 0),
            Err(StatsError::NotFinite { index: 1 })
        ));
        assert!(bootstrap_median_ci(&[1.0, 2.0], 1.5, 1000, 0).is_err());
        assert!(bootstrap_median_ci(&[1.0, 2.0], 0.95, 10, 0).is_err());
    }

    #[test]
    fn zero_spread_gives_a_point_interval() -> Result<(), StatsError> {
        let ci = bootstrap_median_ci(&[2.0; 10], 0.95, 1000, 0)?;
        assert!(ci.low <= 2.0 && ci.high >= 2.0 && ci.half_width() < 1e-12);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn interval_brackets_the_median(v in prop::collection::vec(0.001f64..1e3, 2..60), seed in 0u64..1000) {
            let ci = bootstrap_median_ci(&v, 0.95, 500, seed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(ci.low <= ci.estimate && ci.estimate <= ci.high);
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(ci.low >= min && ci.high <= max);
        }
    }
}
