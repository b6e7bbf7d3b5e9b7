//! Two-sample comparison of a benchmark between a baseline and a candidate.
//!
//! - Change: ratio of medians candidate/baseline − 1, with a percentile bootstrap CI
//!   resampling each side independently (Efron & Tibshirani 1993, §13.3 two-sample).
//! - Significance: Mann–Whitney U (Wilcoxon rank-sum) test, normal approximation with
//!   tie correction and continuity correction (Hollander & Wolfe, *Nonparametric
//!   Statistical Methods*, §4.1); robust to the skew and outliers of timings.
//! - Multiplicity: Benjamini–Hochberg step-up adjusted p-values (q-values) across the
//!   suite (Benjamini & Hochberg, JRSS B 57, 1995).
//! - Minimum detectable effect: the change detectable with 80 % power at α = 0.05 given
//!   the observed noise, using the large-sample variance of a median, (π/2)·σ²/n with σ
//!   estimated robustly as 1.4826·MAD.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::bootstrap::{check_level, interval_from};
use crate::error::{check_positive, StatsError};
use crate::summary::{median_in_place, Summary};

/// The comparison of one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub baseline_median: f64,
    pub candidate_median: f64,
    /// Candidate median / baseline median − 1 (fraction; +0.06 = 6 % slower).
    pub change: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided Mann–Whitney p-value.
    pub p_value: f64,
    /// Minimum detectable change (fraction), when the noise allows an estimate.
    pub mde: Option<f64>,
}

/// Compares two samples of a time-like figure (larger is worse).
pub fn compare_samples(
    baseline: &[f64],
    candidate: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<Comparison, StatsError> {
    check_positive(baseline, 2)?;
    check_positive(candidate, 2)?;
    check_level(level, resamples)?;
    let b_med = median_in_place(&mut baseline.to_vec());
    let c_med = median_in_place(&mut candidate.to_vec());
    let estimate = c_med / b_med - 1.0;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut bs, mut cs) = (baseline.to_vec(), candidate.to_vec());
    let mut replicates = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for x in bs.iter_mut() {
            *x = baseline[rng.random_range(0..baseline.len())];
        }
        for x in cs.iter_mut() {
            *x = candidate[rng.random_range(0..candidate.len())];
        }
        replicates.push(median_in_place(&mut cs) / median_in_place(&mut bs) - 1.0);
    }
    let ci = interval_from(estimate, replicates, level)?;
    Ok(Comparison {
        baseline_median: b_med,
        candidate_median: c_med,
        change: estimate,
        ci_low: ci.low,
        ci_high: ci.high,
        p_value: mann_whitney_p(baseline, candidate),
        mde: minimum_detectable_effect(baseline, candidate),
    })
}

/// Two-sided Mann–Whitney U p-value (normal approximation, tie and continuity
/// corrections). Returns 1.0 when every value is tied.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0.total_cmp(&all[i].0).is_eq() {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += all[i..=j].iter().filter(|(_, from_a)| *from_a).count() as f64 * avg;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let nf = n as f64;
    let var = n1 * n2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    (2.0 * normal_sf(z)).min(1.0)
}

/// Upper tail of the standard normal, via the complementary error function.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// erfc with fractional error below 1.2e-7 everywhere (Chebyshev fit, Press et al.,
/// *Numerical Recipes*, 2nd ed., §6.2).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Benjamini–Hochberg adjusted p-values, in the input order.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Change detectable with 80 % power at α = 0.05 (two-sided), as a fraction of the
/// baseline median.
pub fn minimum_detectable_effect(baseline: &[f64], candidate: &[f64]) -> Option<f64> {
    let b = Summary::new(baseline).ok()?;
    let c = Summary::new(candidate).ok()?;
    if b.median <= 0.0 {
        return None;
    }
    let var = |s: &Summary| (1.4826 * s.mad).powi(2) * std::f64::consts::FRAC_PI_2 / s.n as f64;
    let se = (var(&b) + var(&c)).sqrt();
    Some((1.96 + 0.84) * se / b.median)
}

