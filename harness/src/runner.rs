//! Runs a suite on one or more executors and assembles the run report, saving it to the
//! spool after every benchmark so that an interruption loses nothing already measured.

use calibench_results::{now, Environment, RunId, RunReport, SCHEMA_VERSION};
use calibench_suites::Suite;

use crate::events::EventSink;
use crate::executor::{Executor, ExecutorError};
use crate::launch::interrupted;
use crate::summarize::build_result;

/// Who the run is for and how it is labelled.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub run_id: RunId,
    pub tag: Option<String>,
    pub context: String,
}

/// Runs every benchmark of `suite` on every executor.
///
/// Runtimes alternate in ABBA order across benchmarks (host, docker, docker, host, ...)
/// so slow drift of the machine does not favour one side. An executor error (the
/// engine went away) stops the run and is returned beside what was measured. `checkpoint` receives the
/// report after every finished benchmark (the spool writes it).
pub fn run_suite(
    suite: &Suite,
    identity: &RunIdentity,
    environment: Environment,
    notices: Vec<String>,
    executors: &mut [Box<dyn Executor + '_>],
    sink: &mut dyn EventSink,
    checkpoint: &mut dyn FnMut(&RunReport),
) -> (RunReport, Option<ExecutorError>) {
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
    let count = executors.len();
    for (i, bench) in suite.benchmarks.iter().enumerate() {
        let order: Vec<usize> = if (i % 4 == 1 || i % 4 == 2) && count > 1 {
            (0..count).rev().collect()
        } else {
            (0..count).collect()
        };
        for e in order {
            if interrupted() {
                break;
            }
            let executor = &mut executors[e];
            match executor.measure(bench, sink) {
                Ok((m, exec_env)) => {
                    report
                        .benchmarks
                        .push(build_result(identity.run_id, bench, m, exec_env));
                    report.finished_at = now();
                    checkpoint(&report);
                }
                Err(err) => {
                    report.finished_at = now();
                    checkpoint(&report);
                    return (report, Some(err));
                }
            }
        }
    }
    report.finished_at = now();
    (report, None)
}
