//! The measuring loop of one benchmark on one or two runtimes. Warm-up runs are
//! discarded; then the sides take turns in rounds, a block of runs each, in randomised
//! ABBA order (the calibrator's paired-rounds schedule), until every side has `min_runs`
//! samples and has spent `time_budget` on measured runs, never past `max_runs`. A block
//! is as many runs as fit in about `TARGET_BLOCK_S`, so a millisecond benchmark is not
//! dominated by the cost of entering the container for each run. A failed run stops its
//! side, with its reason; the samples before it are kept and the other side goes on.

use calibench_calibrator::{median, median_ci, AbbaOrder, CONFIDENCE};
use calibench_results::{CgroupUsage, ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;

use crate::events::{Event, EventSink, Measurement};
use crate::executor::{Block, Executor, ExecutorError, Runs};
use crate::launch::interrupted;

/// Measured time a block aims at.
pub const TARGET_BLOCK_S: f64 = 0.1;
/// Most runs in one block.
pub const MAX_BLOCK: usize = 64;
/// Wall time of the settling runs that open a block of short runs. After a switch of
/// side (or a fresh exec into the container) the first runs of a block read slower on
/// both sides for about 3 ms: `true`, whose steady spawn took 0.60 ms on the host and
/// 0.75 ms in the container, took 0.84, 0.87, 0.77, 0.67 ms in a host block's first four
/// runs and 0.97, 0.84 ms in a container block's first two (docs/performance.md). Time
/// added to both sides dilutes their ratio toward 0: unsettled, `true` read no container
/// cost where hyperfine in the same container read +20 % (`scripts/start-check.sh`).
pub const SETTLE_S: f64 = 0.005;

/// Settling runs before a block of `count` runs of `per_run_s` seconds each: enough to
/// span `SETTLE_S`, never more than the block's own runs. None where runs take
/// `SETTLE_S` or longer (the switch then costs a small part of one run; a block of
/// long runs holds one run, so settling would double the time), where the run time is
/// not known yet, or where nothing switches (`switching`: two sides, or a container
/// entered anew for each block).
fn settle_runs(per_run_s: Option<f64>, count: usize, switching: bool) -> usize {
    match per_run_s {
        Some(w) if switching && w > 0.0 && w < SETTLE_S => {
            ((SETTLE_S / w).ceil() as usize).min(count)
        }
        _ => 0,
    }
}

/// When a benchmark's rounds stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The suite's settings: `min_runs` and `time_budget` on every side, at most
    /// `max_runs`.
    Settings,
    /// Two sides, until the paired ratio's interval half-width reaches the target (after
    /// at least `min_rounds` paired rounds), or `max_time` passes, but not before the
    /// suite's `min_runs` on each side; or a side reaches `max_runs`. The suite's
    /// `time_budget` does not apply.
    Precision {
        target_half_width_pp: f64,
        min_rounds: usize,
        max_time: std::time::Duration,
    },
}

/// Paired rounds of two sides: side 0's and side 1's block medians, where both ran a
/// complete block.
pub fn paired_rounds(rounds: &[Vec<Option<f64>>], a: usize, b: usize) -> (Vec<f64>, Vec<f64>) {
    rounds
        .iter()
        .filter_map(|r| Some((r.get(a).copied()??, r.get(b).copied()??)))
        .unzip()
}

/// One side's measurement and how it was executed.
#[derive(Debug, Clone)]
pub struct SideResult {
    pub measurement: Measurement,
    pub environment: ExecutionEnvironment,
}

/// A benchmark measured on every executor, with the medians of the blocks each round
/// ran (`None` where a side ran no complete block that round).
#[derive(Debug, Clone)]
pub struct Measured {
    pub sides: Vec<SideResult>,
    pub rounds: Vec<Vec<Option<f64>>>,
}

#[derive(Default)]
struct SideState {
    m: Measurement,
    spent: f64,
    launched: usize,
    dead: bool,
    cgroup: Option<CgroupUsage>,
}

impl SideState {
    fn done(&self, bench: &Benchmark) -> bool {
        let s = &bench.settings;
        let n = self.m.samples.len();
        self.dead
            || n >= s.max_runs as usize
            || (n >= s.min_runs as usize
                && (self.spent >= s.time_budget.as_secs_f64() || self.precise(bench)))
    }

