//! Measurement → stored result: the summary statistics and the CI of the median.

use calibench_calibrator::{median_ci, Summary, CONFIDENCE};
use calibench_results::{now, BenchmarkResult, ExecutionEnvironment, ProcessUsage, Status};
use calibench_suites::Benchmark;

use crate::events::Measurement;

/// Builds the result of one benchmark on one runtime.
pub fn build_result(
    bench: &Benchmark,
    m: Measurement,
    mut execution_environment: ExecutionEnvironment,
) -> BenchmarkResult {
    let runtime = execution_environment.runtime;
    let summary = Summary::new(&m.samples).ok();
    // Order statistics: at least 95 % coverage at every n, none claimed below n = 6.
    let ci = median_ci(&m.samples, CONFIDENCE).ok();
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