/// Direction of a change that survived the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Slower,
    Faster,
    NoChange,
}

/// Slower/faster only when the FDR-adjusted p-value is at most `alpha` **and** the
/// bootstrap interval excludes zero on that side.
pub fn classify(c: &Comparison, q_value: f64, alpha: f64) -> Change {
    if q_value <= alpha && c.ci_low > 0.0 {
        Change::Slower
    } else if q_value <= alpha && c.ci_high < 0.0 {
        Change::Faster
    } else {
        Change::NoChange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(n: usize, center: f64, noise: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let u1: f64 = rng.random_range(f64::EPSILON..1.0);
                let u2: f64 = rng.random_range(0.0..1.0);
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                center * (1.0 + noise * z)
            })
            .collect()
    }

    fn verdict_of(b: &[f64], c: &[f64]) -> (Comparison, Change) {
        let cmp = compare_samples(b, c, 0.95, 5_000, 9).expect("comparable");
        let q = benjamini_hochberg(&[cmp.p_value])[0];
        (cmp, classify(&cmp, q, 0.05))
    }

    #[test]
    fn a_five_percent_slowdown_in_three_percent_noise_is_flagged() {
        let (c, v) = verdict_of(&noisy(30, 1.0, 0.03, 1), &noisy(30, 1.05, 0.03, 2));
        assert_eq!(v, Change::Slower, "{c:?}");
        assert!(c.ci_low <= 0.05 && 0.05 <= c.ci_high, "{c:?}");
    }

    #[test]
    fn no_change_is_not_flagged() {
        let (c, v) = verdict_of(&noisy(30, 1.0, 0.03, 3), &noisy(30, 1.0, 0.03, 4));
        assert_eq!(v, Change::NoChange, "{c:?}");
    }

    #[test]
    fn a_one_percent_slowdown_stays_below_a_five_percent_threshold() {
        let (c, _) = verdict_of(&noisy(30, 1.0, 0.03, 5), &noisy(30, 1.01, 0.03, 6));
        assert!(c.change < 0.05, "{c:?}");
    }

    #[test]
    fn mann_whitney_known_answers() {
        // Complete separation of 5 vs 5: exact two-sided p = 2/252 = 0.0079; the normal
        // approximation with continuity correction gives 0.0122.
        let p = mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert!((p - 0.0122).abs() < 0.001, "{p}");
        assert!((mann_whitney_p(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]) - 1.0).abs() < 1e-9);
        assert!((mann_whitney_p(&[2.0; 4], &[2.0; 4]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn normal_tail_known_answers() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_sf(-1.0) - 0.841_344_7).abs() < 1e-6);
    }

    #[test]
    fn benjamini_hochberg_known_answer() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") = 0.04 0.0533 0.0533 0.2
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2]);
        let want = [0.04, 0.053_333, 0.053_333, 0.2];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }

    #[test]
    fn the_detectable_effect_shrinks_with_more_samples() {
        let small = minimum_detectable_effect(&noisy(10, 1.0, 0.05, 7), &noisy(10, 1.0, 0.05, 8))
            .unwrap_or(0.0);
        let large = minimum_detectable_effect(&noisy(200, 1.0, 0.05, 7), &noisy(200, 1.0, 0.05, 8))
            .unwrap_or(1.0);
        assert!(large < small / 2.0, "{small} {large}");
    }

    #[test]
    fn false_positive_rate_under_no_change_is_near_alpha() {
        // 400 A/A comparisons: the fraction classified as changed should be near 5 %
        // (both the CI and the rank test must agree, so usually below).
        let mut flagged = 0;
        for t in 0..400u64 {
            let (_, v) = verdict_of(
                &noisy(20, 1.0, 0.03, 1000 + t),
                &noisy(20, 1.0, 0.03, 5000 + t),
            );
            if v != Change::NoChange {
                flagged += 1;
            }
        }
        let rate = f64::from(flagged) / 400.0;
        assert!(rate <= 0.08, "{rate}");
    }
}
