//! Two-sample comparison of a benchmark between a baseline and a candidate.
//!
//! - Change: ratio of medians candidate/baseline − 1. Its CI: below
//!   `PRICE_BONETT_MIN_N` samples a side, a percentile bootstrap resampling each side
//!   independently (Efron & Tibshirani 1993, §13.3 two-sample); from there on the
//!   distribution-free interval of Price & Bonett (J. Stat. Comput. Simul. 72, 2002) for
//!   a ratio of medians, whose variance of each log median comes from that median's
//!   order-statistic interval. The bootstrap costs resamples × n per benchmark, which
//!   made a compare of two stored runs of 100 × 1 000 samples take 14 s.
//! - Significance: Mann–Whitney U (Wilcoxon rank-sum) test, normal approximation with
//!   tie correction and continuity correction (Hollander & Wolfe, *Nonparametric
//!   Statistical Methods*, §4.1); robust to the skew and outliers of timings.
//! - Multiplicity: Benjamini–Hochberg step-up adjusted p-values (q-values) across the
//!   suite (Benjamini & Hochberg, JRSS B 57, 1995).
//! - Minimum detectable effect: the change detectable with 80 % power at α = 0.05 given
//!   the observed noise, using the large-sample variance of a median, (π/2)·σ²/n with σ
//!   estimated robustly as 1.4826·MAD.

use serde::{Deserialize, Serialize};

use crate::bootstrap::{check_level, interval_from, replicates, DEFAULT_RESAMPLES};
pub use crate::comparison::{Comparison, Noise};
use crate::distributions::{normal_sf, t_quantile, t_sf};
use crate::error::{check_positive, StatsError};
use crate::summary::{median_in_place, Summary};

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
    let ci = if baseline.len().min(candidate.len()) >= PRICE_BONETT_MIN_N {
        price_bonett(baseline, candidate, level)?
    } else {
        let replicates = replicates(&[baseline, candidate], resamples, seed, |g| {
            let (b, c) = g.split_at_mut(1);
            median_in_place(&mut c[0]) / median_in_place(&mut b[0]) - 1.0
        });
        interval_from(estimate, replicates, level)?
    };
    Ok(Comparison {
        baseline_median: b_med,
        candidate_median: c_med,
        change: estimate,
        ci_low: ci.low,
        ci_high: ci.high,
        p_value: mann_whitney_p(baseline, candidate),
        mde: minimum_detectable_effect(baseline, candidate),
        noise: Noise {
            se_log: median_se_log(baseline, candidate).unwrap_or(f64::NAN),
            df: f64::INFINITY,
        },
    })
}

/// Samples a side from which the ratio-of-medians interval is Price & Bonett's.
pub const PRICE_BONETT_MIN_N: usize = 30;

/// Price & Bonett's interval for candidate median / baseline median − 1: the log ratio
/// ± z·√(v_b + v_c), each v the squared half-width of that side's order-statistic
/// interval of the log median over 2·z (the interval is exact-binomial, so at least
/// the nominal coverage, and the variance errs large).
fn price_bonett(
    baseline: &[f64],
    candidate: &[f64],
    level: f64,
) -> Result<crate::bootstrap::ConfidenceInterval, StatsError> {
    let z = crate::distributions::normal_quantile(1.0 - (1.0 - level) / 2.0);
    let var_log = |v: &[f64]| -> Result<(f64, f64), StatsError> {
        let ci = crate::median_ci::median_ci(v, level)?;
        let half = (ci.high.ln() - ci.low.ln()) / (2.0 * z);
        Ok((ci.estimate.ln(), half * half))
    };
    let (lb, vb) = var_log(baseline)?;
    let (lc, vc) = var_log(candidate)?;
    let d = lc - lb;
    let w = z * (vb + vc).sqrt();
    Ok(crate::bootstrap::ConfidenceInterval {
        estimate: d.exp_m1(),
        low: (d - w).exp_m1(),
        high: (d + w).exp_m1(),
        level,
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

/// Standard error of log(candidate median / baseline median) from within-run noise:
/// the large-sample variance of a median, (π/2)·σ²/n, σ = 1.4826·MAD, relative.
fn median_se_log(baseline: &[f64], candidate: &[f64]) -> Option<f64> {
    let b = Summary::new(baseline).ok()?;
    let c = Summary::new(candidate).ok()?;
    if b.median <= 0.0 || c.median <= 0.0 {
        return None;
    }
    let rel = |s: &Summary| {
        (1.4826 * s.mad / s.median).powi(2) * std::f64::consts::FRAC_PI_2 / s.n as f64
    };
    Some((rel(&b) + rel(&c)).sqrt())
}

/// Direction of a change that survived the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Slower,
    Faster,
    NoChange,
    /// Neither a change nor its absence can be claimed: a change seen only within runs
    /// (run-to-run drift is not in its interval), or no change with a detectable effect
    /// above the threshold.
    Inconclusive,
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

/// One benchmark's two sides: pooled samples, per-run medians, and the seed of the
/// bootstrap.
#[derive(Debug, Clone, Copy)]
pub struct SamplePair<'a> {
    pub baseline: &'a [f64],
    pub candidate: &'a [f64],
    /// Median of each run of the side (the unit of replication across sessions).
    pub baseline_runs: &'a [f64],
    pub candidate_runs: &'a [f64],
    /// Standard error (log scale) of an uncertainty the samples do not show but the
    /// change carries: the calibrated overheads that adjusted the values (0 for none).
    pub extra_log_se: f64,
    pub seed: u64,
}

/// What one observation is in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// Each run's median: run-to-run variation is in the interval.
    Runs,
    /// Samples of single runs: only within-run noise is in the interval.
    Samples,
    /// Paired rounds of one interleaved session (`ab`): drift hits both sides alike.
    Pairs,
}

/// A comparison with its suite-wide judgement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub comparison: Comparison,
    /// Benjamini–Hochberg adjusted p-value across the suite's compared benchmarks.
    pub q_value: f64,
    pub change: Change,
    pub replication: Replication,
    /// Slower and above `threshold`.
    pub regression: bool,
    /// With a threshold and an inconclusive result: how many times the current
    /// observations per side (runs or samples) would bring the detectable effect down to
    /// the threshold.
    pub more_needed: Option<f64>,
}

