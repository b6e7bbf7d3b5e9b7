//! Applying a calibration profile to a run. For each container result, first what the
//! container's limits did to each run is removed (or the result is declined with the
//! reason: see `calibench_calibrator::limits`); where the CPU quota throttled the runs and
//! the run measured the quota's effect on the work itself (`executor::quota_twin`), the
//! median is divided by (1 + that effect); then by (1 + the containerisation overhead of
//! their dimension). Each division widens the interval by its factor's uncertainty; IO
//! runs that may land on CPUs whose IO differs widen it by that spread too
//! (`calibench_results::IoPlacement`). An IO program's own start and computation are CPU
//! work: its time off CPU takes the io ratio and the rest the cpu ratio, with an interval
//! spanning both (`calibench_calibrator::mixture`). Service results (the network
//! dimension) instead lose the time their network path adds to a request (`network`;
//! `crate::calibrate` explains why that cost is additive). In a run on both sides each
//! adjusted result is also read against the host's runs of the same rounds (`paired`).
//! Raw values are never altered.

use std::collections::HashMap;

use calibench_calibrator::{
    adjust, limit_free, median, median_ci, mixed, Adjusted, Dimension, LimitFree, LimitedRun,
    OverheadInterval, CONFIDENCE,
};
use calibench_results::{
    BenchmarkResult, CalibrationProfile, CgroupUsage, DimensionOverhead, RunReport, Runtime, Status,
};

mod network;
mod paired;

fn interval(d: &DimensionOverhead) -> OverheadInterval {
    OverheadInterval::from_pct(d.overhead_pct, d.ci_low_pct, d.ci_high_pct)
}

/// `d` with its interval widened by a factor (1 + `pct` / 100) either way.
fn widened(mut d: DimensionOverhead, pct: f64) -> DimensionOverhead {
    let f = 1.0 + pct / 100.0;
    d.ci_low_pct = ((1.0 + d.ci_low_pct / 100.0) / f - 1.0) * 100.0;
    d.ci_high_pct = ((1.0 + d.ci_high_pct / 100.0) * f - 1.0) * 100.0;
    d
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
                throttled_s: c.throttled_s(),
                cpu_s: c.cpu_usage_ns.unwrap_or(0) as f64 / 1e9,
                memory_pressed: c.memory_pressed(),
            })
            .collect(),
    )
}

/// The share of the runs' time spent off CPU (waiting on IO), median over the runs: per
/// run, 1 − (user + system CPU) / (wall − throttled), clamped to 0…1 (work on two CPUs
/// spends more CPU than wall time). `None` without per-run wall and CPU times.
fn off_cpu_share(b: &BenchmarkResult) -> Option<f64> {
    let u = &b.usage;
    let n = u.wall_s.len();
    if n == 0 || u.user_s.len() != n || u.system_s.len() != n {
        return None;
    }
    let shares: Vec<f64> = (0..n)
        .map(|i| {
            let throttled = u.cgroup.get(i).map_or(0.0, CgroupUsage::throttled_s);
            let on_cpu = (u.wall_s[i] - throttled).max(f64::MIN_POSITIVE);
            (1.0 - (u.user_s[i] + u.system_s[i]) / on_cpu).clamp(0.0, 1.0)
        })
        .collect();
    median(&shares).ok()
}

/// The ratio that adjusts `b` and, for IO work beside a CPU figure, the share of its time
/// spent off CPU that weighted the io ratio against the cpu ratio: an IO-bound program's
/// own start and computation are CPU work (`calibench_calibrator::mixture`). Without the
/// profile's cpu dimension the io ratio adjusts the whole.
fn ratio_for(
    b: &BenchmarkResult,
    own: &DimensionOverhead,
    profile: &CalibrationProfile,
) -> (OverheadInterval, Option<f64>) {
    let own = interval(own);
    if b.dimension != Dimension::Io {
        return (own, None);
    }
    match profile.adjusting(Dimension::Cpu) {
        Some(cpu) => {
            let share = off_cpu_share(b);
            (mixed(own, interval(&cpu), share.unwrap_or(1.0)), share)
        }
        None => (own, None),
    }
}

/// Whether each sample is its run's wall time (commands; probes report their own figure).
fn value_is_wall(b: &BenchmarkResult) -> bool {
    b.samples
        .iter()
        .zip(&b.usage.wall_s)
        .all(|(v, w)| v.to_bits() == w.to_bits())
}

