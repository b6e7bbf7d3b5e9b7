//! Comparing two sets of runs (a baseline and a candidate), benchmark by benchmark.
//!
//! Runs selected by a tag are pooled per benchmark and runtime. Two results compare
//! directly only when runtime, resource limits and host fingerprint match; a docker
//! result against a host result, or different limits, compare only through calibration
//! profiles (each container sample divided by 1 + its dimension's overhead), and the
//! output says which basis was used. Different hosts never compare unless
//! `allow_mismatch`.

use std::collections::BTreeMap;

use calibench_calibrator::{
    benjamini_hochberg, classify, compare_samples, Change, DEFAULT_RESAMPLES,
};
use serde::{Deserialize, Serialize};

use crate::ids::RunId;
use crate::model::{BenchmarkResult, RunReport, Runtime, Status, SCHEMA_VERSION};

/// Options of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Slowdown (fraction) above which a slower benchmark is a regression.
    pub threshold: Option<f64>,
    /// Compare raw values even where environments differ.
    pub allow_mismatch: bool,
    /// False-discovery rate.
    pub alpha: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            threshold: None,
            allow_mismatch: false,
            alpha: 0.05,
        }
    }
}

/// One side of a comparison as the user named it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideRef {
    pub selector: String,
    pub run_ids: Vec<RunId>,
}

/// How a pair was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Same runtime, limits and host: raw samples.
    Raw,
    /// Different runtime or limits: samples adjusted by calibration profiles.
    Adjusted,
    /// Different environments compared raw because the user allowed it.
    MismatchAllowed,
    /// Not compared.
    None,
}

/// One benchmark's comparison: the document `compare --json` and `gate --json` print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkComparison {
    pub name: String,
    pub baseline_runtime: Option<Runtime>,
    pub candidate_runtime: Option<Runtime>,
    pub basis: Basis,
    pub n_baseline: usize,
    pub n_candidate: usize,
    pub baseline_median: Option<f64>,
    pub candidate_median: Option<f64>,
    pub change_pct: Option<f64>,
    pub ci_low_pct: Option<f64>,
    pub ci_high_pct: Option<f64>,
    /// Mann–Whitney two-sided p-value, and Benjamini–Hochberg adjusted across the suite.
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    /// Minimum detectable change at 80 % power, percent.
    pub mde_pct: Option<f64>,
    /// `slower`, `faster`, `no change`, `not comparable`, `missing in baseline`,
    /// `missing in candidate`.
    pub verdict: String,
    /// Slower and above the threshold (gate only).
    pub regression: bool,
    pub reason: Option<String>,
}

/// The result of `compare` or `gate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    pub schema_version: u32,
    /// `pass` or `fail` for the gate; `no change`, `changed` for compare.
    pub verdict: String,
    pub baseline: SideRef,
    pub candidate: SideRef,
    pub threshold_pct: Option<f64>,
    pub alpha: f64,
    pub benchmarks: Vec<BenchmarkComparison>,
    pub notes: Vec<String>,
}

impl ComparisonReport {
    pub fn regressions(&self) -> impl Iterator<Item = &BenchmarkComparison> {
        self.benchmarks.iter().filter(|b| b.regression)
    }
}

/// Samples of one benchmark on one runtime, pooled over a side's runs.
#[derive(Debug, Default)]
struct Pooled {
    raw: Vec<f64>,
    /// Samples divided by (1 + overhead); `None` once any pooled docker result lacks one.
    adjusted: Option<Vec<f64>>,
    keys: Vec<String>,
    failures: Vec<String>,
}

/// What must match for a direct comparison.
fn environment_key(run: &RunReport, b: &BenchmarkResult) -> String {
    let limits = b
        .execution_environment
        .limits
        .as_ref()
        .map(|l| {
            format!(
                "{:?}/{:?}/{:?}/{:?}/{:?}",
                l.nano_cpus, l.cpu_quota, l.cpuset_cpus, l.memory_bytes, l.network_mode
            )
        })
        .unwrap_or_default();
    format!(
        "{}|{}|{}|{}",
        run.environment.host.fingerprint,
        b.runtime.as_str(),
        b.execution_environment
            .pinned_cpus
            .as_deref()
            .unwrap_or("-"),
        limits
    )
}