/// Compares every pair, controls the false-discovery rate across those that could be
/// compared, classifies each, and flags slowdowns above `threshold` (a fraction) as
/// regressions. The result keeps the input order.
///
/// The run is the unit when the runs allow (at least `between::MIN_RUNS_IN_ALL` in all):
/// then the verdict may be slower or faster. From the samples of single runs it may not:
/// a change they show is inconclusive. The detectable effect uses the Bonferroni level
/// α/m, the strictest step of Benjamini–Hochberg over m benchmarks; without a change,
/// a detectable effect above the threshold is inconclusive too (no silent pass).
/// Widens a comparison by an independent uncertainty `extra` (log scale) that its
/// samples do not show, adding variances (first-order propagation of independent
/// errors): each half-width h becomes √(h² + (q·extra)²), with q the interval's own
/// quantile (t at the noise's degrees of freedom), and the p-value is the t test of the
/// log change against the combined standard error.
pub fn with_extra_uncertainty(mut c: Comparison, extra: f64, level: f64) -> Comparison {
    if !(extra.is_finite() && extra > 0.0) {
        return c;
    }
    let q = t_quantile(1.0 - (1.0 - level) / 2.0, c.noise.df);
    let l = c.change.ln_1p();
    let down = (l - c.ci_low.ln_1p()).max(0.0).hypot(q * extra);
    let up = (c.ci_high.ln_1p() - l).max(0.0).hypot(q * extra);
    c.ci_low = (l - down).exp_m1();
    c.ci_high = (l + up).exp_m1();
    c.noise.se_log = c.noise.se_log.hypot(extra);
    c.p_value = (2.0 * t_sf((l / c.noise.se_log).abs(), c.noise.df)).clamp(0.0, 1.0);
    c
}

