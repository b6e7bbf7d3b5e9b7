//! What a comparison of two sides yields, whichever the method (within-run samples,
//! runs as the unit, paired rounds).

use serde::{Deserialize, Serialize};

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
    /// The noise of the change on the log scale, for the detectable effect.
    pub noise: Noise,
}

/// Standard error of the log change and its degrees of freedom (infinite: normal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    pub se_log: f64,
    pub df: f64,
}

impl Noise {
    /// The change detectable with 80 % power at a two-sided `alpha`, as a fraction:
    /// exp((q₁₋α/₂ + q₀.₈)·se) − 1 with t quantiles at `df`.
    pub fn detectable(&self, alpha: f64) -> Option<f64> {
        if !(self.se_log.is_finite() && self.se_log > 0.0) {
            return None;
        }
        let q = |p: f64| crate::distributions::t_quantile(p, self.df);
        Some(((q(1.0 - alpha / 2.0) + q(0.8)) * self.se_log).exp_m1())
    }
}
