//! Runs a suite on one or more executors and assembles the run report, saving it to the
//! spool after every benchmark so that an interruption loses nothing already measured.

use calibench_calibrator::seed::fnv1a;
use calibench_calibrator::{paired_overhead, CONFIDENCE};
use calibench_results::{now, Environment, PairedRatio, RunId, RunReport, Runtime, SCHEMA_VERSION};
use calibench_suites::{Benchmark, BenchmarkKind, Suite};

use crate::criterion_bench::measure_criterion;
use crate::events::EventSink;
use crate::executor::{Executor, ExecutorError};
use crate::launch::interrupted;
use crate::sampler::{measure, paired_rounds, Goal, Measured};
use crate::summarize::build_result;

/// Who the run is for and how it is labelled.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub run_id: RunId,
    pub tag: Option<String>,
    pub context: String,
}

/// What a run starts from: the environment and notices its report opens with, and when
/// each benchmark's rounds stop.
#[derive(Debug, Clone)]
pub struct RunStart {
    pub environment: Environment,
    pub notices: Vec<String>,
    pub goal: Goal,
}

/// Container against host over the rounds in which both ran a complete block.
pub fn paired_with_host(measured: &Measured) -> Option<PairedRatio> {
    let runtimes: Vec<Runtime> = measured
        .sides
        .iter()
        .map(|s| s.environment.runtime)
        .collect();
    let host = runtimes.iter().position(|r| *r == Runtime::Host)?;
    let docker = runtimes.iter().position(|r| *r == Runtime::Docker)?;
    let (h, c) = paired_rounds(&measured.rounds, host, docker);
    let o = paired_overhead(&h, &c, CONFIDENCE).ok()?;
    Some(PairedRatio {
        rounds: o.rounds,
        change_pct: o.overhead * 100.0,
        ci_low_pct: o.ci_low * 100.0,
        ci_high_pct: o.ci_high * 100.0,
    })
}

/// What to say when a precision goal's target was not reached, and what stopped it
/// (`most_runs`: the most samples a side took; a failed side says so itself).
fn short_of_target(
    goal: Goal,
    bench: &Benchmark,
    paired: Option<&PairedRatio>,
    most_runs: usize,
) -> Option<String> {
    let Goal::Precision {
        target_half_width_pp: target,
        max_time,
        ..
    } = goal
    else {
        return None;
    };
    // As given: 7 % comes back from its fraction as 7.000000000000001.
    let target = (target * 1e6).round() / 1e6;
    let name = &bench.name;
    let max_runs = bench.settings.max_runs;
    let stopped = if most_runs >= max_runs as usize {
        format!("it reached the suite's max_runs ({max_runs})")
    } else {
        format!("--max-time ({} s) passed", max_time.as_secs_f64())
    };
    match paired {
        Some(p) if (p.ci_high_pct - p.ci_low_pct) / 2.0 > target => Some(format!(
            "`{name}`: the \"vs host\" interval is ±{:.1} % after {} paired rounds, wider than the ±{target} % asked for: {stopped}",
            (p.ci_high_pct - p.ci_low_pct) / 2.0,
            p.rounds,
        )),
        Some(_) => None,
        None => Some(format!(
            "`{name}`: no \"vs host\" interval (fewer than two paired rounds), so the ±{target} % asked for was not reached: {stopped}"
        )),
    }
}