    /// Whether the median's interval reached the benchmark's `target_ci`.
    fn precise(&self, bench: &Benchmark) -> bool {
        let Some(target) = bench.settings.target_ci else {
            return false;
        };
        median_ci(&self.m.samples, CONFIDENCE)
            .is_ok_and(|ci| ci.estimate > 0.0 && ci.half_width() / ci.estimate <= target)
    }

    /// Records a block's runs; `round` numbers them where sides are paired.
    fn take(
        &mut self,
        block: Block,
        round: Option<u32>,
        bench: &Benchmark,
        runtime: Runtime,
        sink: &mut dyn EventSink,
    ) {
        self.launched += block.samples.len();
        for sample in &block.samples {
            self.spent += sample.wall_s;
            self.m.samples.push(sample.value);
            self.m.sample_round.extend(round);
            self.m.user_s.push(sample.user_s);
            self.m.system_s.push(sample.system_s);
            self.m.max_rss_kib = Some(self.m.max_rss_kib.unwrap_or(0).max(sample.max_rss_kib));
            if let Some(c) = &sample.cgroup {
                self.m.sample_cgroup.push(c.clone());
                self.m.sample_wall_s.push(sample.wall_s);
            }
            sink.event(&Event::Sample {
                name: bench.name.clone(),
                runtime,
                index: self.m.samples.len() - 1,
                value: sample.value,
            });
        }
        if let Some(c) = block.cgroup {
            self.cgroup = Some(add_usage(self.cgroup.take(), c));
        }
        if let Some(f) = block.failure {
            self.m.failure = Some(f);
            self.dead = true;
        }
    }
}

/// Sums counters; the memory peak is the latest reading.
fn add_usage(total: Option<CgroupUsage>, next: CgroupUsage) -> CgroupUsage {
    let Some(t) = total else { return next };
    let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    };
    CgroupUsage {
        cpu_usage_ns: sum(t.cpu_usage_ns, next.cpu_usage_ns),
        nr_periods: sum(t.nr_periods, next.nr_periods),
        nr_throttled: sum(t.nr_throttled, next.nr_throttled),
        throttled_ns: sum(t.throttled_ns, next.throttled_ns),
        memory_peak_bytes: next.memory_peak_bytes.or(t.memory_peak_bytes),
        memory_limit_hits: sum(t.memory_limit_hits, next.memory_limit_hits),
        major_faults: sum(t.major_faults, next.major_faults),
        memory_stall_us: sum(t.memory_stall_us, next.memory_stall_us),
    }
}

/// Paired rounds that `max_runs` leaves room for at the least: the paired ratio's
/// interval is a t interval over ABBA cycles, and with the 3 rounds of a sub-millisecond
/// benchmark's 64-run blocks under `max_runs = 200` it read +28.3 % (−58.7 … +298.3) in the
/// smoke suite, where the medians were 760 and 927 µs.
pub const MIN_PAIRED_ROUNDS: usize = 10;

/// Runs in a block, from the wall time per run seen so far: as many as fit in
/// `TARGET_BLOCK_S`, but few enough that `max_runs` allows `MIN_PAIRED_ROUNDS` rounds.
fn block_size(per_run_s: Option<f64>, max_runs: usize) -> usize {
    let most = MAX_BLOCK.min(max_runs / MIN_PAIRED_ROUNDS).max(1);
    match per_run_s {
        Some(w) if w > 0.0 => ((TARGET_BLOCK_S / w).floor() as usize).clamp(1, most),
        _ => 1,
    }
}

