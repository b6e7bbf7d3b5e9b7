//! What a container's resource limits did to each run, removed per run before the
//! containerisation overhead is applied, or the reason it cannot be.
//!
//! A CFS quota does not cost a fixed ratio: a run's slowdown depends on its CPU demand
//! per period, its threads and where in the period it starts. So it is read per run from
//! the cgroup (`cpu.stat` throttled time) rather than modelled. For single-threaded work
//! the run is runnable throughout, and each throttled interval is time it waited, so
//! `wall − throttled` is the time it would have taken without the quota. Work on several
//! CPUs breaks this: cgroup v1 sums throttled time over every CPU's run queue, so the
//! subtraction overshoots (even below zero); such runs are declined. A run is taken as
//! single-threaded when its CPU time does not exceed `wall − throttled` by more than
//! `PARALLEL_SLACK`. A memory limit that made the work reclaim (limit hits, major faults,
//! memory stalls) changes the work itself; no ratio undoes that, so it is declined too.

/// A run in a container with what its cgroup counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitedRun {
    /// The benchmark's figure for the run.
    pub value: f64,
    pub wall_s: f64,
    pub throttled_s: f64,
    pub cpu_s: f64,
    /// The memory limit made the run reclaim or stall.
    pub memory_pressed: bool,
}

/// CPU time may exceed `wall − throttled` by this fraction (timer and accounting slack)
/// before the run counts as using more than one CPU.
pub const PARALLEL_SLACK: f64 = 0.10;

/// Values with the limits' own effect removed, or why that cannot be done.
#[derive(Debug, Clone, PartialEq)]
pub enum LimitFree {
    /// No run was throttled or pressed: the values as measured.
    Unaffected(Vec<f64>),
    /// Each run's throttled time removed.
    Unthrottled(Vec<f64>),
    /// No defensible adjustment exists.
    NotAdjustable(String),
}

/// Removes the limits' effect from `runs`. `value_is_wall`: the figure is the run's wall
/// time (commands); a probe's own figure under throttling is declined.
pub fn limit_free(runs: &[LimitedRun], value_is_wall: bool) -> LimitFree {
    let pressed = runs.iter().filter(|r| r.memory_pressed).count();
    if pressed > 0 {
        return LimitFree::NotAdjustable(format!(
            "{pressed} of {} runs reclaimed memory or stalled under the container's memory limit: the limit changed the work, which no overhead ratio undoes",
            runs.len()
        ));
    }
    if runs.iter().all(|r| r.throttled_s <= 0.0) {
        return LimitFree::Unaffected(runs.iter().map(|r| r.value).collect());
    }
    if !value_is_wall {
        return LimitFree::NotAdjustable(
            "the CPU quota throttled a probe whose figure is not its wall time".into(),
        );
    }
    let mut out = Vec::with_capacity(runs.len());
    for r in runs {
        let runnable = r.wall_s - r.throttled_s;
        if runnable <= 0.0 || r.cpu_s > runnable * (1.0 + PARALLEL_SLACK) {
            return LimitFree::NotAdjustable(format!(
                "multi-threaded work throttled by the CPU quota (CPU {:.3} s in {:.3} s of wall, {:.3} s throttled): throttled time summed over several CPUs cannot be subtracted from wall time",
                r.cpu_s, r.wall_s, r.throttled_s
            ));
        }
        out.push(r.value - r.throttled_s);
    }
    LimitFree::Unthrottled(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall: f64, throttled: f64, cpu: f64) -> LimitedRun {
        LimitedRun {
            value: wall,
            wall_s: wall,
            throttled_s: throttled,
            cpu_s: cpu,
            memory_pressed: false,
        }
    }

    #[test]
    fn single_threaded_work_under_half_a_cpu_gets_its_throttling_removed() {
        // Measured shape (sysbench, --cpus 0.5 --cpuset 0): wall 1.378 s, throttled
        // 0.680 s, CPU 0.690 s; the host took 0.676 s.
        let runs = [run(1.378, 0.680, 0.690), run(1.390, 0.690, 0.695)];
        match limit_free(&runs, true) {
            LimitFree::Unthrottled(v) => {
                assert!((v[0] - 0.698).abs() < 1e-9 && (v[1] - 0.700).abs() < 1e-9)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unthrottled_runs_are_left_as_measured() {
        let runs = [run(0.5, 0.0, 0.49), run(0.51, 0.0, 0.5)];
        assert_eq!(
            limit_free(&runs, true),
            LimitFree::Unaffected(vec![0.5, 0.51])
        );
        assert_eq!(
            limit_free(&runs, false),
            LimitFree::Unaffected(vec![0.5, 0.51])
        );
    }

    #[test]
    fn multi_threaded_or_memory_pressed_work_is_declined_with_a_reason() {
        // Two threads under --cpus 0.5: throttled time (summed over two run queues)
        // exceeds the wall time.
        let two = [run(3.0, 4.4, 1.5)];
        assert!(
            matches!(limit_free(&two, true), LimitFree::NotAdjustable(r) if r.contains("multi-threaded"))
        );
        // Two threads under --cpus 1.5: CPU time far above wall − throttled.
        let wide = [run(0.930, 0.427, 1.39)];
        assert!(matches!(
            limit_free(&wide, true),
            LimitFree::NotAdjustable(_)
        ));
        let mut pressed = run(0.5, 0.0, 0.5);
        pressed.memory_pressed = true;
        assert!(
            matches!(limit_free(&[pressed], true), LimitFree::NotAdjustable(r) if r.contains("memory"))
        );
        assert!(matches!(
            limit_free(&[run(1.0, 0.5, 0.5)], false),
            LimitFree::NotAdjustable(_)
        ));
    }
}
