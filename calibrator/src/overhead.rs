//! Container overhead from paired, interleaved rounds.
//!
//! Method: each round runs the probe once on the host and once in the container (in
//! randomised ABBA order), so slow drift of a shared machine hits both sides alike. The
//! overhead is the geometric mean of the per-round ratios container/host, minus one
//! (Fleming & Wallace, "How not to lie with statistics: the correct way to summarize
//! benchmark results", CACM 1986: ratios are averaged geometrically). Its confidence
//! interval is a percentile bootstrap (Efron & Tibshirani 1993, ch. 13) of the mean log
//! ratio, mapped through `exp(x) − 1`, which being monotone maps percentiles exactly.
//! Percentile intervals of a mean are too narrow for small n, so the percentiles are
//! *expanded* (Hesterberg, "What Teachers Should Know About the Bootstrap", The American
//! Statistician 69, 2015, §4.1): the tail probability α′ is chosen so that
//! z₁₋α′/₂ = √(n/(n−1)) · t₁₋α/₂,ₙ₋₁.

use serde::{Deserialize, Serialize};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bootstrap::check_level;
use crate::compare::normal_sf;
use crate::error::{check_positive, StatsError};
use crate::summary::quantile_sorted;

/// What an overhead interval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval lies within ±`EQUIVALENCE`.
    Indistinguishable,
    /// The interval lies above zero: the container is slower.
    Overhead,
    /// The interval lies below zero: the container is faster.
    FasterInContainer,
    /// The interval straddles zero but is wider than the equivalence band: more rounds
    /// are needed to say anything.
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Indistinguishable => "indistinguishable",
            Verdict::Overhead => "overhead",
            Verdict::FasterInContainer => "faster in container",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// Half-width of the equivalence band (1 %): an interval inside ±1 % is
/// "indistinguishable".
pub const EQUIVALENCE: f64 = 0.01;

/// Classifies an overhead interval (fractions, e.g. 0.02 for +2 %).
pub fn verdict(ci_low: f64, ci_high: f64) -> Verdict {
    if ci_low >= -EQUIVALENCE && ci_high <= EQUIVALENCE {
        Verdict::Indistinguishable
    } else if ci_low > 0.0 {
        Verdict::Overhead
    } else if ci_high < 0.0 {
        Verdict::FasterInContainer
    } else {
        Verdict::Inconclusive
    }
}

/// Overhead of the container over the host, as fractions (0.05 = +5 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    pub rounds: usize,
    pub overhead: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub level: f64,
    /// Standard deviation of the per-round log ratios (the noise the rounds fight).
    pub log_ratio_sd: f64,
    pub verdict: Verdict,
}

impl Overhead {
    /// Half-width of the interval in percentage points.
    pub fn half_width_pp(&self) -> f64 {
        (self.ci_high - self.ci_low) * 50.0
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Student t quantile: exact for 1 and 2 degrees of freedom, otherwise the
/// Cornish–Fisher expansion of Abramowitz & Stegun 26.7.5 (error < 1e-3 for df ≥ 3 at
/// the 97.5 % point).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let z = normal_quantile(p);
    if df <= 1.0 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df <= 2.0 {
        let a = 4.0 * p * (1.0 - p);
        return 2.0 * (p - 0.5) * (2.0 / a).sqrt();
    }
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df.powi(2))
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * df.powi(4))
}

/// The tail probability of Hesterberg's expanded percentile interval for n samples.
pub fn expanded_alpha(level: f64, n: usize) -> f64 {
    let n = n as f64;
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, n - 1.0);
    (2.0 * normal_sf((n / (n - 1.0)).sqrt() * t)).clamp(1e-6, 1.0 - level)
}