/// Runs in this side's next block: `k`, but no more than `max_runs` allows, and no more
/// than the time budget and `min_runs` still need.
fn block_count(state: &SideState, bench: &Benchmark, k: usize, per_run_s: Option<f64>) -> usize {
    let s = &bench.settings;
    let n = state.m.samples.len();
    let for_min = (s.min_runs as usize).saturating_sub(n);
    // With a precision target the next block is one round's worth, so the target can
    // stop the side as soon as it is reached.
    let left_s = if s.target_ci.is_some() {
        TARGET_BLOCK_S.min(s.time_budget.as_secs_f64() - state.spent)
    } else {
        s.time_budget.as_secs_f64() - state.spent
    };
    let for_budget = match per_run_s {
        Some(w) if w > 0.0 && left_s > 0.0 => (left_s / w).ceil() as usize,
        _ if left_s > 0.0 => 1,
        _ => 0,
    };
    k.min((s.max_runs as usize).saturating_sub(n))
        .min(for_min.max(for_budget))
        .max(1)
}

/// Measures `bench` on every executor, interleaved; `seed` fixes the ABBA order.
///
/// An executor error (the engine went away) ends every side that began and is returned.
pub fn measure(
    executors: &mut [Box<dyn Executor + '_>],
    bench: &Benchmark,
    sink: &mut dyn EventSink,
    seed: u64,
    goal: Goal,
) -> Result<Measured, ExecutorError> {
    let s = &bench.settings;
    let mut begun = 0;
    let mut failure: Option<ExecutorError> = None;
    let mut states: Vec<SideState> = executors.iter().map(|_| SideState::default()).collect();
    for e in executors.iter_mut() {
        sink.event(&Event::Started {
            name: bench.name.clone(),
            runtime: e.runtime(),
            min_runs: s.min_runs,
            max_runs: s.max_runs,
        });
        if let Err(err) = e.begin(bench) {
            failure = Some(err);
            break;
        }
        begun += 1;
    }
    let mut rounds = Vec::new();
    if failure.is_none() {
        match interleave(
            &mut executors[..begun],
            &mut states,
            bench,
            sink,
            seed,
            goal,
        ) {
            Ok(r) => rounds = r,
            Err(e) => failure = Some(e),
        }
    }
    let mut sides = Vec::new();
    for (i, e) in executors.iter_mut().enumerate().take(begun) {
        match e.end(bench) {
            Ok(mut environment) => {
                let state = std::mem::take(&mut states[i]);
                environment.cgroup = state.cgroup;
                let measurement = state.m;
                sink.event(&Event::Finished {
                    name: bench.name.clone(),
                    runtime: e.runtime(),
                    measurement: Box::new(measurement.clone()),
                });
                sides.push(SideResult {
                    measurement,
                    environment,
                });
            }
            Err(err) => {
                failure.get_or_insert(err);
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(Measured { sides, rounds }),
    }
}

impl Goal {
    /// Whether the precision target is met after `rounds` (the settings' part is in
    /// `SideState::done`; the suite's `min_runs` is checked beside this).
    fn reached(&self, rounds: &[Vec<Option<f64>>]) -> bool {
        let Goal::Precision {
            target_half_width_pp,
            min_rounds,
            ..
        } = *self
        else {
            return false;
        };
        let (a, b) = paired_rounds(rounds, 0, 1);
        a.len() >= min_rounds.max(2)
            && calibench_calibrator::paired_overhead(&a, &b, CONFIDENCE)
                .is_ok_and(|o| o.half_width_pp() <= target_half_width_pp)
    }

    /// Whether the goal's time is up.
    fn out_of_time(&self, started: std::time::Instant) -> bool {
        matches!(*self, Goal::Precision { max_time, .. } if started.elapsed() >= max_time)
    }
}

fn interleave(
    executors: &mut [Box<dyn Executor + '_>],
    states: &mut [SideState],
    bench: &Benchmark,
    sink: &mut dyn EventSink,
    seed: u64,
    goal: Goal,
) -> Result<Vec<Vec<Option<f64>>>, ExecutorError> {
    let s = &bench.settings;
    let started = std::time::Instant::now();
    let precision = matches!(goal, Goal::Precision { .. });
    let n = executors.len();
    let mut order = AbbaOrder::new(seed);
    // Whether a side's blocks follow a switch: another side's block, or a fresh exec.
    let switching: Vec<bool> = executors
        .iter()
        .map(|e| n > 1 || e.runtime() != Runtime::Host)
        .collect();
    let mut walls: Vec<f64> = Vec::new();
    if s.warmup > 0 {
        for (e, state) in executors.iter_mut().zip(states.iter_mut()) {
            let block = e.block(bench, 0, Runs::warmup(s.warmup as usize))?;
            state.launched += s.warmup as usize;
            walls.push(block.wall_s / f64::from(s.warmup));
            let runtime = e.runtime();
            state.take(block, None, bench, runtime, sink);
        }
    }
    let mut rounds = Vec::new();
    loop {
        let stop = if precision {
            let floor = states
                .iter()
                .all(|st| st.m.samples.len() >= s.min_runs as usize);
            (floor && (goal.reached(&rounds) || goal.out_of_time(started)))
                || states
                    .iter()
                    .any(|st| st.dead || st.m.samples.len() >= s.max_runs as usize)
        } else {
            states.iter().all(|st| st.done(bench))
        };
        if stop {
            break;
        }
        if interrupted() {
            for st in states.iter_mut().filter(|st| !st.dead) {
                st.m.failure = Some("interrupted".into());
                st.dead = true;
            }
            break;
        }
        let per_run = median(&walls).ok();
        let k = block_size(per_run, s.max_runs as usize);
        let sequence: Vec<usize> = if n == 2 && !order.next_a_first() {
            vec![1, 0]
        } else {
            (0..n).collect()
        };
        let mut round = vec![None; n];
        for i in sequence {
            if !precision && states[i].done(bench) {
                continue;
            }
            let count = if precision {
                k.min((s.max_runs as usize).saturating_sub(states[i].m.samples.len()))
                    .max(1)
            } else {
                block_count(&states[i], bench, k, per_run)
            };
            let runs = Runs::measured(count).settled(settle_runs(per_run, count, switching[i]));
            let block = executors[i].block(bench, states[i].launched, runs)?;
            if !block.samples.is_empty() {
                walls.push(block.wall_s / block.samples.len() as f64);
                if block.failure.is_none() {
                    let values: Vec<f64> = block.samples.iter().map(|x| x.value).collect();
                    round[i] = median(&values).ok();
                }
            }
            let runtime = executors[i].runtime();
            let paired = (n > 1).then_some(rounds.len() as u32);
            states[i].take(block, paired, bench, runtime, sink);
        }
        rounds.push(round);
    }
    Ok(rounds)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use calibench_suites::{BenchmarkKind, Dimension, RunSettings};

    use super::*;
    use crate::events::NullSink;
    use crate::executor::host::HostExecutor;
    use crate::launch::{Ending, LaunchError, Launcher, RunOutcome};

    /// Deterministic launcher: plays back wall times, then endings.
    struct Fake {
        walls: VecDeque<f64>,
        fail_at: Option<usize>,
        launched: usize,
    }

    impl Launcher for Fake {
        fn launch(&mut self, _: &Benchmark) -> Result<RunOutcome, LaunchError> {
            self.launched += 1;
            let ending = if self.fail_at == Some(self.launched) {
                Ending::Exited(3)
            } else {
                Ending::Exited(0)
            };
            Ok(RunOutcome {
                wall_s: self.walls.pop_front().unwrap_or(0.1),
                user_s: 0.05,
                system_s: 0.01,
                max_rss_kib: 1000 + self.launched as u64,
                ending,
                stdout: String::new(),
                stderr_tail: "boom".into(),
            })
        }
    }

    fn bench(warmup: u32, min_runs: u32, max_runs: u32, budget_s: u64) -> Benchmark {
        Benchmark {
            name: "b".into(),
            kind: BenchmarkKind::Command {
                argv: vec!["true".into()],
            },
            dimension: Dimension::Cpu,
            env: Default::default(),
            workdir: None,
            settings: RunSettings {
                warmup,
                min_runs,
                max_runs,
                time_budget: Duration::from_secs(budget_s),
                timeout: Duration::from_secs(5),
                target_ci: None,
            },
        }
    }

    fn fake(fail_at: Option<usize>) -> Fake {
        Fake {
            walls: VecDeque::new(),
            fail_at,
            launched: 0,
        }
    }

    /// Measures `bench` with the fake launcher alone (one side).
    fn measure_one(f: &mut Fake, b: &Benchmark) -> Measurement {
        let mut executors: Vec<Box<dyn Executor + '_>> = vec![Box::new(HostExecutor::new(f, None))];
        let measured = measure(&mut executors, b, &mut NullSink, 1, Goal::Settings)
            .expect("no executor error");
        measured.sides[0].measurement.clone()
    }

    #[test]
    fn blocks_leave_room_for_ten_paired_rounds_within_max_runs() {
        // 0.8 ms runs: 125 fit in 0.1 s; the block cap is 64, and max_runs = 200 leaves
        // room for ten rounds of 20.
        assert_eq!(block_size(Some(0.0008), 10_000), MAX_BLOCK);
        assert_eq!(block_size(Some(0.0008), 200), 20);
        assert_eq!(block_size(Some(0.0008), 5), 1);
        // Slow runs are one a block whatever max_runs allows; no estimate yet is one.
        assert_eq!(block_size(Some(0.5), 200), 1);
        assert_eq!(block_size(None, 200), 1);
    }

    #[test]
    fn warmups_are_discarded_and_min_runs_met() {
        let mut f = fake(None);
        let m = measure_one(&mut f, &bench(2, 5, 100, 0));
        assert_eq!(m.samples.len(), 5);
        assert_eq!(f.launched, 7);
        assert_eq!(m.max_rss_kib, Some(1007));
    }

    #[test]
    fn keeps_going_until_the_budget_is_spent() {
        // 0.1 s per run and a 2 s budget: 20 runs, above min_runs = 3.
        let mut f = fake(None);
        let m = measure_one(&mut f, &bench(0, 3, 100, 2));
        assert_eq!(m.samples.len(), 20);
    }

    #[test]
    fn a_precision_target_stops_once_the_median_is_known_well_enough() {
        // Identical 0.1 s runs: the median's interval has no width once it exists (6 runs),
        // long before the 100 s budget.
        let mut f = fake(None);
        let mut b = bench(0, 3, 1000, 100);
        b.settings.target_ci = Some(0.01);
        let m = measure_one(&mut f, &b);
        assert_eq!(m.samples.len(), 6);
    }

    #[test]
    fn max_runs_caps_the_budget() {
        let mut f = fake(None);
        let m = measure_one(&mut f, &bench(0, 3, 7, 100));
        assert_eq!(m.samples.len(), 7);
    }

    #[test]
    fn a_failed_run_stops_the_benchmark_and_keeps_earlier_samples() {
        let mut f = fake(Some(4));
        let m = measure_one(&mut f, &bench(1, 10, 100, 0));
        assert_eq!(m.samples.len(), 2);
        let reason = m.failure.unwrap_or_default();
        assert!(
            reason.contains("run 4 exited with status 3") && reason.contains("boom"),
            "{reason}"
        );
    }

    #[test]
    fn a_failed_warmup_is_reported_as_such() {
        let mut f = fake(Some(1));
        let m = measure_one(&mut f, &bench(1, 10, 100, 0));
        assert!(m.samples.is_empty());
        assert!(m.failure.unwrap_or_default().starts_with("warm-up run 1"));
    }

    #[test]
    fn short_runs_settle_after_a_switch_and_long_runs_do_not() {
        // 0.8 ms runs: 7 span 5 ms, but no more than the block's own runs.
        assert_eq!(settle_runs(Some(0.0008), 20, true), 7);
        assert_eq!(settle_runs(Some(0.0008), 4, true), 4);
        assert_eq!(settle_runs(Some(SETTLE_S), 20, true), 0);
        assert_eq!(settle_runs(Some(0.0008), 20, false), 0);
        assert_eq!(settle_runs(None, 20, true), 0);
    }

    /// Two sides, each with its own fake launcher.
    fn measure_two_to(
        a: &mut Fake,
        b: &mut Fake,
        bench: &Benchmark,
        goal: Goal,
    ) -> Vec<Measurement> {
        let mut executors: Vec<Box<dyn Executor + '_>> = vec![
            Box::new(HostExecutor::new(a, None)),
            Box::new(HostExecutor::new(b, None)),
        ];
        let measured =
            measure(&mut executors, bench, &mut NullSink, 1, goal).expect("no executor error");
        measured.sides.into_iter().map(|s| s.measurement).collect()
    }

    fn measure_two(a: &mut Fake, b: &mut Fake, bench: &Benchmark) -> Vec<Measurement> {
        measure_two_to(a, b, bench, Goal::Settings)
    }

    fn precision(target_pp: f64) -> Goal {
        Goal::Precision {
            target_half_width_pp: target_pp,
            min_rounds: MIN_PAIRED_ROUNDS,
            max_time: Duration::from_secs(60),
        }
    }

    /// About 100 ms runs (one a block), in a cycle of `walls`.
    fn alternating<const N: usize>(walls: [f64; N]) -> Fake {
        Fake {
            walls: walls.iter().copied().cycle().take(1000).collect(),
            fail_at: None,
            launched: 0,
        }
    }

    #[test]
    fn a_paired_precision_target_stops_after_min_runs_and_ignores_the_time_budget() {
        // A constant ratio is known exactly after two rounds; the suite's 30 runs are
        // the floor, and its zero time budget does not stop the sides.
        let (mut a, mut b) = (alternating([0.100, 0.102]), alternating([0.110, 0.1122]));
        let sides = measure_two_to(&mut a, &mut b, &bench(1, 30, 200, 0), precision(5.0));
        assert_eq!(sides[0].samples.len(), 30);
        assert_eq!(sides[1].samples.len(), 30);
        // Without a floor, the precision goal's own ten rounds.
        let (mut a, mut b) = (alternating([0.100, 0.102]), alternating([0.110, 0.1122]));
        let sides = measure_two_to(&mut a, &mut b, &bench(1, 1, 200, 0), precision(5.0));
        assert_eq!(sides[0].samples.len(), MIN_PAIRED_ROUNDS);
    }

    #[test]
    fn the_time_limit_of_a_precision_target_waits_for_min_runs() {
        let (mut a, mut b) = (alternating([0.100]), alternating([0.080, 0.140, 0.110]));
        let goal = Goal::Precision {
            target_half_width_pp: 1.0,
            min_rounds: MIN_PAIRED_ROUNDS,
            max_time: Duration::ZERO,
        };
        let sides = measure_two_to(&mut a, &mut b, &bench(1, 30, 200, 0), goal);
        assert_eq!(sides[0].samples.len(), 30);
        assert_eq!(sides[1].samples.len(), 30);
    }

    #[test]
    fn a_paired_precision_target_out_of_reach_stops_at_max_runs() {
        // The ratio swings between 0.8 and 1.4 in a cycle of three rounds (an ABBA cycle
        // is two): no 1-point interval in 50 rounds.
        let (mut a, mut b) = (alternating([0.100]), alternating([0.080, 0.140, 0.110]));
        let sides = measure_two_to(&mut a, &mut b, &bench(1, 10, 50, 0), precision(1.0));
        assert_eq!(sides[0].samples.len(), 50);
        assert_eq!(sides[1].samples.len(), 50);
    }

    #[test]
    fn settling_runs_open_every_block_of_two_sides_and_are_not_samples() {
        let short = |fail_at| Fake {
            walls: std::iter::repeat_n(0.001, 1000).collect(),
            fail_at,
            launched: 0,
        };
        let (mut a, mut b) = (short(None), short(None));
        // max_runs 20 makes blocks of 2 runs; 1 ms runs would settle for 5, capped at 2.
        let sides = measure_two(&mut a, &mut b, &bench(1, 20, 20, 0));
        for (m, f) in sides.iter().zip([&a, &b]) {
            assert_eq!(m.samples.len(), 20);
            assert_eq!(
                f.launched,
                1 + 20 + 20,
                "a warm-up, 10 blocks of 2 settling + 2 runs"
            );
        }
        // A settling run that fails stops its side and says so.
        let (mut a, mut b) = (short(Some(2)), short(None));
        let sides = measure_two(&mut a, &mut b, &bench(1, 20, 20, 0));
        let reason = sides[0].failure.clone().unwrap_or_default();
        assert!(sides[0].samples.is_empty());
        assert!(
            reason.starts_with("settling run 1 before run 2"),
            "{reason}"
        );
        assert_eq!(sides[1].samples.len(), 20);
    }
}