pub fn judge_suite(
    pairs: &[SamplePair<'_>],
    level: f64,
    alpha: f64,
    threshold: Option<f64>,
) -> Vec<Result<Judged, StatsError>> {
    let compared: Vec<Result<(Comparison, Replication), StatsError>> = pairs
        .iter()
        .map(|p| {
            let runs = p.baseline_runs.len() + p.candidate_runs.len();
            let compared = if runs >= crate::between::MIN_RUNS_IN_ALL
                && !p.baseline_runs.is_empty()
                && !p.candidate_runs.is_empty()
            {
                crate::between::compare_run_medians(p.baseline_runs, p.candidate_runs, level)
                    .map(|c| (c, Replication::Runs))
            } else {
                compare_samples(p.baseline, p.candidate, level, DEFAULT_RESAMPLES, p.seed)
                    .map(|c| (c, Replication::Samples))
            };
            compared.map(|(c, r)| (with_extra_uncertainty(c, p.extra_log_se, level), r))
        })
        .collect();
    let p_values: Vec<f64> = compared
        .iter()
        .filter_map(|c| c.as_ref().ok().map(|(c, _)| c.p_value))
        .collect();
    let m = p_values.len().max(1) as f64;
    let mut q_values = benjamini_hochberg(&p_values).into_iter();
    compared
        .into_iter()
        .map(|c| {
            let (mut comparison, replication) = c?;
            let q_value = q_values.next().unwrap_or(1.0);
            comparison.mde = comparison.noise.detectable(alpha / m);
            let mut change = classify(&comparison, q_value, alpha);
            if replication == Replication::Samples && change != Change::NoChange {
                change = Change::Inconclusive;
            }
            let mut more_needed = None;
            if let (Change::NoChange | Change::Inconclusive, Some(t), Some(mde)) =
                (change, threshold, comparison.mde)
            {
                if mde > t {
                    change = Change::Inconclusive;
                    more_needed = Some((mde / t).powi(2));
                }
            }
            Ok(Judged {
                comparison,
                q_value,
                change,
                replication,
                regression: change == Change::Slower
                    && threshold.is_some_and(|t| comparison.change > t),
                more_needed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_uncertainty_widens_in_quadrature_and_weakens_the_test() {
        let c = Comparison {
            baseline_median: 1.0,
            candidate_median: 1.02,
            change: 0.02f64.exp_m1(),
            ci_low: 0.01f64.exp_m1(),
            ci_high: 0.03f64.exp_m1(),
            p_value: 0.001,
            mde: None,
            noise: Noise {
                se_log: 0.005,
                df: 1e9,
            },
        };
        assert_eq!(with_extra_uncertainty(c, 0.0, 0.95), c);
        let w = with_extra_uncertainty(c, 0.015, 0.95);
        let z = 1.959964;
        let half = 0.01f64.hypot(z * 0.015);
        assert!((w.ci_high.ln_1p() - 0.02 - half).abs() < 1e-6, "{w:?}");
        assert!((0.02 - w.ci_low.ln_1p() - half).abs() < 1e-6);
        assert!((w.noise.se_log - 0.005f64.hypot(0.015)).abs() < 1e-12);
        // z = 0.02/0.0158 = 1.26: no longer significant.
        assert!((w.p_value - 0.207).abs() < 0.002, "{}", w.p_value);
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

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

    /// Skewed timings: a base plus an exponential tail, scaled by `center`.
    fn skewed(n: usize, center: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                center * (1.0 + 0.1 * (-u.ln()))
            })
            .collect()
    }

    #[test]
    fn price_bonett_intervals_cover_the_true_ratio_of_skewed_medians() -> Result<(), StatsError> {
        // The true medians are center·(1 + 0.1·ln 2); their ratio is the centers' ratio.
        let trials = 400;
        let mut covered = [0, 0];
        for t in 0..trials {
            let b = skewed(40, 1.0, 2 * t);
            for (i, ratio) in [1.0, 1.2].into_iter().enumerate() {
                let c = skewed(60, ratio, 2 * t + 1);
                let ci = price_bonett(&b, &c, 0.95)?;
                if ci.low <= ratio - 1.0 && ratio - 1.0 <= ci.high {
                    covered[i] += 1;
                }
            }
        }
        for (i, c) in covered.iter().enumerate() {
            let rate = f64::from(*c) / f64::from(trials as u32);
            assert!((0.93..=0.995).contains(&rate), "case {i}: coverage {rate}");
        }
        Ok(())
    }

    #[test]
    fn large_samples_compare_fast_and_agree_with_the_bootstrap() -> Result<(), StatsError> {
        let b = skewed(1_000, 1.0, 1);
        let c = skewed(1_000, 1.05, 2);
        let started = std::time::Instant::now();
        let pb = compare_samples(&b, &c, 0.95, DEFAULT_RESAMPLES, 3)?;
        let fast = started.elapsed();
        let boot = {
            let replicates = replicates(&[&b, &c], 5_000, 3, |g| {
                let (b, c) = g.split_at_mut(1);
                median_in_place(&mut c[0]) / median_in_place(&mut b[0]) - 1.0
            });
            interval_from(pb.change, replicates, 0.95)?
        };
        // The two intervals are about the same width (within a third) and both hold 5 %.
        let (w_pb, w_boot) = (pb.ci_high - pb.ci_low, boot.high - boot.low);
        assert!(
            (w_pb / w_boot - 1.0).abs() < 0.34,
            "{pb:?} against {boot:?}"
        );
        assert!(pb.ci_low < 0.05 && 0.05 < pb.ci_high, "{pb:?}");
        // Not a timing assertion on the machine, only a guard against a bootstrap
        // sneaking back in: 10 000 resamples of 2 000 values take over 50 ms.
        assert!(fast < std::time::Duration::from_secs(5), "{fast:?}");
        Ok(())
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
