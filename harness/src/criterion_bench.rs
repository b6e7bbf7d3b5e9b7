//! Criterion benches as benchmarks. A criterion bench measures itself: it runs its own
//! warm-up and samples (linear iteration counts, `times[i] / iters[i]` per iteration),
//! and writes them to `$CRITERION_HOME/<id>/new/sample.json`. calibench runs the bench
//! once on each side (host, then container, through the same executors as any command,
//! so limits, pinning and the environment record apply), each side with its own fresh
//! `CRITERION_HOME` under the benchmark's working directory (mounted in the container),
//! and stores one result per criterion benchmark and side, named `<name>/<criterion
//! id>`, with the per-iteration times as samples. They compare, adjust and gate like
//! any result.

use calibench_results::{BenchmarkResult, Runtime};
use calibench_suites::{Benchmark, BenchmarkKind};

use crate::events::{Event, EventSink, Measurement};
use crate::executor::{Executor, ExecutorError, Runs};
use crate::import::read_criterion_dir;
use crate::summarize::from_samples;

/// Runs the criterion bench `bench` once on every executor. An executor error (the
/// engine went away) is returned beside what was measured.
pub fn measure_criterion(
    executors: &mut [Box<dyn Executor + '_>],
    bench: &Benchmark,
    run_id: &str,
    sink: &mut dyn EventSink,
) -> (Vec<BenchmarkResult>, Option<ExecutorError>) {
    let BenchmarkKind::Criterion { argv } = &bench.kind else {
        return (Vec::new(), None);
    };
    let run_dir = bench
        .workdir
        .clone()
        .unwrap_or_default()
        .join(".calibench")
        .join("criterion")
        .join(run_id);
    let mut results = Vec::new();
    for e in executors.iter_mut() {
        let runtime = e.runtime();
        let home = run_dir.join(runtime.as_str());
        let mut once = bench.clone();
        once.kind = BenchmarkKind::Command { argv: argv.clone() };
        once.env
            .insert("CRITERION_HOME".into(), home.display().to_string());
        once.settings.warmup = 0;
        once.settings.min_runs = 1;
        once.settings.max_runs = 1;
        sink.event(&Event::Started {
            name: bench.name.clone(),
            runtime,
            min_runs: 1,
            max_runs: 1,
        });
        let outcome = run_once(e.as_mut(), &once, &home);
        let (env, failure) = match outcome {
            Ok(r) => r,
            Err(err) => return (results, Some(err)),
        };
        let mut measurement = Measurement {
            failure: failure.clone(),
            ..Measurement::default()
        };
        let series = match failure {
            Some(f) => Err(f),
            None => read_criterion_dir(&home).map_err(|e| e.to_string()),
        };
        match series {
            Ok(series) => {
                for s in series {
                    measurement.samples.extend(s.samples.first());
                    results.push(from_samples(
                        &format!("{}/{}", bench.name, s.name),
                        bench.dimension,
                        "s",
                        s.samples,
                        env.clone(),
                    ));
                }
            }
            Err(why) => {
                measurement.failure = Some(why.clone());
                let mut failed = from_samples(&bench.name, bench.dimension, "s", vec![], env);
                failed.failure = Some(why);
                results.push(failed);
            }
        }
        let _ = std::fs::remove_dir_all(&run_dir);
        sink.event(&Event::Finished {
            name: bench.name.clone(),
            runtime,
            measurement: Box::new(measurement),
        });
    }
    // Host results first, as everywhere else.
    results.sort_by_key(|r| r.runtime != Runtime::Host);
    (results, None)
}

/// One run of `once` on `e`, its output directory made first; the environment and the
/// run's failure, if any.
fn run_once(
    e: &mut dyn Executor,
    once: &Benchmark,
    home: &std::path::Path,
) -> Result<(calibench_results::ExecutionEnvironment, Option<String>), ExecutorError> {
    std::fs::create_dir_all(home)
        .map_err(|err| ExecutorError::new(format!("cannot create {}: {err}", home.display())))?;
    e.begin(once)?;
    let block = e.block(once, 0, Runs::measured(1));
    let env = e.end(once)?;
    let block = block?;
    Ok((env, block.failure))
}