fn pool(runs: &[RunReport]) -> BTreeMap<(String, Runtime), Pooled> {
    let mut out: BTreeMap<(String, Runtime), Pooled> = BTreeMap::new();
    for run in runs {
        for b in &run.benchmarks {
            let p = out
                .entry((b.name.clone(), b.runtime))
                .or_insert_with(|| Pooled {
                    adjusted: Some(Vec::new()),
                    ..Pooled::default()
                });
            if b.status == Status::Failed {
                p.failures
                    .push(b.failure.clone().unwrap_or_else(|| "failed".into()));
                continue;
            }
            let key = environment_key(run, b);
            if !p.keys.contains(&key) {
                p.keys.push(key);
            }
            p.raw.extend(&b.samples);
            let factor = match b.runtime {
                Runtime::Host => Some(1.0),
                Runtime::Docker => b
                    .execution_environment
                    .overhead_pct
                    .map(|o| 1.0 + o / 100.0),
            };
            match (factor, p.adjusted.as_mut()) {
                (Some(f), Some(adj)) if f > 0.0 => adj.extend(b.samples.iter().map(|s| s / f)),
                _ => p.adjusted = None,
            }
        }
    }
    out
}

fn host_of(key: &str) -> &str {
    key.split('|').next().unwrap_or("")
}

/// Pairs each benchmark's baseline and candidate results by runtime; a benchmark run
/// on one runtime only in each side is paired across runtimes.
fn pairs(
    base: &BTreeMap<(String, Runtime), Pooled>,
    cand: &BTreeMap<(String, Runtime), Pooled>,
) -> Vec<(String, Option<Runtime>, Option<Runtime>)> {
    let mut names: Vec<&String> = base.keys().chain(cand.keys()).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let runtimes = |m: &BTreeMap<(String, Runtime), Pooled>| -> Vec<Runtime> {
            m.keys()
                .filter(|(n, _)| n == name)
                .map(|(_, r)| *r)
                .collect()
        };
        let (mut b, mut c) = (runtimes(base), runtimes(cand));
        let shared: Vec<Runtime> = b.iter().copied().filter(|r| c.contains(r)).collect();
        for r in &shared {
            out.push((name.clone(), Some(*r), Some(*r)));
        }
        b.retain(|r| !shared.contains(r));
        c.retain(|r| !shared.contains(r));
        match (b.as_slice(), c.as_slice()) {
            ([rb], [rc]) => out.push((name.clone(), Some(*rb), Some(*rc))),
            _ => {
                out.extend(b.iter().map(|r| (name.clone(), Some(*r), None)));
                out.extend(c.iter().map(|r| (name.clone(), None, Some(*r))));
            }
        }
    }
    out
}

fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn empty(
    name: &str,
    br: Option<Runtime>,
    cr: Option<Runtime>,
    verdict: &str,
    reason: Option<String>,
) -> BenchmarkComparison {
    BenchmarkComparison {
        name: name.to_string(),
        baseline_runtime: br,
        candidate_runtime: cr,
        basis: Basis::None,
        n_baseline: 0,
        n_candidate: 0,
        baseline_median: None,
        candidate_median: None,
        change_pct: None,
        ci_low_pct: None,
        ci_high_pct: None,
        p_value: None,
        q_value: None,
        mde_pct: None,
        verdict: verdict.to_string(),
        regression: false,
        reason,
    }
}

