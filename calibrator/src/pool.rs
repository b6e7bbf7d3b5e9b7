//! Calibrations of one configuration, taken together: the variation *between*
//! calibrations (another hour, another container, another state of a shared machine) is
//! larger than the noise inside one, so one calibration's interval does not say where the
//! next will fall.
//!
//! Pooling: a random-effects mean of the calibrations' log overheads (DerSimonian &
//! Laird, "Meta-analysis in clinical trials", Controlled Clinical Trials 7, 1986): each
//! calibration is weighted by 1/(se² + τ²), where τ² is the between-calibration variance
//! estimated by the method of moments from Cochran's Q and truncated at zero. The
//! interval is the mean ± z·√(1/Σw); with few calibrations the DerSimonian–Laird interval
//! is known to be somewhat narrow (IntHout, Ioannidis & Borm, BMC Medical Research
//! Methodology 14:25, 2014), which is why the harness also keeps every calibration's own
//! interval and the τ it saw.
//!
//! Drift: whether a fresh calibration disagrees with a stored one is a test of their
//! difference, z = (y₁ − y₂)/√(se₁² + se₂²), not a look at whether the two intervals
//! overlap, which is far too conservative (Schenker & Gentleman, "On judging the
//! significance of differences by examining the overlap between confidence intervals",
//! The American Statistician 55, 2001).

use serde::{Deserialize, Serialize};

use crate::distributions::{normal_quantile, normal_sf, t_quantile};
use crate::error::StatsError;
use crate::overhead::OverheadInterval;

/// One calibration's overhead on the log scale: `log` = ln(1 + overhead), `se` its
/// standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogEstimate {
    pub log: f64,
    pub se: f64,
}

impl LogEstimate {
    /// Reads the standard error back off a t interval at `level` with `df` degrees of
    /// freedom; `f64::INFINITY` for a normal one.
    pub fn from_interval(o: OverheadInterval, df: f64, level: f64) -> Result<Self, StatsError> {
        if !(1.0 + o.low > 0.0 && o.low <= o.estimate && o.estimate <= o.high) {
            return Err(StatsError::InvalidParameter(
                "an overhead interval must contain its estimate and stay above −100 %",
            ));
        }
        if !(df >= 1.0 && level > 0.0 && level < 1.0) {
            return Err(StatsError::InvalidParameter(
                "an interval needs at least one degree of freedom and a level in (0, 1)",
            ));
        }
        let t = t_quantile(1.0 - (1.0 - level) / 2.0, df);
        let se = (o.high.ln_1p() - o.low.ln_1p()) / (2.0 * t);
        Ok(Self {
            log: o.estimate.ln_1p(),
            se,
        })
    }

    /// Reads the standard error back off a calibration probe's interval, a percentile
    /// bootstrap of the ratio of medians (`crate::median_ratio`), as a normal one, as
    /// the probe's own `se_log` is. Profiles stored before that estimator carried t
    /// intervals over ABBA cycles; read as normal, their standard error comes out up to
    /// t/z times too large (1.15 at ten cycles): wider, never narrower.
    pub fn from_probe_interval(o: OverheadInterval, level: f64) -> Result<Self, StatsError> {
        Self::from_interval(o, f64::INFINITY, level)
    }
}

/// Calibrations pooled by random effects, as fractions (0.02 = +2 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    pub calibrations: usize,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    /// Between-calibration standard deviation on the log scale (≈ a fraction).
    pub tau: f64,
}

impl Pooled {
    /// The interval widened by another independent source of spread of standard
    /// deviation `sd` on the log scale (added in quadrature): a prediction's τ between
    /// probes, which pooling more calibrations does not shrink.
    pub fn with_extra_sd(self, sd: f64, level: f64) -> Self {
        let mean = self.estimate.ln_1p();
        let half = (self.high.ln_1p() - self.low.ln_1p()) / 2.0;
        let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
        let wide = half.hypot(z * sd.max(0.0));
        Self {
            low: (mean - wide).exp_m1(),
            high: (mean + wide).exp_m1(),
            ..self
        }
    }
}

