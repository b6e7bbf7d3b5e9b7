//! Container overhead from paired, interleaved rounds.
//!
//! Method: each round runs the probe once on the host and once in the container (in
//! randomised ABBA order), so slow drift of a shared machine hits both sides alike. The
//! overhead is the geometric mean of the per-round ratios container/host, minus one
//! (Fleming & Wallace, "How not to lie with statistics: the correct way to summarize
//! benchmark results", CACM 1986: ratios are averaged geometrically). Its confidence
//! interval is a Student t interval of the mean log ratio whose unit is the ABBA cycle
//! (two rounds in opposite orders; see `paired_overhead`), mapped through `exp(x) − 1`,
//! which being monotone maps the bounds exactly.

use serde::{Deserialize, Serialize};

use crate::distributions::t_quantile;
use crate::error::{check_positive, StatsError};

/// What an overhead interval says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The whole interval lies within ±`EQUIVALENCE`.
    #[serde(rename = "indistinguishable")]
    Indistinguishable,
    /// The interval lies above zero: the container is slower.
    #[serde(rename = "overhead")]
    Overhead,
    /// The interval lies below zero: the container is faster.
    #[serde(rename = "faster in container")]
    FasterInContainer,
    /// The interval straddles zero but is wider than the equivalence band: more rounds
    /// are needed to say anything.
    #[serde(rename = "inconclusive")]
    Inconclusive,
    /// Fewer rounds than the method's minimum: no interval is claimed.
    #[serde(rename = "too few rounds")]
    TooFewRounds,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Indistinguishable => "indistinguishable",
            Verdict::Overhead => "overhead",
            Verdict::FasterInContainer => "faster in container",
            Verdict::Inconclusive => "inconclusive",
            Verdict::TooFewRounds => "too few rounds",
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
    /// Standard error of the mean log ratio over the interval's units (ABBA cycles),
    /// and its degrees of freedom: the interval is mean ± t(df)·se_log.
    #[serde(default)]
    pub se_log: f64,
    #[serde(default)]
    pub df: f64,
    pub verdict: Verdict,
}

/// An overhead estimate with its interval, as fractions (0.05 = +5 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OverheadInterval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl OverheadInterval {
    /// From the percentages a profile stores (`+5.0` = +5 %).
    pub fn from_pct(estimate_pct: f64, low_pct: f64, high_pct: f64) -> Self {
        Self {
            estimate: estimate_pct / 100.0,
            low: low_pct / 100.0,
            high: high_pct / 100.0,
        }
    }
}

impl Overhead {
    pub fn interval(&self) -> OverheadInterval {
        OverheadInterval {
            estimate: self.overhead,
            low: self.ci_low,
            high: self.ci_high,
        }
    }

    /// Half-width of the interval in percentage points.
    pub fn half_width_pp(&self) -> f64 {
        (self.ci_high - self.ci_low) * 50.0
    }
}

/// Paired rounds are usable: as many on each side, at least two, all positive.
pub(crate) fn check_pairs(host: &[f64], container: &[f64]) -> Result<(), StatsError> {
    if host.len() != container.len() {
        return Err(StatsError::InvalidParameter(
            "host and container rounds must pair up",
        ));
    }
    check_positive(host, 2)?;
    check_positive(container, 2)
}

