//! calibench's own statistics, timed with criterion: what `run`, `compare` and `gate`
//! spend per benchmark. `scripts/own-benchmarks.sh` runs these and writes the figures
//! into docs/performance.md.
//!
//!   cargo bench -p calibench-calibrator --bench bootstrap

use std::hint::black_box;

use calibench_calibrator::compare::{judge_suite, mann_whitney_p, SamplePair};
use calibench_calibrator::{bootstrap_median_ci, median_ci, CONFIDENCE};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` positive samples around 1.0 with a long right tail, as timings have.
fn samples(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let u: f64 = rng.random_range(1e-9..1.0);
            1.0 + 0.05 * (-u.ln())
        })
        .collect()
}

fn statistics(c: &mut Criterion) {
    let thousand = samples(1_000, 1);
    c.bench_function(
        "bootstrap median CI, 10 000 resamples of 1 000 samples",
        |b| b.iter(|| bootstrap_median_ci(black_box(&thousand), CONFIDENCE, 10_000, 7)),
    );
    c.bench_function("order-statistic median CI of 1 000 samples", |b| {
        b.iter(|| median_ci(black_box(&thousand), CONFIDENCE))
    });
    let (a, bb) = (samples(10_000, 2), samples(10_000, 3));
    c.bench_function("Mann-Whitney U, 2 x 10 000 samples", |b| {
        b.iter(|| mann_whitney_p(black_box(&a), black_box(&bb)))
    });
    // A compare of two runs of 100 benchmarks, 30 samples each, one run per side (the
    // within-run path, which resamples) .
    let sides: Vec<(Vec<f64>, Vec<f64>)> = (0..100)
        .map(|i| (samples(30, 10 + i), samples(30, 500 + i)))
        .collect();
    let no_runs: [f64; 0] = [];
    c.bench_function("compare of 2 x 100 benchmarks (30 samples each)", |b| {
        b.iter(|| {
            let pairs: Vec<SamplePair<'_>> = sides
                .iter()
                .enumerate()
                .map(|(i, (base, cand))| SamplePair {
                    extra_log_se: 0.0,
                    baseline: base,
                    candidate: cand,
                    baseline_runs: &no_runs,
                    candidate_runs: &no_runs,
                    seed: i as u64,
                })
                .collect();
            judge_suite(black_box(&pairs), CONFIDENCE, 0.05, Some(0.05))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = statistics
}
criterion_main!(benches);