/// The random-effects mean of `estimates` on the log scale, its variance and τ².
fn random_effects(estimates: &[LogEstimate]) -> Result<(f64, f64, f64), StatsError> {
    if estimates.is_empty() {
        return Err(StatsError::TooFewSamples { needed: 1, got: 0 });
    }
    if estimates
        .iter()
        .any(|e| !(e.log.is_finite() && e.se.is_finite() && e.se > 0.0))
    {
        return Err(StatsError::InvalidParameter(
            "every estimate needs a finite value and a positive standard error",
        ));
    }
    let k = estimates.len() as f64;
    let w: Vec<f64> = estimates.iter().map(|e| 1.0 / (e.se * e.se)).collect();
    let sw: f64 = w.iter().sum();
    let fixed = estimates
        .iter()
        .zip(&w)
        .map(|(e, w)| w * e.log)
        .sum::<f64>()
        / sw;
    let q: f64 = estimates
        .iter()
        .zip(&w)
        .map(|(e, w)| w * (e.log - fixed).powi(2))
        .sum();
    let c = sw - w.iter().map(|w| w * w).sum::<f64>() / sw;
    let tau2 = if c > 0.0 {
        ((q - (k - 1.0)) / c).max(0.0)
    } else {
        0.0
    };
    let wr: Vec<f64> = estimates
        .iter()
        .map(|e| 1.0 / (e.se * e.se + tau2))
        .collect();
    let swr: f64 = wr.iter().sum();
    let mean = estimates
        .iter()
        .zip(&wr)
        .map(|(e, w)| w * e.log)
        .sum::<f64>()
        / swr;
    Ok((mean, 1.0 / swr, tau2))
}

fn pooled(k: usize, mean: f64, half: f64, tau2: f64) -> Pooled {
    Pooled {
        calibrations: k,
        estimate: mean.exp_m1(),
        low: (mean - half).exp_m1(),
        high: (mean + half).exp_m1(),
        tau: tau2.sqrt(),
    }
}

/// Pools calibrations (DerSimonian & Laird 1986); `level` is the interval's confidence.
pub fn pool(estimates: &[LogEstimate], level: f64) -> Result<Pooled, StatsError> {
    let (mean, var, tau2) = random_effects(estimates)?;
    let half = normal_quantile(1.0 - (1.0 - level) / 2.0) * var.sqrt();
    Ok(pooled(estimates.len(), mean, half, tau2))
}

/// The least spread between programs a prediction over probes assumes, on the log scale
/// (≈ a fraction). Three probes cannot tell how far another program's containerisation
/// overhead lies from theirs: with k = 3, τ² estimated from Cochran's Q is truncated at
/// zero more often than not even where it is not zero, and a prediction interval with
/// τ = 0 is the probes' own (IntHout et al., BMJ Open 6, 2016). A lower bound on τ
/// stands in for what the probes cannot see, as informative distributions for τ do
/// (Turner et al., "Predicting the extent of heterogeneity in meta-analysis",
/// International Journal of Epidemiology 41, 2012). Its size is measured: on a quiet
/// machine (2 vCPUs AMD EPYC, 2026-12-07 16:00 UTC, `scripts/truth-check.sh`) the three
/// CPU probes agreed within ±0.2 %, while sysbench and gzip in the same minutes read
/// 0.2 to 0.6 % away from them, on either side (`--cpuset 0`: probes −0.33 %, programs
/// −0.10 to +0.26 %; `--cpus 1.5`: probes +0.27 %, programs −0.35 to 0.00 %).
pub const MIN_BETWEEN_PROBE_SD: f64 = 0.005;

/// Where the effect of one *more* member of the family is expected to fall: the
/// random-effects prediction interval, mean ± z·√(τ² + Var(mean)) (Higgins, Thompson &
/// Spiegelhalter, "A re-evaluation of random-effects meta-analysis", JRSS A 172, 2009,
/// §5.2). The harness uses it for a dimension measured by several probes: a program the
/// profile adjusts is another member of the family, not one of the probes, so the
/// probes' disagreement (τ) belongs in its interval. Higgins et al. use t with k − 2
/// degrees of freedom, which two probes do not have; z is used, and with few members the
/// interval is known to be narrow (IntHout et al., BMJ Open 6, 2016), which is why the
/// probes' own figures are kept beside it. τ is taken as at least `min_tau`
/// ([`MIN_BETWEEN_PROBE_SD`] for calibration probes), and the returned `tau` is the τ
/// used.
pub fn predict(estimates: &[LogEstimate], level: f64, min_tau: f64) -> Result<Pooled, StatsError> {
    let (mean, var, tau2) = random_effects(estimates)?;
    let tau2 = tau2.max(min_tau.max(0.0).powi(2));
    let half = normal_quantile(1.0 - (1.0 - level) / 2.0) * (var + tau2).sqrt();
    Ok(pooled(estimates.len(), mean, half, tau2))
}