/// Overhead from paired rounds: `host[i]` and `container[i]` were measured in round i.
/// Values must be positive times (or any time-like figure where larger is worse).
pub fn paired_overhead(
    host: &[f64],
    container: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<Overhead, StatsError> {
    if host.len() != container.len() {
        return Err(StatsError::InvalidParameter(
            "host and container rounds must pair up",
        ));
    }
    check_positive(host, 2)?;
    check_positive(container, 2)?;
    check_level(level, resamples)?;
    let logs: Vec<f64> = host
        .iter()
        .zip(container)
        .map(|(h, c)| (c / h).ln())
        .collect();
    let n = logs.len();
    let m = mean(&logs);
    let sd = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scratch = vec![0.0; n];
    let mut replicates: Vec<f64> = (0..resamples)
        .map(|_| {
            for x in scratch.iter_mut() {
                *x = logs[rng.random_range(0..n)];
            }
            mean(&scratch)
        })
        .collect();
    replicates.sort_by(f64::total_cmp);
    let alpha = expanded_alpha(level, n);
    let low = quantile_sorted(&replicates, alpha / 2.0).min(m);
    let high = quantile_sorted(&replicates, 1.0 - alpha / 2.0).max(m);
    let (overhead, ci_low, ci_high) = (m.exp_m1(), low.exp_m1(), high.exp_m1());
    Ok(Overhead {
        rounds: n,
        overhead,
        ci_low,
        ci_high,
        level,
        log_ratio_sd: sd,
        verdict: verdict(ci_low, ci_high),
    })
}

/// Pairs needed to detect an effect `delta` with noise `sigma` (both as fractions) at
/// α = 0.05 two-sided and 80 % power: ((z₀.₉₇₅ + z₀.₈)·σ/δ)², z values 1.96 and 0.84
/// (e.g. Chow, Shao & Wang, *Sample Size Calculations in Clinical Research*, §3.1).
pub fn pairs_needed(sigma: f64, delta: f64) -> Option<usize> {
    if !(sigma.is_finite() && delta.is_finite() && sigma >= 0.0 && delta > 0.0) {
        return None;
    }
    Some((((1.96 + 0.84) * sigma / delta).powi(2)).ceil() as usize)
}

/// A container figure with the overhead removed, and its widened interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Adjusted {
    pub median: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Divides a time-like container result by (1 + overhead) and widens its interval by
/// the overhead's uncertainty, combining relative (log-scale) half-widths in quadrature
/// (first-order propagation of independent errors). The upper bound of the adjusted
/// value pairs with the lower bound of the overhead, and vice versa.
pub fn adjust(
    median: f64,
    ci_low: f64,
    ci_high: f64,
    o: &Overhead,
) -> Result<Adjusted, StatsError> {
    check_positive(
        &[
            median,
            ci_low,
            ci_high,
            1.0 + o.overhead,
            1.0 + o.ci_low,
            1.0 + o.ci_high,
        ],
        6,
    )?;
    if !(ci_low <= median && median <= ci_high) {
        return Err(StatsError::InvalidParameter(
            "the interval must contain the median",
        ));
    }
    let factor = 1.0 + o.overhead;
    let adjusted = median / factor;
    let down = ((median / ci_low).ln().powi(2) + ((1.0 + o.ci_high) / factor).ln().powi(2)).sqrt();
    let up = ((ci_high / median).ln().powi(2) + (factor / (1.0 + o.ci_low)).ln().powi(2)).sqrt();
    Ok(Adjusted {
        median: adjusted,
        ci_low: adjusted * (-down).exp(),
        ci_high: adjusted * up.exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Pairs with a common per-round drift, lognormal noise and a true ratio.
    fn pairs(n: usize, ratio: f64, noise: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut normal = || {
            let u1: f64 = rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = rng.random_range(0.0..1.0);
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let mut host = Vec::new();
        let mut cont = Vec::new();
        for i in 0..n {
            let drift = 1.0 + 0.2 * (i as f64 / n as f64);
            host.push(0.05 * drift * (noise * normal()).exp());
            cont.push(0.05 * drift * ratio * (noise * normal()).exp());
        }
        (host, cont)
    }

    #[test]
    fn recovers_a_known_ratio_inside_its_interval() -> Result<(), StatsError> {
        let (h, c) = pairs(40, 1.10, 0.02, 1);
        let o = paired_overhead(&h, &c, 0.95, 10_000, 3)?;
        assert!(o.ci_low <= 0.10 && 0.10 <= o.ci_high, "{o:?}");
        assert_eq!(o.verdict, Verdict::Overhead);
        assert!((o.overhead - 0.10).abs() < 0.02);
        Ok(())
    }

    #[test]
    fn a_faster_container_is_reported_as_such() -> Result<(), StatsError> {
        let (h, c) = pairs(40, 0.9, 0.02, 2);
        assert_eq!(
            paired_overhead(&h, &c, 0.95, 5_000, 1)?.verdict,
            Verdict::FasterInContainer
        );
        Ok(())
    }

    #[test]
    fn equal_sides_are_indistinguishable_with_enough_rounds() -> Result<(), StatsError> {
        let (h, c) = pairs(100, 1.0, 0.01, 4);
        let o = paired_overhead(&h, &c, 0.95, 5_000, 1)?;
        assert_eq!(o.verdict, Verdict::Indistinguishable, "{o:?}");
        Ok(())
    }

    #[test]
    fn aa_intervals_cover_zero_about_95_percent_of_the_time() -> Result<(), StatsError> {
        let trials = 200;
        let mut covered = 0;
        for t in 0..trials {
            let (h, c) = pairs(30, 1.0, 0.03, 100 + t);
            let o = paired_overhead(&h, &c, 0.95, 1_000, t)?;
            if o.ci_low <= 0.0 && 0.0 <= o.ci_high {
                covered += 1;
            }
        }
        let rate = f64::from(covered) / trials as f64;
        assert!((0.88..=0.99).contains(&rate), "coverage {rate}");
        Ok(())
    }

    #[test]
    fn quantile_known_answers() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        // t tables: df 2 → 4.303, 5 → 2.571, 9 → 2.262, 29 → 2.045.
        for (df, want) in [(2.0, 4.303), (5.0, 2.571), (9.0, 2.262), (29.0, 2.045)] {
            assert!(
                (t_quantile(0.975, df) - want).abs() < 2e-3,
                "df {df}: {}",
                t_quantile(0.975, df)
            );
        }
        // Expansion is strong for small n and fades for large n.
        assert!(expanded_alpha(0.95, 6) < 0.02);
        assert!((expanded_alpha(0.95, 1000) - 0.05).abs() < 0.002);
    }

    #[test]
    fn small_sample_intervals_still_cover_about_95_percent() -> Result<(), StatsError> {
        let trials = 300;
        let mut covered = 0;
        for t in 0..trials {
            let (h, c) = pairs(8, 1.0, 0.03, 7_000 + t);
            if paired_overhead(&h, &c, 0.95, 1_000, t)?.ci_low <= 0.0
                && paired_overhead(&h, &c, 0.95, 1_000, t)?.ci_high >= 0.0
            {
                covered += 1;
            }
        }
        let rate = f64::from(covered) / trials as f64;
        assert!((0.91..=0.99).contains(&rate), "coverage {rate}");
        Ok(())
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(-0.005, 0.008), Verdict::Indistinguishable);
        assert_eq!(verdict(0.02, 0.05), Verdict::Overhead);
        assert_eq!(verdict(-0.05, -0.02), Verdict::FasterInContainer);
        assert_eq!(verdict(-0.03, 0.04), Verdict::Inconclusive);
    }

    #[test]
    fn pairs_needed_matches_the_design_example() {
        // δ = 1 %, σ = 2 % → (2.8 · 2)² = 31.36 → 32 pairs.
        assert_eq!(pairs_needed(0.02, 0.01), Some(32));
        assert_eq!(pairs_needed(0.02, 0.0), None);
    }

    #[test]
    fn adjustment_divides_and_widens() -> Result<(), StatsError> {
        let o = Overhead {
            rounds: 10,
            overhead: 0.25,
            ci_low: 0.20,
            ci_high: 0.30,
            level: 0.95,
            log_ratio_sd: 0.01,
            verdict: Verdict::Overhead,
        };
        let a = adjust(1.25, 1.20, 1.30, &o)?;
        assert!((a.median - 1.0).abs() < 1e-12);
        // Wider (relatively) than the raw interval: both uncertainties count.
        assert!(a.ci_low < 1.20 / 1.25 && a.ci_high > 1.30 / 1.25, "{a:?}");
        assert!(a.ci_low < a.median && a.median < a.ci_high);
        let zero = Overhead {
            overhead: 0.0,
            ci_low: 0.0,
            ci_high: 0.0,
            ..o
        };
        let same = adjust(2.0, 1.9, 2.1, &zero)?;
        assert!((same.ci_low - 1.9).abs() < 1e-12 && (same.ci_high - 2.1).abs() < 1e-12);
        assert!(adjust(1.0, 1.1, 1.2, &o).is_err());
        Ok(())
    }

    #[test]
    fn rejects_unpaired_or_non_positive_input() {
        assert!(paired_overhead(&[1.0, 2.0], &[1.0], 0.95, 1000, 0).is_err());
        assert!(paired_overhead(&[1.0, 0.0], &[1.0, 1.0], 0.95, 1000, 0).is_err());
        assert!(paired_overhead(&[1.0, f64::NAN], &[1.0, 1.0], 0.95, 1000, 0).is_err());
    }
}