/// Compares pooled baseline runs against pooled candidate runs.
pub fn compare_runs(
    baseline: SideRef,
    baseline_runs: &[RunReport],
    candidate: SideRef,
    candidate_runs: &[RunReport],
    options: &CompareOptions,
) -> ComparisonReport {
    let base = pool(baseline_runs);
    let cand = pool(candidate_runs);
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    // Rows that were tested, with their comparison, for FDR control and verdicts.
    let mut tested: Vec<(usize, calibench_calibrator::Comparison)> = Vec::new();
    for (name, br, cr) in pairs(&base, &cand) {
        let (Some(br), Some(cr)) = (br, cr) else {
            let verdict = if br.is_none() {
                "missing in baseline"
            } else {
                "missing in candidate"
            };
            rows.push(empty(&name, br, cr, verdict, None));
            continue;
        };
        let (b, c) = (&base[&(name.clone(), br)], &cand[&(name.clone(), cr)]);
        if b.raw.len() < 2 || c.raw.len() < 2 {
            let failed = if b.raw.len() < 2 {
                &b.failures
            } else {
                &c.failures
            };
            let side = if b.raw.len() < 2 {
                "baseline"
            } else {
                "candidate"
            };
            let reason = failed
                .first()
                .cloned()
                .unwrap_or_else(|| "fewer than 2 samples".into());
            rows.push(empty(
                &name,
                Some(br),
                Some(cr),
                &format!("missing in {side}"),
                Some(reason),
            ));
            continue;
        }
        let same_env = b.keys.len() == 1 && b.keys == c.keys;
        let same_host = b
            .keys
            .iter()
            .chain(&c.keys)
            .map(|k| host_of(k))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == 1;
        let (basis, bs, cs) = if same_env {
            (Basis::Raw, &b.raw, &c.raw)
        } else if same_host && b.adjusted.is_some() && c.adjusted.is_some() {
            (
                Basis::Adjusted,
                b.adjusted.as_ref().unwrap_or(&b.raw),
                c.adjusted.as_ref().unwrap_or(&c.raw),
            )
        } else if options.allow_mismatch {
            (Basis::MismatchAllowed, &b.raw, &c.raw)
        } else {
            let reason = if !same_host {
                "measured on different hosts".to_string()
            } else {
                format!(
                    "{} against {} with different runtime or limits and no calibration profile; run `calibench calibrate` or pass --allow-mismatch",
                    br.as_str(),
                    cr.as_str()
                )
            };
            rows.push(empty(
                &name,
                Some(br),
                Some(cr),
                "not comparable",
                Some(reason),
            ));
            continue;
        };
        match compare_samples(bs, cs, 0.95, DEFAULT_RESAMPLES, seed_of(&name)) {
            Ok(cmp) => {
                tested.push((rows.len(), cmp));
                rows.push(BenchmarkComparison {
                    name: name.clone(),
                    baseline_runtime: Some(br),
                    candidate_runtime: Some(cr),
                    basis,
                    n_baseline: bs.len(),
                    n_candidate: cs.len(),
                    baseline_median: Some(cmp.baseline_median),
                    candidate_median: Some(cmp.candidate_median),
                    change_pct: Some(cmp.change * 100.0),
                    ci_low_pct: Some(cmp.ci_low * 100.0),
                    ci_high_pct: Some(cmp.ci_high * 100.0),
                    p_value: Some(cmp.p_value),
                    q_value: None,
                    mde_pct: cmp.mde.map(|m| m * 100.0),
                    verdict: String::new(),
                    regression: false,
                    reason: match basis {
                        Basis::Adjusted => {
                            Some("compared on values adjusted by calibration profiles".into())
                        }
                        Basis::MismatchAllowed => Some(
                            "environments differ; compared raw because of --allow-mismatch".into(),
                        ),
                        _ => None,
                    },
                });
            }
            Err(e) => rows.push(empty(
                &name,
                Some(br),
                Some(cr),
                "not comparable",
                Some(e.to_string()),
            )),
        }
    }
    let q = benjamini_hochberg(&tested.iter().map(|(_, c)| c.p_value).collect::<Vec<_>>());
    for ((row, cmp), q) in tested.iter().zip(q) {
        let r = &mut rows[*row];
        r.q_value = Some(q);
        let change = classify(cmp, q, options.alpha);
        r.verdict = match change {
            Change::Slower => "slower",
            Change::Faster => "faster",
            Change::NoChange => "no change",
        }
        .to_string();
        r.regression =
            change == Change::Slower && options.threshold.is_some_and(|t| cmp.change > t);
    }
    if rows.iter().any(|r| r.basis == Basis::Adjusted) {
        notes.push("some benchmarks were compared on values adjusted by calibration profiles (container overhead removed)".into());
    }
    if rows.iter().any(|r| r.verdict == "not comparable") {
        notes.push("some benchmarks are not comparable: different host, runtime or limits without calibration profiles".into());
    }
    let verdict = match options.threshold {
        Some(_) if rows.iter().any(|r| r.regression) => "fail",
        Some(_) => "pass",
        None if rows
            .iter()
            .any(|r| r.verdict == "slower" || r.verdict == "faster") =>
        {
            "changed"
        }
        None => "no change",
    };
    ComparisonReport {
        schema_version: SCHEMA_VERSION,
        verdict: verdict.to_string(),
        baseline,
        candidate,
        threshold_pct: options.threshold.map(|t| t * 100.0),
        alpha: options.alpha,
        benchmarks: rows,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fixture_result, fixture_run};

    fn side(s: &str) -> SideRef {
        SideRef {
            selector: s.into(),
            run_ids: vec![],
        }
    }

    fn run_with(
        name: &str,
        runtime: Runtime,
        samples: Vec<f64>,
        overhead: Option<f64>,
    ) -> RunReport {
        let mut run = fixture_run(None, 0, 0);
        let mut r = fixture_result(name, runtime, samples);
        r.execution_environment.runtime = runtime;
        r.execution_environment.overhead_pct = overhead;
        run.benchmarks.push(r);
        run
    }

    fn spread(center: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| center * (1.0 + 0.01 * ((i * 37 % 11) as f64 / 11.0 - 0.5)))
            .collect()
    }

    #[test]
    fn a_clear_regression_fails_the_gate_and_a_small_one_does_not() {
        let opts = CompareOptions {
            threshold: Some(0.05),
            ..Default::default()
        };
        let b = run_with("x", Runtime::Host, spread(1.0, 30), None);
        let c = run_with("x", Runtime::Host, spread(1.10, 30), None);
        let r = compare_runs(side("a"), std::slice::from_ref(&b), side("b"), &[c], &opts);
        assert_eq!(r.verdict, "fail");
        assert_eq!(r.benchmarks[0].verdict, "slower");
        let small = run_with("x", Runtime::Host, spread(1.02, 30), None);
        let r = compare_runs(side("a"), &[b], side("b"), &[small], &opts);
        assert_eq!(r.verdict, "pass");
        assert_eq!(r.benchmarks[0].verdict, "slower");
        assert!(!r.benchmarks[0].regression);
    }

    #[test]
    fn docker_against_host_needs_profiles() {
        let b = run_with("x", Runtime::Host, spread(1.0, 30), None);
        let c = run_with("x", Runtime::Docker, spread(1.2, 30), None);
        let r = compare_runs(
            side("a"),
            std::slice::from_ref(&b),
            side("b"),
            &[c],
            &CompareOptions::default(),
        );
        assert_eq!(r.benchmarks[0].verdict, "not comparable");
        // With a profile saying the container costs 20 %, the adjusted values match.
        let c = run_with("x", Runtime::Docker, spread(1.2, 30), Some(20.0));
        let r = compare_runs(side("a"), &[b], side("b"), &[c], &CompareOptions::default());
        let row = &r.benchmarks[0];
        assert_eq!(row.basis, Basis::Adjusted);
        assert_eq!(row.verdict, "no change", "{row:?}");
        assert!(row.reason.as_deref().unwrap_or("").contains("adjusted"));
    }

    #[test]
    fn missing_benchmarks_are_reported() {
        let b = run_with("only-base", Runtime::Host, spread(1.0, 5), None);
        let c = run_with("only-cand", Runtime::Host, spread(1.0, 5), None);
        let r = compare_runs(side("a"), &[b], side("b"), &[c], &CompareOptions::default());
        let verdicts: Vec<&str> = r.benchmarks.iter().map(|b| b.verdict.as_str()).collect();
        assert!(
            verdicts.contains(&"missing in baseline") && verdicts.contains(&"missing in candidate")
        );
    }
}