/// A fresh calibration against a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Ratio of the two overheads' factors, minus one: (1 + now)/(1 + stored) − 1.
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    pub p_value: f64,
    /// The difference is significant at the interval's level.
    pub drifted: bool,
}

/// Tests whether `now` differs from `stored` (two-sided, at `level`).
pub fn drift(stored: LogEstimate, now: LogEstimate, level: f64) -> Result<Drift, StatsError> {
    if !(stored.se > 0.0 && now.se > 0.0 && stored.log.is_finite() && now.log.is_finite()) {
        return Err(StatsError::InvalidParameter(
            "both calibrations need a finite estimate and a positive standard error",
        ));
    }
    let d = now.log - stored.log;
    let se = (stored.se.powi(2) + now.se.powi(2)).sqrt();
    let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
    let p_value = (2.0 * normal_sf((d / se).abs())).clamp(0.0, 1.0);
    Ok(Drift {
        difference: d.exp_m1(),
        low: (d - z * se).exp_m1(),
        high: (d + z * se).exp_m1(),
        p_value,
        drifted: p_value < 1.0 - level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(log: f64, se: f64) -> LogEstimate {
        LogEstimate { log, se }
    }

    #[test]
    fn agreeing_calibrations_pool_to_the_inverse_variance_mean() {
        // Q = 0 < k − 1, so τ² = 0 and the weights are 1/se²: (4·0.01 + 1·0.01)/5.
        let p = pool(&[e(0.01, 0.005), e(0.01, 0.01)], 0.95).expect("a value");
        assert!(p.tau < 1e-15);
        assert!((p.estimate - 0.01f64.exp_m1()).abs() < 1e-12);
        let se = (1.0 / (1.0 / 0.005f64.powi(2) + 1.0 / 0.01f64.powi(2))).sqrt();
        assert!((p.high.ln_1p() - 0.01 - 1.959964 * se).abs() < 1e-6);
    }

    #[test]
    fn disagreeing_calibrations_widen_by_the_between_variance() {
        // Known answer: y = (0, 0.1), se = 0.01 each: fixed mean 0.05, Q = 2·(0.05/0.01)²
        // = 50, C = 20000 − 2·10⁸/20000 = 10000, τ² = (50 − 1)/10000 = 0.0049.
        let p = pool(&[e(0.0, 0.01), e(0.1, 0.01)], 0.95).expect("a value");
        assert!((p.tau - 0.0049f64.sqrt()).abs() < 1e-12);
        assert!((p.estimate.ln_1p() - 0.05).abs() < 1e-12);
        let se = ((0.0001 + 0.0049) / 2.0f64).sqrt();
        assert!((p.high.ln_1p() - 0.05 - 1.959964 * se).abs() < 1e-6);
        // Both calibrations' own estimates lie inside the pooled interval.
        assert!(p.low < 0.0 && p.high > 0.1f64.exp_m1());
    }

    #[test]
    fn a_prediction_adds_the_between_variance_to_the_mean() {
        // Same known answer as above: τ² = 0.0049, Var(mean) = (0.0001 + 0.0049)/2.
        let p = predict(&[e(0.0, 0.01), e(0.1, 0.01)], 0.95, 0.0).expect("a value");
        // A floor below the estimated τ changes nothing.
        assert_eq!(
            predict(&[e(0.0, 0.01), e(0.1, 0.01)], 0.95, 0.05).expect("a value"),
            p
        );
        let half = 1.959964 * (0.0049 + 0.0025f64).sqrt();
        assert!((p.high.ln_1p() - 0.05 - half).abs() < 1e-6);
        assert!((p.low.ln_1p() - 0.05 + half).abs() < 1e-6);
        // Agreeing members: τ² = 0 and the prediction is the pooled interval.
        let agree = [e(0.01, 0.005), e(0.012, 0.005)];
        let (a, b) = (
            predict(&agree, 0.95, 0.0).expect("a value"),
            pool(&agree, 0.95).expect("a value"),
        );
        assert!((a.high - b.high).abs() < 1e-15 && (a.low - b.low).abs() < 1e-15);
        // With a floor, agreeing members predict with τ at the floor.
        let f = predict(&agree, 0.95, MIN_BETWEEN_PROBE_SD).expect("a value");
        assert!((f.tau - MIN_BETWEEN_PROBE_SD).abs() < 1e-15, "{f:?}");
        let var = 0.005f64.powi(2) / 2.0;
        let half = 1.959964 * (var + MIN_BETWEEN_PROBE_SD.powi(2)).sqrt();
        assert!((f.high.ln_1p() - 0.011 - half).abs() < 1e-6, "{f:?}");
    }

    #[test]
    fn an_extra_spread_adds_in_quadrature() {
        let p = pool(&[e(0.0, 0.01)], 0.95).expect("a value");
        let w = p.with_extra_sd(0.02, 0.95);
        let half = 1.959964 * (0.01f64.powi(2) + 0.02f64.powi(2)).sqrt();
        assert!((w.high.ln_1p() - half).abs() < 1e-6 && (w.low.ln_1p() + half).abs() < 1e-6);
        assert!((w.estimate - p.estimate).abs() < 1e-15);
    }

    #[test]
    fn one_calibration_pools_to_itself() {
        let p = pool(&[e(0.02, 0.004)], 0.95).expect("a value");
        assert_eq!(p.calibrations, 1);
        assert!((p.estimate - 0.02f64.exp_m1()).abs() < 1e-12);
        assert!(pool(&[], 0.95).is_err());
        assert!(pool(&[e(f64::NAN, 0.01)], 0.95).is_err());
        assert!(pool(&[e(0.0, 0.0)], 0.95).is_err());
    }

    #[test]
    fn standard_error_reads_back_off_a_t_interval() {
        let t = t_quantile(0.975, 9.0);
        let o = OverheadInterval {
            estimate: 0.05f64.exp_m1(),
            low: (0.05 - t * 0.01f64).exp_m1(),
            high: (0.05 + t * 0.01f64).exp_m1(),
        };
        let got = LogEstimate::from_interval(o, 9.0, 0.95).expect("a value");
        assert!((got.se - 0.01).abs() < 1e-12 && (got.log - 0.05).abs() < 1e-12);
        let bad = OverheadInterval {
            estimate: 0.1,
            low: 0.2,
            high: 0.3,
        };
        assert!(LogEstimate::from_interval(bad, 9.0, 0.95).is_err());
    }

    #[test]
    fn a_probe_interval_reads_back_the_probes_own_standard_error() {
        let host: Vec<f64> = (0..40)
            .map(|i| 1.0 + 0.01 * ((i * 7) % 11) as f64)
            .collect();
        let container: Vec<f64> = host
            .iter()
            .enumerate()
            .map(|(i, h)| h * (1.03 + 0.01 * ((i * 3) % 5) as f64))
            .collect();
        let o = crate::paired_median_overhead(&host, &container, 0.95, 2_000, 1).expect("a value");
        let e = LogEstimate::from_probe_interval(o.interval(), 0.95).expect("a value");
        assert!(
            o.se_log > 0.0 && (e.se / o.se_log - 1.0).abs() < 1e-9,
            "{e:?} {o:?}"
        );
        // Read as a t interval over its 20 cycles it would claim a smaller error.
        let t = LogEstimate::from_interval(o.interval(), 19.0, 0.95).expect("a value");
        assert!(t.se < e.se);
    }

    #[test]
    fn drift_is_a_test_of_the_difference() {
        // 0.03 apart with se 0.01 each: z = 0.03/√2e-4 = 2.12, p = 0.034.
        let d = drift(e(0.0, 0.01), e(0.03, 0.01), 0.95).expect("a value");
        assert!(d.drifted && (d.p_value - 0.0339).abs() < 1e-3);
        // Overlapping intervals (0 ± 0.0196 and 0.03 ± 0.0196) yet a real difference.
        let close = drift(e(0.0, 0.01), e(0.02, 0.01), 0.95).expect("a value");
        assert!(!close.drifted && close.low < 0.0 && close.high > 0.0);
    }

    proptest! {
        #[test]
        fn pooled_estimate_lies_between_the_calibrations(
            v in prop::collection::vec((-0.5f64..0.5, 0.001f64..0.1), 1..8)
        ) {
            let est: Vec<LogEstimate> = v.iter().map(|(l, s)| e(*l, *s)).collect();
            let p = pool(&est, 0.95).expect("a value");
            let lo = v.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
            let hi = v.iter().map(|x| x.0).fold(f64::NEG_INFINITY, f64::max);
            let m = p.estimate.ln_1p();
            prop_assert!(m >= lo - 1e-9 && m <= hi + 1e-9);
            prop_assert!(p.low <= p.estimate && p.estimate <= p.high);
            prop_assert!(p.tau >= 0.0);
            let w = predict(&est, 0.95, 0.0).expect("a value");
            prop_assert!(w.low <= p.low + 1e-12 && w.high >= p.high - 1e-12);
        }
    }
}
