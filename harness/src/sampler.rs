//! The measuring loop shared by every runtime: warm-up runs discarded, then runs until
//! both `min_runs` and `time_budget` are met, never past `max_runs`. A failed run stops
//! the benchmark and is recorded with its reason; the samples before it are kept.

use calibench_results::Runtime;
use calibench_suites::Benchmark;

use crate::events::{Event, EventSink, Measurement};
use crate::launch::{interrupted, sample_value, Launcher};

/// Measures `bench` with `launcher`, reporting progress to `sink`.
///
/// The time budget counts the wall time of measured runs (not warm-ups, not the
/// harness's own bookkeeping), so the loop is deterministic under a fake launcher.
pub fn measure(
    launcher: &mut dyn Launcher,
    bench: &Benchmark,
    runtime: Runtime,
    sink: &mut dyn EventSink,
) -> Measurement {
    let s = &bench.settings;
    sink.event(&Event::Started {
        name: bench.name.clone(),
        runtime,
        min_runs: s.min_runs,
        max_runs: s.max_runs,
    });
    let mut m = Measurement::default();
    let budget = s.time_budget.as_secs_f64();
    let mut spent = 0.0;
    let total_warmup = s.warmup as usize;
    let mut run = 0usize;
    loop {
        if interrupted() {
            m.failure = Some("interrupted".into());
            break;
        }
        let warmup = run < total_warmup;
        let measured = m.samples.len();
        if !warmup
            && (measured >= s.max_runs as usize
                || (measured >= s.min_runs as usize && spent >= budget))
        {
            break;
        }
        run += 1;
        let outcome = match launcher.launch(bench) {
            Ok(o) => o,
            Err(e) => {
                m.failure = Some(e.to_string());
                break;
            }
        };
        if !outcome.succeeded() {
            let phase = if warmup { "warm-up run" } else { "run" };
            m.failure = Some(format!(
                "{phase} {run} {}",
                outcome.failure_reason(s.timeout)
            ));
            break;
        }
        let value = match sample_value(bench, &outcome) {
            Ok(v) => v,
            Err(e) => {
                m.failure = Some(e);
                break;
            }
        };
        if warmup {
            continue;
        }
        spent += outcome.wall_s;
        m.samples.push(value);
        m.user_s.push(outcome.user_s);
        m.system_s.push(outcome.system_s);
        m.max_rss_kib = Some(m.max_rss_kib.unwrap_or(0).max(outcome.max_rss_kib));
        sink.event(&Event::Sample {
            name: bench.name.clone(),
            runtime,
            index: m.samples.len() - 1,
            value,
        });
    }
    sink.event(&Event::Finished {
        name: bench.name.clone(),
        runtime,
        measurement: m.clone(),
    });
    m
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::time::Duration;

    use calibench_suites::{BenchmarkKind, Dimension, RunSettings};

    use super::*;
    use crate::events::NullSink;
    use crate::launch::{Ending, LaunchError, RunOutcome};

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

    #[test]
    fn warmups_are_discarded_and_min_runs_met() {
        let mut f = fake(None);
        let m = measure(&mut f, &bench(2, 5, 100, 0), Runtime::Host, &mut NullSink);
        assert_eq!(m.samples.len(), 5);
        assert_eq!(f.launched, 7);
        assert_eq!(m.max_rss_kib, Some(1007));
    }

    #[test]
    fn keeps_going_until_the_budget_is_spent() {
        // 0.1 s per run and a 2 s budget: 20 runs, above min_runs = 3.
        let mut f = fake(None);
        let m = measure(&mut f, &bench(0, 3, 100, 2), Runtime::Host, &mut NullSink);
        assert_eq!(m.samples.len(), 20);
    }

    #[test]
    fn max_runs_caps_the_budget() {
        let mut f = fake(None);
        let m = measure(&mut f, &bench(0, 3, 7, 100), Runtime::Host, &mut NullSink);
        assert_eq!(m.samples.len(), 7);
    }

    #[test]
    fn a_failed_run_stops_the_benchmark_and_keeps_earlier_samples() {
        let mut f = fake(Some(4));
        let m = measure(&mut f, &bench(1, 10, 100, 0), Runtime::Host, &mut NullSink);
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
        let m = measure(&mut f, &bench(1, 10, 100, 0), Runtime::Host, &mut NullSink);
        assert!(m.samples.is_empty());
        assert!(m.failure.unwrap_or_default().starts_with("warm-up run 1"));
    }
}
