//! Measurement → stored result: the summary statistics and the bootstrap CI of the median.

use calibench_calibrator::seed::fnv1a;
use calibench_calibrator::{bootstrap_median_ci, Summary, CONFIDENCE, DEFAULT_RESAMPLES};
use calibench_results::{now, BenchmarkResult, ExecutionEnvironment, ProcessUsage, RunId, Status};
use calibench_suites::Benchmark;

use crate::events::Measurement;

/// Seed of a result's bootstrap, derived from the run and benchmark so that the stored
/// interval can be recomputed exactly from the stored samples.
pub fn bootstrap_seed(run_id: RunId, name: &str, runtime: &str) -> u64 {
    fnv1a(&[&run_id.to_string(), name, runtime])
}

/// Builds the result of one benchmark on one runtime.
pub fn build_result(
    run_id: RunId,
    bench: &Benchmark,
    m: Measurement,
    mut execution_environment: ExecutionEnvironment,
) -> BenchmarkResult {
    let runtime = execution_environment.runtime;
    let summary = Summary::new(&m.samples).ok();
    let ci = bootstrap_median_ci(
        &m.samples,
        CONFIDENCE,
        DEFAULT_RESAMPLES,
        bootstrap_seed(run_id, &bench.name, runtime.as_str()),
    )
    .ok();
    let mut failure = m.failure;
    if summary.is_none() && failure.is_none() {
        failure = Some("no samples were measured".into());
    }
    if execution_environment.cgroup.is_none() {
        execution_environment.cgroup = m.cgroup;
    }
    BenchmarkResult {
        name: bench.name.clone(),
        runtime,
        dimension: bench.dimension,
        unit: bench.unit().to_string(),
        status: if failure.is_some() {
            Status::Failed
        } else {
            Status::Ok
        },
        failure,
        measured_at: now(),
        n: m.samples.len(),
        median: summary.as_ref().map(|s| s.median),
        mean: summary.as_ref().map(|s| s.mean),
        stddev: summary.as_ref().map(|s| s.stddev),
        min: summary.as_ref().map(|s| s.min),
        max: summary.as_ref().map(|s| s.max),
        q1: summary.as_ref().map(|s| s.q1),
        q3: summary.as_ref().map(|s| s.q3),
        mad: summary.as_ref().map(|s| s.mad),
        ci_low: ci.map(|c| c.low),
        ci_high: ci.map(|c| c.high),
        adjusted_median: None,
        adjusted_ci_low: None,
        adjusted_ci_high: None,
        samples: m.samples,
        usage: ProcessUsage {
            user_s: m.user_s,
            system_s: m.system_s,
            max_rss_kib: m.max_rss_kib,
            cgroup: m.sample_cgroup,
            wall_s: m.sample_wall_s,
        },
        execution_environment,
    }
}
