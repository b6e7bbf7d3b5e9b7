//! Measurement → stored result: the summary statistics and the CI of the median.

use calibench_calibrator::{median_ci, Summary, CONFIDENCE};
use calibench_results::{now, BenchmarkResult, ExecutionEnvironment, ProcessUsage, Status};
use calibench_suites::{Benchmark, Dimension};

use crate::events::Measurement;

/// Builds the result of one benchmark on one runtime.
pub fn build_result(
    bench: &Benchmark,
    m: Measurement,
    mut execution_environment: ExecutionEnvironment,
) -> BenchmarkResult {
    if execution_environment.cgroup.is_none() {
        execution_environment.cgroup = m.cgroup;
    }
    let mut result = from_samples(
        &bench.name,
        bench.dimension,
        bench.unit(),
        m.samples,
        execution_environment,
    );
    if let Some(f) = m.failure {
        result.status = Status::Failed;
        result.failure = Some(f);
    }
    result.usage = ProcessUsage {
        user_s: m.user_s,
        system_s: m.system_s,
        max_rss_kib: m.max_rss_kib,
        cgroup: m.sample_cgroup,
        wall_s: m.sample_wall_s,
        round: m.sample_round,
    };
    result
}

/// A result from its samples alone: summary statistics and the order-statistic CI of
/// the median (at least 95 % coverage at every n, none claimed below n = 6). Failed
/// when there are no samples.
pub fn from_samples(
    name: &str,
    dimension: Dimension,
    unit: &str,
    samples: Vec<f64>,
    execution_environment: ExecutionEnvironment,
) -> BenchmarkResult {
    let summary = Summary::new(&samples).ok();
    let ci = median_ci(&samples, CONFIDENCE).ok();
    let failure = summary
        .is_none()
        .then(|| "no samples were measured".to_string());
    BenchmarkResult {
        name: name.to_string(),
        runtime: execution_environment.runtime,
        dimension,
        unit: unit.to_string(),
        status: if failure.is_some() {
            Status::Failed
        } else {
            Status::Ok
        },
        failure,
        measured_at: now(),
        n: samples.len(),
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
        samples,
        usage: ProcessUsage::default(),
        execution_environment,
    }
}