/// The values a profile's overhead applies to: the samples with the limits' effect
/// removed, and where the quota throttled the runs the median time removed from one;
/// or why there are none.
fn adjustable_values(b: &BenchmarkResult) -> Result<(Vec<f64>, Option<f64>), String> {
    match limited_runs(b) {
        None => Ok((b.samples.clone(), None)),
        Some(runs) => match limit_free(&runs, value_is_wall(b)) {
            LimitFree::Unaffected(v) => Ok((v, None)),
            LimitFree::Unthrottled(v) => {
                let removed: Vec<f64> = runs.iter().map(|r| r.throttled_s).collect();
                Ok((v, median(&removed).ok()))
            }
            LimitFree::NotAdjustable(why) => Err(why),
        },
    }
}

/// Adds adjusted values to every measured docker result whose dimension the profile
/// covers with a usable interval; returns how many were adjusted. Results the limits
/// make unadjustable get the reason instead.
pub fn apply_profile(run: &mut RunReport, profile: &CalibrationProfile) -> usize {
    // The host's runs of each benchmark measured in paired rounds beside the container.
    let hosts: HashMap<String, (Vec<f64>, Vec<u32>)> = run
        .benchmarks
        .iter()
        .filter(|b| b.runtime == Runtime::Host && b.status == Status::Ok)
        .filter(|b| !b.usage.round.is_empty())
        .map(|b| (b.name.clone(), (b.samples.clone(), b.usage.round.clone())))
        .collect();
    let mut adjusted = 0;
    for b in run
        .benchmarks
        .iter_mut()
        .filter(|b| b.runtime == Runtime::Docker && b.status == Status::Ok)
    {
        if b.dimension == Dimension::Network {
            adjusted += usize::from(network::adjust_network(b, profile));
            continue;
        }
        let Some(d) = profile.adjusting(b.dimension) else {
            continue;
        };
        if let Some(why) = profile.declines(b.dimension) {
            b.execution_environment.not_adjustable = Some(why);
            continue;
        }
        let d = match profile.widening_pct(b.dimension) {
            Some(pct) => widened(d, pct),
            None => d,
        };
        let (values, throttled_removed_s) = match adjustable_values(b) {
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
        let measured = Adjusted {
            median: m,
            ci_low: ci.low.min(m),
            ci_high: ci.high.max(m),
        };
        // The quota's effect on the work, where the quota acted and the run measured it.
        let quota = throttled_removed_s
            .and(b.execution_environment.quota_effect)
            .map(|q| OverheadInterval::from_pct(q.change_pct, q.ci_low_pct, q.ci_high_pct));
        let unquota = match quota {
            Some(q) => adjust(m, measured.ci_low, measured.ci_high, q),
            None => Ok(measured),
        };
        let (ratio, io_share) = ratio_for(b, &d, profile);
        let result = unquota.and_then(|u| adjust(u.median, u.ci_low, u.ci_high, ratio));
        if let Ok(a) = result {
            let factors: Vec<OverheadInterval> = quota.into_iter().chain([ratio]).collect();
            b.execution_environment.adjusted_vs_host = hosts.get(&b.name).and_then(|(h, r)| {
                paired::adjusted_vs_host((h, r), (&values, &b.usage.round), &factors)
            });
            b.adjusted_median = Some(a.median);
            b.adjusted_ci_low = Some(a.ci_low);
            b.adjusted_ci_high = Some(a.ci_high);
            let env = &mut b.execution_environment;
            env.overhead_pct = Some(ratio.estimate * 100.0);
            env.overhead_ci_low_pct = Some(ratio.low * 100.0);
            env.overhead_ci_high_pct = Some(ratio.high * 100.0);
            env.throttled_removed_s = throttled_removed_s;
            env.io_share = io_share;
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
    fn a_run_on_both_sides_gets_the_adjusted_value_against_the_host_paired() {
        // Four rounds of two runs: the container 25 % slower than the host in each, as
        // the profile says, while both sides drift from round to round.
        let rounds: Vec<u32> = (0..4).flat_map(|r| [r, r]).collect();
        let host: Vec<f64> = rounds.iter().map(|r| 1.0 + f64::from(*r) * 0.1).collect();
        let cont: Vec<f64> = host.iter().map(|h| h * 1.25).collect();
        let mut run = fixture_run(None, 0, 0);
        let mut h = fixture_result("x", Runtime::Host, host);
        h.usage.round = rounds.clone();
        let mut c = fixture_result("x", Runtime::Docker, cont);
        c.execution_environment.runtime = Runtime::Docker;
        c.usage.round = rounds;
        run.benchmarks = vec![h, c.clone()];
        assert_eq!(apply_profile(&mut run, &cpu_profile()), 1);
        let Some(p) = run.benchmarks[1].execution_environment.adjusted_vs_host else {
            panic!("no paired figure: {:?}", run.benchmarks[1]);
        };
        assert_eq!(p.rounds, 4);
        assert!(p.change_pct.abs() < 1e-9, "{p:?}");
        // The profile's interval (+20 … +30 %) is the interval's whole width here.
        assert!(p.ci_low_pct < -3.5 && p.ci_high_pct > 3.5, "{p:?}");
        // Without round numbers (a container-only run) there is no pair.
        let mut alone = fixture_run(None, 0, 0);
        c.usage.round.clear();
        alone.benchmarks = vec![c];
        assert_eq!(apply_profile(&mut alone, &cpu_profile()), 1);
        assert_eq!(
            alone.benchmarks[0].execution_environment.adjusted_vs_host,
            None
        );
    }

    fn placement(depends: bool, ci_high_pct: f64) -> calibench_results::IoPlacement {
        let cpu = |cpu, median| calibench_results::CpuFigure {
            cpu,
            median,
            runs: 20,
        };
        calibench_results::IoPlacement {
            probe: "io-fsync@bind".into(),
            cpus: vec![cpu(0, 220e-6), cpu(1, 152e-6)],
            spread_pct: ci_high_pct - 1.0,
            ci_low_pct: if depends { 1.2 } else { -0.5 },
            ci_high_pct,
            depends,
        }
    }

    #[test]
    fn io_results_are_declined_where_io_latency_depends_much_on_the_cpu() {
        let mut profile = fixture_profile(Dimension::Io, 2.0, 1.0, 3.0, Verdict::Overhead);
        for (depends, high) in [(true, 51.0), (false, 5.5)] {
            profile.io_placement = Some(placement(depends, high));
            let mut io = run_with(Runtime::Docker, Dimension::Io);
            assert_eq!(apply_profile(&mut io, &profile), 0);
            let b = &io.benchmarks[0];
            assert_eq!(b.adjusted_median, None);
            let why = b
                .execution_environment
                .not_adjustable
                .as_deref()
                .unwrap_or("");
            assert!(why.contains("CPU 0 220 µs, CPU 1 152 µs"), "{why}");
            assert!(why.contains("--cpuset"), "{why}");
        }
        // Another dimension is adjusted as before.
        let mut cpu = fixture_profile(Dimension::Cpu, 25.0, 20.0, 30.0, Verdict::Overhead);
        cpu.io_placement = Some(placement(true, 51.0));
        let mut run = run_with(Runtime::Docker, Dimension::Cpu);
        assert_eq!(apply_profile(&mut run, &cpu), 1);
    }

    /// A mixture of runs over two CPUs whose IO differs by at most 2.5 % moves a ratio by
    /// at most a factor 1.025 either way: the io interval (+1 … +3 %) becomes
    /// 1.01 / 1.025 − 1 … 1.03 × 1.025 − 1, the estimate unchanged.
    #[test]
    fn io_results_are_adjusted_with_a_wider_interval_where_the_cpus_differ_a_little() {
        let mut profile = fixture_profile(Dimension::Io, 2.0, 1.0, 3.0, Verdict::Overhead);
        let mut plain = run_with(Runtime::Docker, Dimension::Io);
        assert_eq!(apply_profile(&mut plain, &profile), 1);
        profile.io_placement = Some(placement(true, 2.5));
        let mut io = run_with(Runtime::Docker, Dimension::Io);
        assert_eq!(apply_profile(&mut io, &profile), 1);
        let (p, w) = (&plain.benchmarks[0], &io.benchmarks[0]);
        assert_eq!(w.adjusted_median, p.adjusted_median);
        let env = &w.execution_environment;
        let low = (1.01 / 1.025 - 1.0) * 100.0;
        let high = (1.03 * 1.025 - 1.0) * 100.0;
        assert!(
            (env.overhead_ci_low_pct.expect("low") - low).abs() < 1e-9,
            "{env:?}"
        );
        assert!(
            (env.overhead_ci_high_pct.expect("high") - high).abs() < 1e-9,
            "{env:?}"
        );
        assert!(w.adjusted_ci_low < p.adjusted_ci_low && w.adjusted_ci_high > p.adjusted_ci_high);
        // Where the CPUs are not shown to differ, the interval still takes their bound.
        profile.io_placement = Some(placement(false, 2.5));
        let mut io = run_with(Runtime::Docker, Dimension::Io);
        assert_eq!(apply_profile(&mut io, &profile), 1);
        assert_eq!(io.benchmarks[0].adjusted_ci_low, w.adjusted_ci_low);
    }

    /// An IO program that waits on its writes for three quarters of each run and computes
    /// for the rest: io +2 % (+1…+3) on the waiting, cpu 0 % (−4…+1) on the computing,
    /// +1.5 % on the whole, with an interval from −4 to +3 %.
    #[test]
    fn io_work_takes_the_cpu_ratio_for_its_time_on_cpu() {
        let mut profile = fixture_profile(Dimension::Io, 2.0, 1.0, 3.0, Verdict::Overhead);
        let mut cpu = profile.dimensions[0].clone();
        (
            cpu.dimension,
            cpu.overhead_pct,
            cpu.ci_low_pct,
            cpu.ci_high_pct,
        ) = (Dimension::Cpu, 0.0, -4.0, 1.0);
        let mut run = run_with(Runtime::Docker, Dimension::Io);
        let b = &mut run.benchmarks[0];
        b.usage.wall_s = b.samples.clone();
        b.usage.user_s = b.samples.iter().map(|w| w * 0.2).collect();
        b.usage.system_s = b.samples.iter().map(|w| w * 0.05).collect();
        let mut io_only = run.clone();
        assert_eq!(apply_profile(&mut io_only, &profile), 1);
        let only = &io_only.benchmarks[0];
        assert_eq!(only.execution_environment.io_share, None);
        assert_eq!(only.execution_environment.overhead_pct, Some(2.0));

        profile.dimensions.push(cpu);
        assert_eq!(apply_profile(&mut run, &profile), 1);
        let b = &run.benchmarks[0];
        let env = &b.execution_environment;
        let share = env.io_share.expect("share");
        assert!((share - 0.75).abs() < 1e-9, "{share}");
        let close = |v: Option<f64>, want: f64| (v.expect("set") - want).abs() < 1e-9;
        assert!(close(env.overhead_pct, 1.5), "{env:?}");
        assert!(close(env.overhead_ci_low_pct, -4.0), "{env:?}");
        assert!(close(env.overhead_ci_high_pct, 3.0), "{env:?}");
        let m = b.median.expect("median");
        assert!(close(b.adjusted_median, m / 1.015));
        // The hull is wider than the io interval on the side the cpu ratio reaches.
        assert!(b.adjusted_ci_high > only.adjusted_ci_high);
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
        let b = &run.benchmarks[0];
        let adj = b.adjusted_median.unwrap_or(0.0);
        assert!((adj - (1.25 - 0.6) / 1.25).abs() < 1e-9, "{adj}");
        // What was removed is recorded; unthrottled work records nothing.
        let removed = b.execution_environment.throttled_removed_s.unwrap_or(0.0);
        assert!((removed - 0.6).abs() < 1e-9, "{removed}");
        let mut free = with_cgroup(0.0, 1.2, 0);
        assert_eq!(apply_profile(&mut free, &cpu_profile()), 1);
        assert_eq!(
            free.benchmarks[0].execution_environment.throttled_removed_s,
            None
        );
    }

    #[test]
    fn the_measured_quota_effect_is_removed_after_the_throttled_time() {
        let effect = |pct: f64, half: f64| calibench_results::PairedRatio {
            rounds: 12,
            change_pct: pct,
            ci_low_pct: pct - half,
            ci_high_pct: pct + half,
        };
        let mut without = with_cgroup(0.6, 0.62, 0);
        let mut with = with_cgroup(0.6, 0.62, 0);
        with.benchmarks[0].execution_environment.quota_effect = Some(effect(4.0, 2.0));
        assert_eq!(apply_profile(&mut without, &cpu_profile()), 1);
        assert_eq!(apply_profile(&mut with, &cpu_profile()), 1);
        let (a, b) = (&without.benchmarks[0], &with.benchmarks[0]);
        let (Some(plain), Some(adj)) = (a.adjusted_median, b.adjusted_median) else {
            panic!("not adjusted: {a:?} {b:?}");
        };
        assert!((adj - (1.25 - 0.6) / 1.04 / 1.25).abs() < 1e-9, "{adj}");
        assert!((plain / adj - 1.04).abs() < 1e-9);
        // The effect's own uncertainty widens the interval (log scale).
        let width = |r: &BenchmarkResult| {
            (r.adjusted_ci_high.unwrap_or(0.0) / r.adjusted_ci_low.unwrap_or(1.0)).ln()
        };
        assert!(width(b) > width(a), "{} against {}", width(b), width(a));
        // Unthrottled work keeps its value whatever the twin read.
        let mut free = with_cgroup(0.0, 1.2, 0);
        free.benchmarks[0].execution_environment.quota_effect = Some(effect(4.0, 2.0));
        assert_eq!(apply_profile(&mut free, &cpu_profile()), 1);
        let m = free.benchmarks[0].median.unwrap_or(0.0);
        let adj = free.benchmarks[0].adjusted_median.unwrap_or(0.0);
        assert!((adj - m / 1.25).abs() < 1e-9, "{adj}");
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