/// Overhead from paired rounds: `host[i]` and `container[i]` were measured in round i.
/// Values must be positive times (or any time-like figure where larger is worse).
pub fn paired_overhead(
    host: &[f64],
    container: &[f64],
    level: f64,
) -> Result<Overhead, StatsError> {
    check_pairs(host, container)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidParameter(
            "confidence level must be between 0 and 1",
        ));
    }
    let logs: Vec<f64> = host
        .iter()
        .zip(container)
        .map(|(h, c)| (c / h).ln())
        .collect();
    let n = logs.len();
    // The unit of replication is the ABBA cycle, not the round: rounds 2k and 2k+1 ran
    // in opposite orders, so their mean cancels an order effect and a drift linear over
    // the cycle, and neighbouring rounds that shared a machine state (frequency, a
    // neighbour's load) count once. Crossover trials analyse period pairs the same way,
    // with a t interval on the pair means (Jones & Kenward, *Design and Analysis of
    // Cross-Over Trials*, 3rd ed., §2.3); with few pairs a t interval holds its coverage
    // where a bootstrap of the mean does not. Rounds taken as independent gave A/A
    // intervals that excluded zero 4-5 times in 16 where 5 % (0.8) was due
    // (harness/tests/calibrate_real.rs). Below 4 rounds the rounds are the units.
    let units: Vec<f64> = if n >= 4 {
        logs.chunks(2)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect()
    } else {
        logs.clone()
    };
    let k = units.len() as f64;
    let m = units.iter().sum::<f64>() / k;
    let unit_sd = (units.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    let se_log = unit_sd / k.sqrt();
    let half = t_quantile(1.0 - (1.0 - level) / 2.0, k - 1.0) * se_log;
    let sd = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let (low, high) = (m - half, m + half);
    let (overhead, ci_low, ci_high) = (m.exp_m1(), low.exp_m1(), high.exp_m1());
    Ok(Overhead {
        rounds: n,
        overhead,
        ci_low,
        ci_high,
        level,
        log_ratio_sd: sd,
        se_log,
        df: k - 1.0,
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
    o: OverheadInterval,
) -> Result<Adjusted, StatsError> {
    check_positive(
        &[
            median,
            ci_low,
            ci_high,
            1.0 + o.estimate,
            1.0 + o.low,
            1.0 + o.high,
        ],
        6,
    )?;
    if !(ci_low <= median && median <= ci_high) {
        return Err(StatsError::InvalidParameter(
            "the interval must contain the median",
        ));
    }
    let factor = 1.0 + o.estimate;
    let adjusted = median / factor;
    let down = ((median / ci_low).ln().powi(2) + ((1.0 + o.high) / factor).ln().powi(2)).sqrt();
    let up = ((ci_high / median).ln().powi(2) + (factor / (1.0 + o.low)).ln().powi(2)).sqrt();
    Ok(Adjusted {
        median: adjusted,
        ci_low: adjusted * (-down).exp(),
        ci_high: adjusted * up.exp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::expanded_alpha;
    use crate::distributions::{normal_quantile, t_quantile};
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
        let o = paired_overhead(&h, &c, 0.95)?;
        assert!(o.ci_low <= 0.10 && 0.10 <= o.ci_high, "{o:?}");
        assert_eq!(o.verdict, Verdict::Overhead);
        assert!((o.overhead - 0.10).abs() < 0.02);
        Ok(())
    }

    #[test]
    fn a_faster_container_is_reported_as_such() -> Result<(), StatsError> {
        let (h, c) = pairs(40, 0.9, 0.02, 2);
        assert_eq!(
            paired_overhead(&h, &c, 0.95)?.verdict,
            Verdict::FasterInContainer
        );
        Ok(())
    }

    #[test]
    fn equal_sides_are_indistinguishable_with_enough_rounds() -> Result<(), StatsError> {
        let (h, c) = pairs(100, 1.0, 0.01, 4);
        let o = paired_overhead(&h, &c, 0.95)?;
        assert_eq!(o.verdict, Verdict::Indistinguishable, "{o:?}");
        Ok(())
    }

    #[test]
    fn aa_intervals_cover_zero_about_95_percent_of_the_time() -> Result<(), StatsError> {
        let trials = 200;
        let mut covered = 0;
        for t in 0..trials {
            let (h, c) = pairs(30, 1.0, 0.03, 100 + t);
            let o = paired_overhead(&h, &c, 0.95)?;
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
            if paired_overhead(&h, &c, 0.95)?.ci_low <= 0.0
                && paired_overhead(&h, &c, 0.95)?.ci_high >= 0.0
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
            se_log: 0.02,
            df: 4.0,
            verdict: Verdict::Overhead,
        };
        let a = adjust(1.25, 1.20, 1.30, o.interval())?;
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
        let same = adjust(2.0, 1.9, 2.1, zero.interval())?;
        assert!((same.ci_low - 1.9).abs() < 1e-12 && (same.ci_high - 2.1).abs() < 1e-12);
        assert!(adjust(1.0, 1.1, 1.2, o.interval()).is_err());
        Ok(())
    }

    #[test]
    fn rejects_unpaired_or_non_positive_input() {
        assert!(paired_overhead(&[1.0, 2.0], &[1.0], 0.95).is_err());
        assert!(paired_overhead(&[1.0, 0.0], &[1.0, 1.0], 0.95).is_err());
        assert!(paired_overhead(&[1.0, f64::NAN], &[1.0, 1.0], 0.95).is_err());
    }
}
