//! The CPU quota's effect on the work itself, measured. Removing a run's throttled time
//! removes the time the quota kept it off the CPU, but not what being stopped and
//! restarted every period did to the work (caches and TLBs refilled after other tasks
//! ran, timer and scheduler work): that effect depends on the program (on this project's
//! machines +0.1 … +9 % of CPU time for gzip, +1 … +3 % for `sysbench cpu`, −13 … −18 % for
//! the CPU probe; docs/truth.md), so no probe calibrates it. It is measured instead for
//! each benchmark the quota throttles: from its first throttled block on (so a command
//! the quota never reaches runs once per run, as without a quota), every block of runs
//! in the limited container is paired with the same
//! block in a twin container of the same image, cpuset and memory limit without the
//! quota, the two in ABBA order, and the effect is the paired ratio of the limited runs'
//! time less their throttled time to the twin's runs' time (geometric mean of the
//! per-block ratios of medians with its t interval, `calibench_calibrator::paired_overhead`).

use calibench_calibrator::limits::PARALLEL_SLACK;
use calibench_calibrator::{median, paired_overhead, CONFIDENCE};
use calibench_results::{CgroupUsage, PairedRatio};

use super::Block;

/// Measured blocks without throttling after which the twin stops: the quota does not
/// reach this work (a quota of more CPUs than it uses), and only throttled runs are
/// adjusted for the quota's effect.
pub const UNTHROTTLED_BLOCKS: usize = 2;

/// The twin container of one benchmark and the blocks measured in it.
#[derive(Debug)]
pub struct QuotaTwin {
    /// The twin container's id.
    pub id: String,
    /// Paired block medians: the limited runs' unthrottled time, the twin's time.
    limited: Vec<f64>,
    free: Vec<f64>,
    /// Measured blocks so far (the ABBA position), and those the quota throttled.
    blocks: usize,
    throttled_blocks: usize,
    /// Why the twin stopped (its block failed, or the quota did not throttle the first
    /// blocks, so there is no effect to remove); no more blocks run in it.
    pub stopped: Option<String>,
}

/// The median of a block's runs' wall time less their throttled time; `None` for a block
/// that failed or has no runs, and for work on several CPUs at once (its CPU time beyond
/// that time, as `calibench_calibrator::limit_free` judges it): its throttled time is
/// summed over CPUs, and such work is not adjusted.
fn runnable_median(block: &Block) -> Option<f64> {
    if block.failure.is_some() || block.samples.is_empty() {
        return None;
    }
    let mut times = Vec::with_capacity(block.samples.len());
    for s in &block.samples {
        let seconds = |f: fn(&CgroupUsage) -> Option<u64>| {
            s.cgroup.as_ref().and_then(f).unwrap_or(0) as f64 / 1e9
        };
        let runnable = s.wall_s - seconds(|c| c.throttled_ns);
        if seconds(|c| c.cpu_usage_ns) > runnable * (1.0 + PARALLEL_SLACK) {
            return None;
        }
        times.push(runnable);
    }
    median(&times).ok().filter(|m| *m > 0.0)
}

/// Whether the quota throttled any run of the block.
pub fn throttled(block: &Block) -> bool {
    block.samples.iter().any(|s| {
        s.cgroup
            .as_ref()
            .is_some_and(|c| c.throttled_ns.unwrap_or(0) > 0)
    })
}

impl QuotaTwin {
    pub fn new(id: String) -> Self {
        Self {
            id,
            limited: Vec::new(),
            free: Vec::new(),
            blocks: 0,
            throttled_blocks: 0,
            stopped: None,
        }
    }

    /// Whether the next measured block runs in the twin first (ABBA: limited first in
    /// blocks 0 and 3 of every four, the twin first in 1 and 2), so that drift within a
    /// pair falls on both sides alike over two pairs.
    pub fn twin_first(&self) -> bool {
        matches!(self.blocks % 4, 1 | 2)
    }

    /// Records a measured pair of blocks; a failed twin block stops the twin.
    pub fn record(&mut self, limited: &Block, twin: &Block) {
        self.blocks += 1;
        if let Some(f) = &twin.failure {
            self.stopped = Some(format!("its block failed: {f}"));
        }
        self.throttled_blocks += usize::from(throttled(limited));
        if self.blocks >= UNTHROTTLED_BLOCKS && self.throttled_blocks == 0 {
            self.stopped
                .get_or_insert_with(|| "the quota throttled none of the first blocks".into());
        }
        if let (Some(l), Some(t)) = (runnable_median(limited), runnable_median(twin)) {
            self.limited.push(l);
            self.free.push(t);
        }
    }

