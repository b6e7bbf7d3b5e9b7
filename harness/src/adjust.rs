//! Applying a calibration profile to a run. For each container result, first what the
//! container's limits did to each run is removed (or the result is declined with the
//! reason: see `calibench_calibrator::limits`), then the values are divided by (1 + the
//! containerisation overhead of their dimension), the interval widened by the
//! overhead's uncertainty. Raw values are never altered.

use calibench_calibrator::{
    adjust, limit_free, median, median_ci, LimitFree, LimitedRun, OverheadInterval, CONFIDENCE,
};
use calibench_results::{
    BenchmarkResult, CalibrationProfile, DimensionOverhead, RunReport, Runtime, Status,
};

fn interval(d: &DimensionOverhead) -> OverheadInterval {
    OverheadInterval {
        estimate: d.overhead_pct / 100.0,
        low: d.ci_low_pct / 100.0,
        high: d.ci_high_pct / 100.0,
    }
}

/// The result's runs with what the cgroup counted; `None` for results without per-run
/// cgroup figures (measured before they were recorded).
fn limited_runs(b: &BenchmarkResult) -> Option<Vec<LimitedRun>> {
    let (cg, wall) = (&b.usage.cgroup, &b.usage.wall_s);
    if cg.is_empty() || cg.len() != b.samples.len() || wall.len() != b.samples.len() {
        return None;
    }
    Some(
        cg.iter()
            .enumerate()
            .map(|(i, c)| LimitedRun {
                value: b.samples[i],
                wall_s: wall[i],
                throttled_s: c.throttled_ns.unwrap_or(0) as f64 / 1e9,
                cpu_s: c.cpu_usage_ns.unwrap_or(0) as f64 / 1e9,
                memory_pressed: c.memory_pressed(),
            })
            .collect(),
    )
}

/// Whether each sample is its run's wall time (commands; probes report their own figure).
fn value_is_wall(b: &BenchmarkResult) -> bool {
    b.samples
        .iter()
        .zip(&b.usage.wall_s)
        .all(|(v, w)| v.to_bits() == w.to_bits())
}

/// The values a profile's overhead applies to: the samples with the limits' effect
/// removed, or why there are none.
fn adjustable_values(b: &BenchmarkResult) -> Result<Vec<f64>, String> {
    match limited_runs(b) {
        None => Ok(b.samples.clone()),
        Some(runs) => match limit_free(&runs, value_is_wall(b)) {
            LimitFree::Unaffected(v) | LimitFree::Unthrottled(v) => Ok(v),
            LimitFree::NotAdjustable(why) => Err(why),
        },
    }
}

