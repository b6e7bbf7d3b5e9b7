//! Whether a figure depends on the CPU it is measured on. On a machine whose block device
//! interrupts are taken by one CPU, a 4 KiB write + `fdatasync` completes sooner on that
//! CPU than on the others; a process that may run on several CPUs then draws each run's
//! time from a mixture of the CPUs' figures, and the mixture of a container's runs need
//! not be the host's. The ratio of two such mixtures lies within a factor (1 + spread)
//! either way of the ratio on one CPU, so where the container is not pinned a dimension's
//! interval is widened by the spread's upper bound, or not adjusted where that bound is
//! large (`calibench_results::IoPlacement`).
//!
//! Method: the figure is measured pinned to each CPU in turn (interleaved rounds); the
//! CPUs with the lowest and the highest median are compared by the ratio of medians
//! with its interval (`crate::compare_samples`: a two-sample percentile bootstrap below
//! 30 runs a CPU, Price & Bonett's interval from there). The figure depends on placement
//! when that interval lies wholly above the equivalence band (`crate::overhead::EQUIVALENCE`):
//! the slowest CPU is slower by more than the band with 95 % confidence. Choosing the two
//! CPUs by their medians makes this a two-sided test between them; with more than two
//! CPUs, the most extreme pair is the one tested, which errs towards finding dependence.

use serde::{Deserialize, Serialize};

use crate::compare::compare_samples;
use crate::error::StatsError;
use crate::overhead::EQUIVALENCE;
use crate::summary::median_in_place;

/// The comparison of the slowest CPU against the fastest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// Each group's median, in the order given.
    pub medians: Vec<f64>,
    /// Indices into the groups given.
    pub fastest: usize,
    pub slowest: usize,
    /// Slowest median / fastest median − 1, and its interval (fractions).
    pub spread: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The interval lies above the equivalence band.
    pub depends: bool,
}

/// Compares the groups' figures (one group a CPU, each a list of runs' figures).
pub fn placement(
    per_cpu: &[Vec<f64>],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Result<Placement, StatsError> {
    if per_cpu.len() < 2 {
        return Err(StatsError::TooFewSamples {
            needed: 2,
            got: per_cpu.len(),
        });
    }
    let mut medians = Vec::with_capacity(per_cpu.len());
    for runs in per_cpu {
        crate::error::check_positive(runs, 2)?;
        medians.push(median_in_place(&mut runs.clone()));
    }
    // Indices of the lowest and the highest median (there are at least two groups).
    let by_median = |a: &usize, b: &usize| medians[*a].total_cmp(&medians[*b]);
    let fastest = (0..medians.len()).min_by(by_median).unwrap_or(0);
    let slowest = (0..medians.len()).max_by(by_median).unwrap_or(0);
    let c = compare_samples(&per_cpu[fastest], &per_cpu[slowest], level, resamples, seed)?;
    Ok(Placement {
        medians,
        fastest,
        slowest,
        spread: c.change,
        ci_low: c.ci_low,
        ci_high: c.ci_high,
        depends: c.ci_low > EQUIVALENCE,
    })
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// `n` runs around `centre` with ±`jitter` uniform noise.
    fn runs(rng: &mut ChaCha8Rng, n: usize, centre: f64, jitter: f64) -> Vec<f64> {
        (0..n)
            .map(|_| centre * (1.0 + rng.random_range(-jitter..jitter)))
            .collect()
    }

    #[test]
    fn a_cpu_that_takes_the_interrupts_makes_the_figure_depend_on_placement() {
        // Measured on a 2-vCPU machine: 4 KiB fdatasync 220 µs on CPU 0, 152 µs on CPU 1.
        // 20 runs a CPU take the bootstrap interval, 40 Price & Bonett's.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [20, 40] {
            let cpus = vec![
                runs(&mut rng, n, 220e-6, 0.08),
                runs(&mut rng, n, 152e-6, 0.08),
            ];
            let p = placement(&cpus, 0.95, 2_000, 1).expect("a comparison");
            assert_eq!((p.fastest, p.slowest), (1, 0));
            assert!(p.medians[0] > p.medians[1], "{p:?}");
            assert!((p.spread - (220.0 / 152.0 - 1.0)).abs() < 0.06, "{p:?}");
            assert!(p.depends && p.ci_low > 0.3, "{p:?}");
        }
    }

    #[test]
    fn cpus_alike_do_not() {
        for n in [20, 40] {
            let mut misses = 0;
            for seed in 0..100 {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let cpus = vec![
                    runs(&mut rng, n, 150e-6, 0.08),
                    runs(&mut rng, n, 150e-6, 0.08),
                ];
                let p = placement(&cpus, 0.95, 2_000, seed).expect("a comparison");
                assert!(p.spread >= 0.0, "slowest over fastest: {p:?}");
                misses += usize::from(p.depends);
            }
            // Dependence needs the interval above +1 %: with ±8 % noise, identical CPUs
            // pass that bar in well under 5 % of trials.
            assert!(
                misses <= 5,
                "{n} runs: {misses} of 100 identical pairs judged dependent"
            );
        }
    }

    #[test]
    fn too_few_cpus_or_runs_and_bad_values_are_errors() {
        assert!(placement(&[vec![1.0, 1.1]], 0.95, 100, 1).is_err());
        assert!(placement(&[vec![1.0, 1.1], vec![1.0]], 0.95, 100, 1).is_err());
        assert!(placement(&[vec![1.0, f64::NAN], vec![1.0, 1.1]], 0.95, 100, 1).is_err());
    }
}
