//! `gate --confirm` where both sides can be measured again: each side's stored runs were
//! measured at one clean commit, so both commits are checked out and built as
//! `calibench ab` does, and every flagged or inconclusive benchmark is measured with
//! baseline and candidate alternating in randomised ABBA rounds. The re-measured row's
//! verdict comes from those pairs: drift between the stored runs cannot reach it, and
//! its interval is the paired one whose false-positive rate `scripts/ab-experiment.sh`
//! measures.

use std::path::Path;
use std::time::Duration;

use calibench_calibrator::seed::fnv1a;
use calibench_results::compare::{gate_verdict, CompareOptions, ComparisonReport, RowVerdict};
use calibench_results::{RunId, RunReport, Runtime as Rt};
use tokio::runtime::Runtime;

use crate::ab::{ab_report, prepare, AbSource, BuildExecutors};
use crate::docker::spec::real_path;
use crate::exit::{CliError, ExitContext};
use crate::plan::{container_spec, engine_for, ContainerOverrides};
use crate::sampler::Goal;

/// Time for the interleaved measurement of one benchmark.
const TIME_PER_BENCHMARK: Duration = Duration::from_secs(120);

/// The one clean commit of each side, when every run of the side names the same one and
/// the two differ.
pub fn commits(baseline: &[RunReport], candidate: &[RunReport]) -> Option<(String, String)> {
    let one = |runs: &[RunReport]| -> Option<String> {
        let first = runs.first()?.environment.git.as_ref()?;
        runs.iter()
            .all(|r| {
                r.environment
                    .git
                    .as_ref()
                    .is_some_and(|g| !g.dirty && g.sha == first.sha)
            })
            .then(|| first.sha.clone())
    };
    let (a, b) = (one(baseline)?, one(candidate)?);
    (a != b).then_some((a, b))
}

/// Re-measures the regressions and inconclusive rows of `report`, baseline commit against
/// candidate commit, interleaved; each such row takes the paired verdict.
pub fn confirm(
    mut report: ComparisonReport,
    (base, cand): (String, String),
    suite: &Path,
    min_rounds: u32,
    options: &CompareOptions,
    overrides: &ContainerOverrides,
    rt: &Runtime,
) -> Result<ComparisonReport, CliError> {
    let flagged: Vec<(String, Option<Rt>)> = report
        .benchmarks
        .iter()
        .filter(|r| r.regression || r.verdict == RowVerdict::Inconclusive)
        .map(|r| (r.name.clone(), r.candidate_runtime))
        .collect();
    let cwd = std::env::current_dir().or_environment()?;
    let source = AbSource::Refs {
        a: base.clone(),
        b: cand.clone(),
        suite: suite.to_path_buf(),
    };
    let [(build_a, suite_a), (build_b, suite_b)] = prepare(&source, &cwd)?;
    let spec = container_spec(overrides, &suite_a.container)?;
    let engine = match flagged.iter().any(|(_, r)| *r == Some(Rt::Docker)) {
        true => Some(engine_for(&spec, rt)?),
        false => None,
    };
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let ids = (RunId::new_random(), RunId::new_random());
    let executors = BuildExecutors {
        engine: engine.as_ref(),
        spec: &spec,
        exe: &exe,
        run_id: ids.0.to_string(),
        rt,
    };
    // Narrow enough to tell a change at the threshold from none.
    let goal = Goal::Precision {
        target_half_width_pp: options.threshold.unwrap_or(0.05) * 100.0 / 2.0,
        min_rounds: (min_rounds as usize).max(6),
        max_time: TIME_PER_BENCHMARK,
    };
    let short = |sha: &str| sha[..12.min(sha.len())].to_string();
    let mut measured = Vec::new();
    for (name, runtime) in &flagged {
        let find =
            |s: &calibench_suites::Suite| s.benchmarks.iter().find(|b| b.name == *name).cloned();
        let (Some(a), Some(b)) = (find(&suite_a), find(&suite_b)) else {
            report.notes.push(format!(
                "--confirm: `{name}` is not in the suite file at both commits; not measured again"
            ));
            continue;
        };
        let runtime = runtime.unwrap_or(Rt::Host);
        eprintln!(
            "confirming {name} ({}): {} against {}, interleaved",
            runtime.as_str(),
            short(&base),
            short(&cand)
        );
        let seed = fnv1a(&[&ids.0.to_string(), name, runtime.as_str()]);
        measured.push(executors.measure((&build_a, &a), (&build_b, &b), runtime, goal, seed)?);
    }
    let fresh = ab_report(&build_a, &build_b, ids, &measured, options);
    for row in report.benchmarks.iter_mut() {
        let Some(f) = fresh
            .benchmarks
            .iter()
            .find(|f| f.name == row.name && f.candidate_runtime == row.candidate_runtime)
        else {
            continue;
        };
        let mut new = f.clone();
        if row.regression && !f.regression && f.verdict != RowVerdict::Inconclusive {
            new.verdict = RowVerdict::NotConfirmed;
        }
        new.reason = Some(format!(
            "was {} over the stored runs; measured again interleaved: {}{}",
            row.verdict.as_str(),
            f.reason.as_deref().unwrap_or("no pairs"),
            f.change_pct
                .zip(f.ci_low_pct.zip(f.ci_high_pct))
                .map(|(c, (l, h))| format!(", {c:+.2} % ({l:+.2} … {h:+.2})"))
                .unwrap_or_default()
        ));
        *row = new;
    }
    report.notes.push(format!(
        "--confirm: baseline {} and candidate {} were checked out, built and measured again interleaved (randomised ABBA rounds); the re-measured rows' verdicts come from those pairs",
        short(&base),
        short(&cand)
    ));
    report.verdict = gate_verdict(&report.benchmarks, options);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use calibench_results::testing::fixture_run;
    use calibench_results::GitState;

    use super::*;

    fn at(sha: &str, dirty: bool) -> RunReport {
        let mut r = fixture_run(None, 0, 0);
        r.environment.git = Some(GitState {
            sha: sha.into(),
            dirty,
        });
        r
    }

    #[test]
    fn both_sides_need_one_clean_commit_each_and_different_ones() {
        let (a, b) = (at("aaa", false), at("bbb", false));
        let one = std::slice::from_ref;
        assert_eq!(
            commits(&[a.clone(), a.clone()], one(&b)),
            Some(("aaa".into(), "bbb".into()))
        );
        assert_eq!(commits(one(&a), one(&a)), None);
        assert_eq!(commits(&[a.clone(), b.clone()], one(&b)), None);
        assert_eq!(commits(&[at("aaa", true)], one(&b)), None);
        let mut unknown = a.clone();
        unknown.environment.git = None;
        assert_eq!(commits(&[unknown], &[b]), None);
    }
}