    /// The quota's effect on the work: limited (less throttled time) against the twin,
    /// paired by block; `None` with fewer than two pairs.
    pub fn effect(&self) -> Option<PairedRatio> {
        let o = paired_overhead(&self.free, &self.limited, CONFIDENCE).ok()?;
        Some(PairedRatio {
            rounds: o.rounds,
            change_pct: o.overhead * 100.0,
            ci_low_pct: o.ci_low * 100.0,
            ci_high_pct: o.ci_high * 100.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Sample;

    fn block(walls: &[f64], throttled_s: f64) -> Block {
        Block {
            samples: walls
                .iter()
                .map(|&w| Sample {
                    value: w,
                    wall_s: w,
                    user_s: 0.0,
                    system_s: 0.0,
                    max_rss_kib: 1,
                    cgroup: Some(CgroupUsage {
                        throttled_ns: Some((throttled_s * 1e9) as u64),
                        ..CgroupUsage::default()
                    }),
                    probe_extra: Default::default(),
                })
                .collect(),
            ..Block::default()
        }
    }

    #[test]
    fn the_effect_is_the_limited_runs_unthrottled_time_against_the_twins() {
        let mut twin = QuotaTwin::new("t".into());
        let mut order = Vec::new();
        for i in 0..8 {
            order.push(twin.twin_first());
            // The work takes 1 s (the twin's blocks drift by ±2 %); under the quota it
            // takes 3 ± 0.1 % more CPU time and is throttled for as long again.
            let free = 1.0 + 0.02 * f64::from(i % 3) - 0.02;
            let limited = free * (1.03 + 0.002 * (f64::from(i % 3) - 1.0));
            twin.record(
                &block(&[limited * 2.0 - 0.001, limited * 2.0 + 0.001], limited),
                &block(&[free - 0.001, free + 0.001], 0.0),
            );
        }
        assert_eq!(
            order,
            [false, true, true, false, false, true, true, false],
            "ABBA"
        );
        let e = twin.effect().expect("an effect");
        assert_eq!(e.rounds, 8);
        assert!((e.change_pct - 3.0).abs() < 0.05, "{e:?}");
        assert!(e.ci_low_pct <= 3.0 && 3.0 <= e.ci_high_pct, "{e:?}");
    }

    #[test]
    fn the_twin_stops_where_the_quota_throttles_nothing() {
        let mut twin = QuotaTwin::new("t".into());
        twin.record(&block(&[1.0], 0.0), &block(&[1.0], 0.0));
        assert_eq!(twin.stopped, None);
        twin.record(&block(&[1.0], 0.0), &block(&[1.0], 0.0));
        assert!(twin.stopped.is_some());
        let mut throttled = QuotaTwin::new("t".into());
        for _ in 0..4 {
            throttled.record(&block(&[2.0], 1.0), &block(&[1.0], 0.0));
        }
        assert_eq!(throttled.stopped, None);
    }

    #[test]
    fn work_on_several_cpus_is_not_paired() {
        let mut twin = QuotaTwin::new("t".into());
        for _ in 0..4 {
            // Two threads under 1.5 CPUs: 1.4 s of CPU in 0.93 s of wall, 0.43 throttled.
            let mut limited = block(&[0.93], 0.43);
            for s in &mut limited.samples {
                if let Some(c) = s.cgroup.as_mut() {
                    c.cpu_usage_ns = Some(1_400_000_000);
                }
            }
            twin.record(&limited, &block(&[0.7], 0.0));
        }
        assert_eq!(twin.effect(), None);
    }

    #[test]
    fn failed_blocks_are_not_paired_and_a_failed_twin_stops() {
        let mut twin = QuotaTwin::new("t".into());
        let mut failed = block(&[1.0], 0.0);
        failed.failure = Some("timed out".into());
        twin.record(&block(&[2.0], 1.0), &failed);
        assert_eq!(twin.stopped.as_deref(), Some("its block failed: timed out"));
        assert_eq!(twin.effect(), None);
        twin.record(&block(&[2.0], 1.0), &block(&[1.0], 0.0));
        // One pair is not enough for an interval.
        assert_eq!(twin.effect(), None);
    }
}
