//! `gate --confirm N`: before failing, measure the flagged benchmarks again. Where the
//! stored runs of each side were measured at one clean commit of this repository, both
//! commits are built and measured interleaved (`interleaved`), and inconclusive
//! benchmarks are re-measured too. Otherwise each regression is re-run N times from the
//! suite file and the fresh samples are compared with the stored baseline. A regression
//! stands only if the fresh measurement shows it too.

mod interleaved;
mod stored;

use std::path::Path;

use calibench_results::compare::{
    compare_runs, gate_verdict, CompareOptions, ComparisonReport, RowVerdict, SideRef,
};
use calibench_results::{open_store, RunId, RunReport, Runtime as Rt};
use calibench_suites::load_suite;
use tokio::runtime::Runtime;

use crate::adjust::apply_profile;
use crate::docker::spec::real_path;
use crate::environment::capture_host;
use crate::events::NullSink;
use crate::exit::{CliError, ExitContext};
use crate::plan::{
    container_spec, docker_side, executors_for, find_profile, ContainerOverrides, RunPlan,
    RuntimeSelection,
};
use crate::runner::{run_suite, RunIdentity, RunStart};
use crate::sampler::Goal;

/// Samples in each fresh run of a confirmation.
const SAMPLES_PER_FRESH_RUN: u32 = 3;

/// Whether `report` has rows `--confirm` would measure again.
pub fn needs_confirming(report: &ComparisonReport) -> bool {
    report
        .benchmarks
        .iter()
        .any(|r| r.regression || r.verdict == RowVerdict::Inconclusive)
}

pub fn confirm_regressions(
    report: ComparisonReport,
    (baseline_runs, candidate_runs): (&[RunReport], &[RunReport]),
    suite_path: &Path,
    runs: u32,
    options: &CompareOptions,
    rt: &Runtime,
) -> Result<ComparisonReport, CliError> {
    let overrides = stored::stored_overrides(candidate_runs);
    if let Some(commits) = interleaved::commits(baseline_runs, candidate_runs) {
        return interleaved::confirm(report, commits, suite_path, runs, options, &overrides, rt);
    }
    let mut report = candidate_alone(
        report,
        baseline_runs,
        suite_path,
        (runs, &overrides),
        options,
        rt,
    )?;
    report.notes.push("--confirm: the stored runs do not name one clean commit per side, so only the candidate was measured again (from the suite file) and compared with the stored baseline".into());
    Ok(report)
}

/// Re-runs each regression of the candidate from the suite file and compares the fresh
/// runs with the stored baseline runs.
fn candidate_alone(
    mut report: ComparisonReport,
    baseline_runs: &[RunReport],
    suite_path: &Path,
    (runs, overrides): (u32, &ContainerOverrides),
    options: &CompareOptions,
    rt: &Runtime,
) -> Result<ComparisonReport, CliError> {
    if report.regressions().next().is_none() {
        return Ok(report);
    }
    let base_dir = std::env::current_dir().or_environment()?;
    let mut suite = load_suite(suite_path, &base_dir).or_bad_input()?;
    let flagged: Vec<(String, Option<Rt>)> = report
        .regressions()
        .map(|b| (b.name.clone(), b.candidate_runtime))
        .collect();
    suite
        .benchmarks
        .retain(|b| flagged.iter().any(|(n, _)| *n == b.name));
    if suite.benchmarks.is_empty() {
        report
            .notes
            .push("--confirm: the flagged benchmarks are not in the suite file; not re-run".into());
        return Ok(report);
    }
    // Each fresh run is a run of its own (a few samples), so the confirmation compares
    // runs with runs: run-to-run variation is in its interval.
    for b in &mut suite.benchmarks {
        b.settings.min_runs = SAMPLES_PER_FRESH_RUN;
        b.settings.max_runs = SAMPLES_PER_FRESH_RUN;
        b.settings.time_budget = std::time::Duration::ZERO;
    }
    let on = |r: Rt| flagged.iter().any(|(_, x)| *x == Some(r));
    let runtime = match (on(Rt::Host), on(Rt::Docker)) {
        (true, true) => RuntimeSelection::Both,
        (false, true) => RuntimeSelection::Docker,
        _ => RuntimeSelection::Host,
    };
    let container = container_spec(overrides, &suite.container)?;
    let plan = RunPlan {
        suite,
        base_dir,
        runtime: Some(runtime),
        container,
    };
    let mut notices = Vec::new();
    let engine = docker_side(&plan, rt, &mut notices)?;
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let identity = RunIdentity {
        run_id: RunId::new_random(),
        tag: None,
        context: "ci".into(),
    };
    let mut executors = executors_for(&plan, engine.as_ref(), &exe, identity.run_id, rt)?;
    let host = capture_host();
    let profile = match &engine {
        Some(e) => {
            let store = rt
                .block_on(open_store(&crate::paths::database_url(None)))
                .ok();
            find_profile(store.as_ref(), &plan, &host, e, rt, &mut notices)
        }
        None => None,
    };
    let environment = plan.environment(host, engine.as_ref());
    eprintln!(
        "confirming {} flagged benchmark(s) with {runs} fresh runs each",
        plan.suite.benchmarks.len()
    );
    let mut fresh_runs = Vec::new();
    for _ in 0..runs.max(2) {
        let (mut fresh, error) = run_suite(
            &plan.suite,
            &RunIdentity {
                run_id: RunId::new_random(),
                ..identity.clone()
            },
            RunStart {
                environment: environment.clone(),
                notices: notices.clone(),
                goal: Goal::Settings,
            },
            &mut executors,
            &mut NullSink,
            &mut |_| {},
        );
        if let Some(e) = error {
            return Err(CliError::environment(e));
        }
        if let Some(p) = &profile {
            apply_profile(&mut fresh, p);
        }
        fresh_runs.push(fresh);
    }
    let check = compare_runs(
        report.baseline.clone(),
        baseline_runs,
        SideRef {
            selector: "confirmation".into(),
            run_ids: fresh_runs.iter().map(|r| r.run_id).collect(),
        },
        &fresh_runs,
        options,
    );
    for row in report.benchmarks.iter_mut().filter(|r| r.regression) {
        let again = check
            .benchmarks
            .iter()
            .find(|c| c.name == row.name && c.candidate_runtime == row.candidate_runtime);
        match again {
            Some(c) if c.regression => {
                row.reason = Some(format!(
                    "confirmed by {runs} fresh runs: {:+.2} %",
                    c.change_pct.unwrap_or(0.0)
                ));
            }
            other => {
                row.regression = false;
                row.verdict = RowVerdict::NotConfirmed;
                row.reason = Some(match other.and_then(|c| c.change_pct) {
                    Some(ch) => format!("{runs} fresh runs did not confirm it ({ch:+.2} %)"),
                    None => format!("{runs} fresh runs could not be compared"),
                });
            }
        }
    }
    report.verdict = gate_verdict(&report.benchmarks, options);
    Ok(report)
}