/// Runs every benchmark of `suite` on every executor, the executors interleaved within
/// each benchmark (see `sampler`). An executor error (the engine went away) stops the
/// run and is returned beside what was measured. `checkpoint` receives the report after
/// every finished benchmark (the spool writes it). With a precision `goal` a benchmark
/// whose "vs host" interval stayed wider than the target gets a notice saying so.
pub fn run_suite(
    suite: &Suite,
    identity: &RunIdentity,
    start: RunStart,
    executors: &mut [Box<dyn Executor + '_>],
    sink: &mut dyn EventSink,
    checkpoint: &mut dyn FnMut(&RunReport),
) -> (RunReport, Option<ExecutorError>) {
    let RunStart {
        environment,
        notices,
        goal,
    } = start;
    let mut report = RunReport {
        schema_version: SCHEMA_VERSION,
        run_id: identity.run_id,
        tag: identity.tag.clone(),
        suite: suite.name.clone(),
        context: identity.context.clone(),
        started_at: now(),
        finished_at: now(),
        environment,
        calibration_profile_id: None,
        benchmarks: Vec::new(),
        notices,
        labels: Default::default(),
    };
    checkpoint(&report);
    for bench in &suite.benchmarks {
        if interrupted() {
            break;
        }
        if let BenchmarkKind::Criterion { .. } = bench.kind {
            let (results, err) =
                measure_criterion(executors, bench, &identity.run_id.to_string(), sink);
            report.benchmarks.extend(results);
            report.finished_at = now();
            checkpoint(&report);
            if let Some(err) = err {
                return (report, Some(err));
            }
            continue;
        }
        let seed = fnv1a(&[&identity.run_id.to_string(), &bench.name]);
        let outcome = measure(executors, bench, sink, seed, goal);
        report.finished_at = now();
        let measured = match outcome {
            Ok(m) => m,
            Err(err) => {
                checkpoint(&report);
                return (report, Some(err));
            }
        };
        let paired = paired_with_host(&measured);
        let sides = &measured.sides;
        if sides.iter().all(|s| s.measurement.failure.is_none()) {
            let most = sides.iter().map(|s| s.measurement.samples.len()).max();
            if let Some(n) = short_of_target(goal, bench, paired.as_ref(), most.unwrap_or(0)) {
                report.notices.push(n);
            }
        }
        for side in measured.sides {
            let mut env = side.environment;
            if env.runtime == Runtime::Docker {
                env.paired_with_host = paired;
            }
            report
                .benchmarks
                .push(build_result(bench, side.measurement, env));
        }
        checkpoint(&report);
    }
    report.finished_at = now();
    (report, None)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use calibench_results::ExecutionEnvironment;
    use calibench_suites::{Benchmark, BenchmarkKind, Dimension, RunSettings};

    use super::*;
    use crate::events::NullSink;
    use crate::executor::{Block, Runs, Sample};

    /// A side whose runs take `wall` seconds times `ratio`, recording the order of
    /// calls in a shared log.
    struct Fake {
        runtime: Runtime,
        ratio: f64,
        log: std::rc::Rc<std::cell::RefCell<Vec<(Runtime, usize)>>>,
    }

    impl Executor for Fake {
        fn runtime(&self) -> Runtime {
            self.runtime
        }
        fn begin(&mut self, _: &Benchmark) -> Result<(), ExecutorError> {
            Ok(())
        }
        fn block(
            &mut self,
            _: &Benchmark,
            _first: usize,
            runs: Runs,
        ) -> Result<Block, ExecutorError> {
            let (count, warmup) = (runs.count, runs.warmup);
            if !warmup {
                self.log.borrow_mut().push((self.runtime, count));
            }
            let wall = 0.01 * self.ratio;
            let samples = if warmup {
                vec![]
            } else {
                (0..count)
                    .map(|i| Sample {
                        value: wall * (1.0 + 0.001 * (i % 3) as f64),
                        wall_s: wall,
                        user_s: 0.0,
                        system_s: 0.0,
                        max_rss_kib: 1,
                        cgroup: None,
                        probe_extra: Default::default(),
                    })
                    .collect()
            };
            Ok(Block {
                samples,
                failure: None,
                wall_s: wall * count as f64,
                cgroup: None,
            })
        }
        fn end(&mut self, _: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
            let mut env = ExecutionEnvironment::host(None);
            env.runtime = self.runtime;
            Ok(env)
        }
    }

    fn suite() -> Suite {
        Suite {
            name: "s".into(),
            path: "s.toml".into(),
            settings: RunSettings::default(),
            container: Default::default(),
            build: None,
            benchmarks: vec![Benchmark {
                name: "b".into(),
                kind: BenchmarkKind::Command {
                    argv: vec!["true".into()],
                },
                dimension: Dimension::Cpu,
                env: BTreeMap::new(),
                workdir: None,
                settings: RunSettings {
                    warmup: 1,
                    min_runs: 40,
                    max_runs: 400,
                    time_budget: Duration::from_secs(2),
                    timeout: Duration::from_secs(5),
                    target_ci: None,
                },
            }],
        }
    }

    #[test]
    fn sides_alternate_in_abba_rounds_and_the_paired_ratio_is_recovered() {
        let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut executors: Vec<Box<dyn Executor>> = vec![
            Box::new(Fake {
                runtime: Runtime::Host,
                ratio: 1.0,
                log: log.clone(),
            }),
            Box::new(Fake {
                runtime: Runtime::Docker,
                ratio: 1.2,
                log: log.clone(),
            }),
        ];
        let identity = RunIdentity {
            run_id: RunId::new_random(),
            tag: None,
            context: "local".into(),
        };
        let env = calibench_results::testing::fixture_environment();
        let (report, err) = run_suite(
            &suite(),
            &identity,
            RunStart {
                environment: env,
                notices: vec![],
                goal: Goal::Settings,
            },
            &mut executors,
            &mut NullSink,
            &mut |_| {},
        );
        assert!(err.is_none());
        let log = log.borrow();
        // While both sides run, every round runs each once, and within each pair of
        // rounds the order reverses (the slower side is done first, after ~19 rounds).
        let rounds: Vec<&[(Runtime, usize)]> = log[..16].chunks(2).collect();
        for round in &rounds {
            assert_ne!(round[0].0, round[1].0, "one block per side: {round:?}");
        }
        for pair in rounds.chunks(2) {
            assert_ne!(pair[0][0].0, pair[1][0].0, "ABBA: {pair:?}");
        }
        // Blocks: 0.1 s of runs at the median warm-up wall time (10 and 12 ms).
        assert_eq!(log[0].1, 9);
        let docker = report
            .benchmarks
            .iter()
            .find(|b| b.runtime == Runtime::Docker)
            .expect("docker result");
        let paired = docker
            .execution_environment
            .paired_with_host
            .expect("a paired ratio");
        assert!(
            paired.ci_low_pct <= 20.0 + 1e-6 && 20.0 - 1e-6 <= paired.ci_high_pct,
            "{paired:?}"
        );
        assert!(report.benchmarks.iter().all(|b| b.n >= 40));
        // Each run carries its round: in the first eight rounds, both sides' blocks of
        // the log, numbered 0 to 7.
        for b in &report.benchmarks {
            assert_eq!(b.usage.round.len(), b.n, "{:?}", b.runtime);
            assert!(b.usage.round.windows(2).all(|w| w[0] <= w[1]));
            let mut expected = Vec::new();
            for (r, round) in rounds.iter().enumerate() {
                let (_, count) = round
                    .iter()
                    .find(|(rt, _)| *rt == b.runtime)
                    .expect("a block of each side");
                expected.extend(std::iter::repeat_n(r as u32, *count));
            }
            assert_eq!(
                b.usage.round[..expected.len()],
                expected[..],
                "{:?}",
                b.runtime
            );
        }
    }

    #[test]
    fn a_target_not_reached_is_said_with_what_stopped_it() {
        let goal = Goal::Precision {
            target_half_width_pp: 3.0,
            min_rounds: 10,
            max_time: Duration::from_secs(90),
        };
        let ratio = |lo: f64, hi: f64| PairedRatio {
            rounds: 40,
            change_pct: (lo + hi) / 2.0,
            ci_low_pct: lo,
            ci_high_pct: hi,
        };
        let bench = &suite().benchmarks[0];
        let say = |goal, r: Option<&PairedRatio>, most| short_of_target(goal, bench, r, most);
        assert_eq!(say(goal, Some(&ratio(-1.0, 4.9)), 100), None);
        let seven = Goal::Precision {
            target_half_width_pp: 0.07 * 100.0,
            min_rounds: 10,
            max_time: Duration::from_secs(90),
        };
        let text = say(seven, Some(&ratio(-9.0, 9.0)), 100).unwrap_or_default();
        assert!(text.contains("±7 % asked"), "{text}");
        let wide = say(goal, Some(&ratio(-1.0, 5.2)), 100).unwrap_or_default();
        assert!(
            wide.contains("`b`") && wide.contains("±3.1 % after 40") && wide.contains("±3 %"),
            "{wide}"
        );
        assert!(wide.ends_with("--max-time (90 s) passed"), "{wide}");
        let capped = say(goal, Some(&ratio(-1.0, 5.2)), 400).unwrap_or_default();
        assert!(capped.ends_with("max_runs (400)"), "{capped}");
        assert!(say(goal, None, 1).is_some());
        assert_eq!(say(Goal::Settings, Some(&ratio(-9.0, 9.0)), 400), None);
    }
}