/// Adds adjusted values to every measured docker result whose dimension the profile
/// covers with a usable interval; returns how many were adjusted. Results the limits
/// make unadjustable get the reason instead.
pub fn apply_profile(run: &mut RunReport, profile: &CalibrationProfile) -> usize {
    let mut adjusted = 0;
    for b in run
        .benchmarks
        .iter_mut()
        .filter(|b| b.runtime == Runtime::Docker && b.status == Status::Ok)
    {
        let Some(d) = profile.adjusting(b.dimension) else {
            continue;
        };
        let values = match adjustable_values(b) {
            Ok(v) => v,
            Err(why) => {
                b.execution_environment.not_adjustable = Some(why);
                continue;
            }
        };
        let ci = median_ci(&values, CONFIDENCE).ok();
        let (Some(m), Some(ci)) = (median(&values).ok(), ci) else {
            continue;
        };
        if let Ok(a) = adjust(m, ci.low.min(m), ci.high.max(m), interval(&d)) {
            b.adjusted_median = Some(a.median);
            b.adjusted_ci_low = Some(a.ci_low);
            b.adjusted_ci_high = Some(a.ci_high);
            b.execution_environment.overhead_pct = Some(d.overhead_pct);
            b.execution_environment.overhead_ci_low_pct = Some(d.ci_low_pct);
            b.execution_environment.overhead_ci_high_pct = Some(d.ci_high_pct);
            adjusted += 1;
        }
    }
    if adjusted > 0 {
        run.calibration_profile_id = Some(profile.profile_id.clone());
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use calibench_calibrator::{Dimension, Verdict};
    use calibench_results::testing::{fixture_profile, fixture_result, fixture_run};
    use calibench_results::CgroupUsage;

    use super::*;

    /// Eight samples: a 95 % interval of the median needs six or more.
    const SAMPLES: [f64; 8] = [1.2, 1.22, 1.24, 1.25, 1.25, 1.26, 1.28, 1.3];

    fn run_with(runtime: Runtime, dimension: Dimension) -> RunReport {
        let mut run = fixture_run(None, 0, 0);
        let mut r = fixture_result("x", runtime, SAMPLES.to_vec());
        r.dimension = dimension;
        r.execution_environment.runtime = runtime;
        run.benchmarks.push(r);
        run
    }

    fn cpu_profile() -> CalibrationProfile {
        fixture_profile(Dimension::Cpu, 25.0, 20.0, 30.0, Verdict::Overhead)
    }

    #[test]
    fn docker_results_of_a_covered_dimension_are_adjusted() {
        let profile = cpu_profile();
        let mut run = run_with(Runtime::Docker, Dimension::Cpu);
        assert_eq!(apply_profile(&mut run, &profile), 1);
        let b = &run.benchmarks[0];
        let (Some(m), Some(adj)) = (b.median, b.adjusted_median) else {
            panic!("no adjusted value: {b:?}");
        };
        assert!((adj - m / 1.25).abs() < 1e-12, "{adj} against {m}/1.25");
        assert_eq!(b.execution_environment.overhead_pct, Some(25.0));
        assert_eq!(run.calibration_profile_id, Some(profile.profile_id.clone()));
        // Raw values stay as measured.
        assert_eq!(b.samples, SAMPLES.to_vec());
    }

    #[test]
    fn host_results_other_dimensions_and_too_few_rounds_are_left_alone() {
        let profile = cpu_profile();
        let mut host = run_with(Runtime::Host, Dimension::Cpu);
        let mut io = run_with(Runtime::Docker, Dimension::Io);
        assert_eq!(apply_profile(&mut host, &profile), 0);
        assert_eq!(apply_profile(&mut io, &profile), 0);
        assert!(io.calibration_profile_id.is_none());
        let short = fixture_profile(Dimension::Cpu, 25.0, 0.0, 60.0, Verdict::TooFewRounds);
        let mut run = run_with(Runtime::Docker, Dimension::Cpu);
        assert_eq!(apply_profile(&mut run, &short), 0);
        assert!(run.benchmarks[0].adjusted_median.is_none());
    }

    fn with_cgroup(throttled_s: f64, cpu_s: f64, limit_hits: u64) -> RunReport {
        let mut run = run_with(Runtime::Docker, Dimension::Cpu);
        let b = &mut run.benchmarks[0];
        b.usage.wall_s = b.samples.clone();
        b.usage.cgroup = b
            .samples
            .iter()
            .map(|_| CgroupUsage {
                throttled_ns: Some((throttled_s * 1e9) as u64),
                cpu_usage_ns: Some((cpu_s * 1e9) as u64),
                memory_limit_hits: Some(limit_hits),
                ..CgroupUsage::default()
            })
            .collect();
        run
    }

    #[test]
    fn each_run_loses_its_own_throttling_before_the_ratio() {
        let mut run = with_cgroup(0.6, 0.62, 0);
        assert_eq!(apply_profile(&mut run, &cpu_profile()), 1);
        let adj = run.benchmarks[0].adjusted_median.unwrap_or(0.0);
        assert!((adj - (1.25 - 0.6) / 1.25).abs() < 1e-9, "{adj}");
    }

    #[test]
    fn work_the_limits_changed_is_marked_not_adjustable() {
        let mut parallel = with_cgroup(0.6, 1.2, 0);
        let mut pressed = with_cgroup(0.0, 1.0, 3);
        for run in [&mut parallel, &mut pressed] {
            assert_eq!(apply_profile(run, &cpu_profile()), 0);
            let b = &run.benchmarks[0];
            assert!(b.adjusted_median.is_none());
            assert!(b.execution_environment.not_adjustable.is_some(), "{b:?}");
        }
    }
}
