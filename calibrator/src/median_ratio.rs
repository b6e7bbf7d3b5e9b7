//! A calibration's overhead: the ratio of the container's median to the host's over
//! paired, interleaved rounds.
//!
//! Why a ratio of medians: what a profile adjusts is a median (a container result's
//! median is divided by 1 + overhead and read against what the host's median would be),
//! so the probe's overhead must be the same location measure. A geometric mean of
//! per-round ratios (`paired_overhead`) answers another question where the machine has
//! more than one speed: on a shared virtual machine whose CPU switched between a fast and
//! a slow state 20–30 % apart, four calibrations of a whole-process CPU probe read
//! +7.0, +8.9, −0.2 and +2.3 % by the mean of log ratios, because the container's runs
//! landed in the slow state more often, while the two sides' medians were within 0.6 %
//! in every one, and those of sysbench and gzip measured beside them within 1 %.
//!
//! Interval: percentile bootstrap (Efron & Tibshirani, *An Introduction to the
//! Bootstrap*, 1993, ch. 13) whose unit is the ABBA cycle, both rounds of a cycle and
//! both sides of each round drawn together: resampling whole clusters keeps the pairing
//! and the drift the design cancels (Davison & Hinkley, *Bootstrap Methods and their
//! Application*, 1997, §3.8). The standard error reported beside it is read off the
//! interval as a normal one.

use crate::bootstrap::{check_level, interval_from, replicates};
use crate::distributions::normal_quantile;
use crate::error::StatsError;
use crate::overhead::{check_pairs, verdict, Overhead};
use crate::summary::median_in_place;

/// Overhead of the container over the host as the ratio of medians minus one, with a
/// cycle-bootstrap interval at `level` (`host[i]` and `container[i]` ran in round i).
pub fn paired_median_overhead(
    host: &[f64],
    container: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<Overhead, StatsError> {
    check_pairs(host, container)?;
    check_level(level, resamples)?;
    let n = host.len();
    // Rounds 2k and 2k+1 ran in opposite orders: they are drawn together.
    let unit = if n >= 4 { 2 } else { 1 };
    let units: Vec<f64> = (0..n.div_ceil(unit)).map(|u| u as f64).collect();
    let ratio = |h: &mut Vec<f64>, c: &mut Vec<f64>| median_in_place(c) / median_in_place(h);
    let (mut h, mut c) = (host.to_vec(), container.to_vec());
    let estimate = ratio(&mut h, &mut c).ln();
    let stats = replicates(&[&units], resamples, seed, |g| {
        h.clear();
        c.clear();
        for u in g[0].iter() {
            let start = *u as usize * unit;
            let end = (start + unit).min(n);
            h.extend_from_slice(&host[start..end]);
            c.extend_from_slice(&container[start..end]);
        }
        ratio(&mut h, &mut c).ln()
    });
    let ci = interval_from(estimate, stats, level)?;
    let logs: Vec<f64> = host
        .iter()
        .zip(container)
        .map(|(h, c)| (c / h).ln())
        .collect();
    let mean = logs.iter().sum::<f64>() / n as f64;
    let sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
    let (ci_low, ci_high) = (ci.low.exp_m1(), ci.high.exp_m1());
    Ok(Overhead {
        rounds: n,
        overhead: estimate.exp_m1(),
        ci_low,
        ci_high,
        level,
        log_ratio_sd: sd,
        se_log: (ci.high - ci.low) / (2.0 * z),
        df: f64::INFINITY,
        verdict: verdict(ci_low, ci_high),
    })
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// A machine with two speeds: each run is slow (×1.25) with probability `p_slow`,
    /// with 1 % noise on top.
    fn two_speed(n: usize, p_slow: f64, factor: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let slow = if rng.random::<f64>() < p_slow {
                    1.25
                } else {
                    1.0
                };
                0.13 * factor * slow * (1.0 + 0.01 * (rng.random::<f64>() - 0.5))
            })
            .collect()
    }

    #[test]
    fn a_known_ratio_of_medians_is_recovered_with_an_interval_around_it() {
        let host: Vec<f64> = (0..40).map(|i| 1.0 + 0.001 * (i % 7) as f64).collect();
        let container: Vec<f64> = host.iter().map(|h| h * 1.05).collect();
        let o = paired_median_overhead(&host, &container, 0.95, 2000, 1).expect("a value");
        assert!((o.overhead - 0.05).abs() < 1e-12, "{o:?}");
        assert!(o.ci_low <= 0.05 + 1e-12 && o.ci_high >= 0.05 - 1e-12);
        assert_eq!(o.verdict, crate::Verdict::Overhead);
    }

    #[test]
    fn a_side_that_lands_in_the_slow_state_more_often_moves_the_mean_not_the_medians() {
        // Both sides are slow in most runs (70 % and 85 %): their medians are both the
        // slow state's, while the geometric mean of ratios reads the container slower.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let host = two_speed(120, 0.70, 1.0, &mut rng);
        let container = two_speed(120, 0.85, 1.0, &mut rng);
        let medians = paired_median_overhead(&host, &container, 0.95, 2000, 3).expect("a value");
        let means = crate::paired_overhead(&host, &container, 0.95).expect("a value");
        assert!(medians.overhead.abs() < 0.01, "{medians:?}");
        assert!(medians.ci_low < 0.0 && medians.ci_high > 0.0, "{medians:?}");
        assert!(means.overhead > 0.02, "{means:?}");
    }

    #[test]
    fn a_a_intervals_cover_zero_at_about_their_level() {
        // 200 A/A calibrations of 40 rounds with 5 % noise: a 95 % interval should miss
        // zero about 10 times; a percentile interval of a median that badly undercovers
        // would miss it several times as often.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut missed = 0;
        for i in 0..200 {
            let mut side = || -> Vec<f64> {
                (0..40)
                    .map(|_| 1.0 + 0.05 * (rng.random::<f64>() - 0.5) * 3.46)
                    .collect()
            };
            let (h, c) = (side(), side());
            let o = paired_median_overhead(&h, &c, 0.95, 1000, i).expect("a value");
            missed += usize::from(o.ci_low > 0.0 || o.ci_high < 0.0);
        }
        assert!(missed <= 20, "{missed} of 200 A/A intervals exclude zero");
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(paired_median_overhead(&[1.0, 2.0], &[1.0], 0.95, 1000, 1).is_err());
        assert!(paired_median_overhead(&[1.0, 0.0], &[1.0, 1.0], 0.95, 1000, 1).is_err());
        assert!(paired_median_overhead(&[1.0, 1.0], &[1.0, 1.0], 0.95, 10, 1).is_err());
    }
}
