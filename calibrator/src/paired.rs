//! Judging two builds measured in one interleaved session (`calibench ab`): the pairs of
//! rounds carry the weight. The change is the paired overhead of B over A (geometric
//! mean of the per-round ratios − 1, t interval over ABBA cycles: `overhead.rs`); the
//! p-value is the one-sample t-test of the cycles' mean log ratios (Student 1908), which
//! also gives the noise for the detectable effect.
//!
//! With a threshold the verdict is never a silent pass: a slowdown above the threshold
//! whose interval lies above zero is a regression; otherwise, while the interval still
//! reaches above the threshold, a regression cannot be excluded and the verdict is
//! inconclusive.

use crate::compare::{Change, Comparison, Judged, Noise, Replication};
use crate::distributions::t_sf;
use crate::error::StatsError;
use crate::overhead::paired_overhead;
use crate::summary::median;

/// Judges B against A from paired rounds (`a[i]` and `b[i]` measured in round i).
pub fn judge_paired(
    a: &[f64],
    b: &[f64],
    level: f64,
    alpha: f64,
    threshold: Option<f64>,
) -> Result<Judged, StatsError> {
    let o = paired_overhead(a, b, level)?;
    // The test's unit is the interval's: the ABBA cycle, so that the p-value and the
    // interval never disagree about zero.
    let mean = (1.0 + o.overhead).ln();
    let (se, df) = (o.se_log, o.df);
    let p_value = if se > 0.0 {
        (2.0 * t_sf((mean / se).abs(), df)).clamp(0.0, 1.0)
    } else if mean.abs() > 0.0 {
        0.0
    } else {
        1.0
    };
    let noise = Noise { se_log: se, df };
    let comparison = Comparison {
        baseline_median: median(a)?,
        candidate_median: median(b)?,
        change: o.overhead,
        ci_low: o.ci_low,
        ci_high: o.ci_high,
        p_value,
        mde: noise.detectable(alpha),
        noise,
    };
    let mut change = crate::compare::classify(&comparison, p_value, alpha);
    let regression = change == Change::Slower && threshold.is_some_and(|t| o.overhead > t);
    let mut more_needed = None;
    if let Some(t) = threshold {
        if !regression && o.ci_high > t {
            change = Change::Inconclusive;
            // Rounds scale the half-width by 1/√n: enough rounds bring the upper bound
            // under the threshold when the estimate is below it.
            let room = t - o.overhead.max(0.0);
            let half = o.ci_high - o.overhead;
            if room > 0.0 && half > 0.0 {
                more_needed = Some((half / room).powi(2));
            }
        }
    }
    Ok(Judged {
        comparison,
        q_value: p_value,
        change,
        replication: Replication::Pairs,
        regression,
        more_needed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Paired rounds with a shared drift, lognormal noise `sd` and a true ratio.
    fn rounds(n: usize, ratio: f64, sd: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut normal = move || {
            let u1: f64 = rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = rng.random_range(0.0..1.0);
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        (0..n)
            .map(|i| {
                let drift = 0.3 * (1.0 + 0.3 * (i as f64 / 10.0).sin());
                (
                    drift * (sd * normal()).exp(),
                    drift * ratio * (sd * normal()).exp(),
                )
            })
            .unzip()
    }

    #[test]
    fn five_percent_more_work_is_a_regression_at_two_percent() {
        // Per-pair log-ratio sd 0.07–0.10 was measured for a 0.3 s Python loop; 130
        // pairs resolve +5 % against 2 %.
        let mut hit = 0;
        for t in 0..40 {
            let (a, b) = rounds(130, 1.05, 0.06, t);
            if judge_paired(&a, &b, 0.95, 0.05, Some(0.02))
                .expect("judged")
                .regression
            {
                hit += 1;
            }
        }
        assert!(hit >= 36, "{hit} of 40");
    }

    #[test]
    fn aa_is_rarely_a_regression_and_inconclusive_when_wide() {
        // At the precision `ab` stops at by default (a 1 % half-width: 150 pairs at this
        // noise), an A/A estimate beyond 2 % is a 4-sigma event.
        let mut regressions = 0;
        for t in 0..100 {
            let (a, b) = rounds(150, 1.0, 0.05, 1000 + t);
            let j = judge_paired(&a, &b, 0.95, 0.05, Some(0.02)).expect("judged");
            if j.regression {
                regressions += 1;
            }
        }
        assert!(regressions <= 1, "{regressions} of 100");
        // Few, noisy pairs: the interval reaches past the threshold.
        let (a, b) = rounds(10, 1.0, 0.10, 7);
        let j = judge_paired(&a, &b, 0.95, 0.05, Some(0.02)).expect("judged");
        assert_eq!(j.change, Change::Inconclusive);
        assert!(j.more_needed.unwrap_or(0.0) > 1.0);
    }
}
