//! Comparing stored selections measured at different times, with the run as the unit.
//!
//! On a shared machine most of a benchmark's variation is between runs (drift, neighbours,
//! caches, frequency), which the samples of one run cannot see. So each run contributes
//! one observation, the log of its median, and the two selections are compared with
//! Student's two-sample t-test with pooled variance on those logs (Student, Biometrika 6,
//! 1908; e.g. Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*, 3rd ed.,
//! §4 for the rank alternative at larger n). The change is the ratio of the geometric
//! means of the run medians, minus one, and its interval is the t interval mapped
//! through `exp(x) − 1`. The pooled variance lets one side hold a single run when the
//! other holds several (the newest run against a tag's history, as Bencher's history
//! thresholds test a new value); at least three runs in all are needed.

use crate::comparison::{Comparison, Noise};
use crate::distributions::{t_quantile, t_sf};
use crate::error::{check_positive, StatsError};
use crate::summary::median;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sum_sq(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum()
}

/// Runs needed in all before the run can be the unit.
pub const MIN_RUNS_IN_ALL: usize = 3;

/// Compares per-run medians (time-like: larger is worse).
pub fn compare_run_medians(
    baseline: &[f64],
    candidate: &[f64],
    level: f64,
) -> Result<Comparison, StatsError> {
    check_positive(baseline, 1)?;
    check_positive(candidate, 1)?;
    let (n1, n2) = (baseline.len(), candidate.len());
    if n1 + n2 < MIN_RUNS_IN_ALL {
        return Err(StatsError::TooFewSamples {
            needed: MIN_RUNS_IN_ALL,
            got: n1 + n2,
        });
    }
    let lb: Vec<f64> = baseline.iter().map(|v| v.ln()).collect();
    let lc: Vec<f64> = candidate.iter().map(|v| v.ln()).collect();
    let df = (n1 + n2 - 2) as f64;
    let pooled_var = (sum_sq(&lb) + sum_sq(&lc)) / df;
    let se = (pooled_var * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let diff = mean(&lc) - mean(&lb);
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, df);
    let p_value = if se > 0.0 {
        let stat = (diff / se).abs();
        (2.0 * t_sf(stat, df)).clamp(0.0, 1.0)
    } else if diff.abs() > 0.0 {
        0.0
    } else {
        1.0
    };
    Ok(Comparison {
        baseline_median: median(baseline)?,
        candidate_median: median(candidate)?,
        change: diff.exp_m1(),
        ci_low: (diff - t * se).exp_m1(),
        ci_high: (diff + t * se).exp_m1(),
        p_value,
        mde: None,
        noise: Noise { se_log: se, df },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_against_a_hand_computed_t_test() {
        // logs: baseline ln(1.0), ln(1.1); candidate ln(1.5), ln(1.6).
        let c = compare_run_medians(&[1.0, 1.1], &[1.5, 1.6], 0.95).expect("comparable");
        let (lb, lc) = ([0.0f64, 1.1f64.ln()], [1.5f64.ln(), 1.6f64.ln()]);
        let diff = (lc[0] + lc[1]) / 2.0 - (lb[0] + lb[1]) / 2.0;
        assert!((c.change - diff.exp_m1()).abs() < 1e-12);
        // df = 2, t(0.975, 2) = 4.302653.
        let sp2 = ((lb[1] - lb[0]).powi(2) / 2.0 + (lc[1] - lc[0]).powi(2) / 2.0) / 2.0;
        let se = (sp2 * (0.5 + 0.5)).sqrt();
        assert!((c.ci_low - (diff - 4.302_652_729_749_464 * se).exp_m1()).abs() < 1e-9);
        assert!(c.p_value < 0.05 && c.ci_low > 0.0, "{c:?}");
    }

    #[test]
    fn one_run_against_several_uses_the_pooled_spread() {
        let c = compare_run_medians(&[1.0, 1.02, 0.98], &[1.0], 0.95).expect("comparable");
        assert!(
            c.ci_low < 0.0 && c.ci_high > 0.0 && c.p_value > 0.5,
            "{c:?}"
        );
        assert!(compare_run_medians(&[1.0], &[1.2], 0.95).is_err());
    }

    #[test]
    fn run_level_false_positive_rate_is_near_alpha() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut normal = move || {
            let u1: f64 = rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = rng.random_range(0.0..1.0);
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let trials = 2000;
        let mut flagged = 0;
        for _ in 0..trials {
            let b: Vec<f64> = (0..3).map(|_| (0.05 * normal()).exp()).collect();
            let c: Vec<f64> = (0..3).map(|_| (0.05 * normal()).exp()).collect();
            if compare_run_medians(&b, &c, 0.95).expect("ok").p_value <= 0.05 {
                flagged += 1;
            }
        }
        let rate = f64::from(flagged) / f64::from(trials);
        assert!((0.03..=0.07).contains(&rate), "{rate}");
    }
}
