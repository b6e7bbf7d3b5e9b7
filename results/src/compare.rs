//! Comparing two sets of runs (a baseline and a candidate), benchmark by benchmark.
//!
//! Runs selected by a tag are pooled per benchmark and runtime. Two results compare
//! directly only when runtime, resource limits and host fingerprint match; a docker
//! result against a host result, or different limits, compare only through calibration
//! profiles (each container sample divided by 1 + its dimension's overhead), and the
//! output says which basis was used. Different hosts never compare unless
//! `allow_mismatch`.

use std::collections::BTreeMap;

use calibench_calibrator::seed::fnv1a as seed_from;
pub use calibench_calibrator::Replication;
use calibench_calibrator::{
    judge_suite, Change, LogEstimate, OverheadInterval, SamplePair, CONFIDENCE,
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
    /// Gate: a benchmark that failed or is missing in the candidate does not fail it.
    pub allow_missing: bool,
    /// Gate: an inconclusive benchmark does not fail it.
    pub allow_inconclusive: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            threshold: None,
            allow_mismatch: false,
            alpha: 0.05,
            allow_missing: false,
            allow_inconclusive: false,
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

/// What a comparison says of one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowVerdict {
    #[serde(rename = "slower")]
    Slower,
    #[serde(rename = "faster")]
    Faster,
    #[serde(rename = "no change")]
    NoChange,
    /// Neither a change nor its absence can be claimed (see `more_needed`).
    #[serde(rename = "inconclusive")]
    Inconclusive,
    #[serde(rename = "not comparable")]
    NotComparable,
    #[serde(rename = "missing in baseline")]
    MissingInBaseline,
    #[serde(rename = "missing in candidate")]
    MissingInCandidate,
    /// A flagged regression that fresh runs did not show (`gate --confirm`).
    #[serde(rename = "not confirmed")]
    NotConfirmed,
}

impl RowVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            RowVerdict::Slower => "slower",
            RowVerdict::Faster => "faster",
            RowVerdict::NoChange => "no change",
            RowVerdict::Inconclusive => "inconclusive",
            RowVerdict::NotComparable => "not comparable",
            RowVerdict::MissingInBaseline => "missing in baseline",
            RowVerdict::MissingInCandidate => "missing in candidate",
            RowVerdict::NotConfirmed => "not confirmed",
        }
    }

    /// Whether the row holds a significant change either way.
    pub fn is_change(self) -> bool {
        matches!(self, RowVerdict::Slower | RowVerdict::Faster)
    }

    /// Whether nothing could be compared for the row.
    pub fn is_uncompared(self) -> bool {
        matches!(
            self,
            RowVerdict::NotComparable
                | RowVerdict::MissingInBaseline
                | RowVerdict::MissingInCandidate
        )
    }
}

/// Tests and scripts read verdicts as their JSON text.
impl PartialEq<&str> for RowVerdict {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for RowVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<Change> for RowVerdict {
    fn from(c: Change) -> Self {
        match c {
            Change::Slower => RowVerdict::Slower,
            Change::Faster => RowVerdict::Faster,
            Change::NoChange => RowVerdict::NoChange,
            Change::Inconclusive => RowVerdict::Inconclusive,
        }
    }
}

/// What a comparison says as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportVerdict {
    /// Gate: no regression.
    #[serde(rename = "pass")]
    Pass,
    /// Gate: at least one regression, or a benchmark failed or missing in the candidate.
    #[serde(rename = "fail")]
    Fail,
    /// Gate: no regression, but some benchmark could not be judged either way.
    #[serde(rename = "inconclusive")]
    Inconclusive,
    /// Compare: some benchmark is significantly slower or faster.
    #[serde(rename = "changed")]
    Changed,
    /// Compare: nothing changed significantly.
    #[serde(rename = "no change")]
    NoChange,
}

impl ReportVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportVerdict::Pass => "pass",
            ReportVerdict::Fail => "fail",
            ReportVerdict::Inconclusive => "inconclusive",
            ReportVerdict::Changed => "changed",
            ReportVerdict::NoChange => "no change",
        }
    }
}

/// Tests and scripts read verdicts as their JSON text.
impl PartialEq<&str> for ReportVerdict {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ReportVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
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
    /// Runs pooled on each side.
    #[serde(default)]
    pub runs_baseline: usize,
    #[serde(default)]
    pub runs_candidate: usize,
    pub baseline_median: Option<f64>,
    pub candidate_median: Option<f64>,
    pub change_pct: Option<f64>,
    pub ci_low_pct: Option<f64>,
    pub ci_high_pct: Option<f64>,
    /// Mann–Whitney two-sided p-value, and Benjamini–Hochberg adjusted across the suite.
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    /// Minimum detectable change at 80 % power, percent (at the Bonferroni level α/m).
    pub mde_pct: Option<f64>,
    /// What one observation was: `runs` (each run's median; run-to-run variation is in
    /// the interval) or `samples` (single runs: within-run noise only).
    #[serde(default)]
    pub replication: Option<Replication>,
    /// Inconclusive with a threshold: how many times the current runs (or samples) per
    /// side would bring the detectable effect down to the threshold.
    #[serde(default)]
    pub more_needed: Option<f64>,
    /// `slower`, `faster`, `no change`, `not comparable`, `missing in baseline`,
    /// `missing in candidate`, `not confirmed`.
    pub verdict: RowVerdict,
    /// Slower and above the threshold (gate only).
    pub regression: bool,
    pub reason: Option<String>,
}

/// The result of `compare` or `gate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    pub schema_version: u32,
    /// `pass` or `fail` for the gate; `no change`, `changed` for compare.
    pub verdict: ReportVerdict,
    pub baseline: SideRef,
    pub candidate: SideRef,
    pub threshold_pct: Option<f64>,
    pub alpha: f64,
    pub benchmarks: Vec<BenchmarkComparison>,
    pub notes: Vec<String>,
}

impl BenchmarkComparison {
    /// For an inconclusive row: what would resolve it.
    pub fn resolution_hint(&self) -> Option<String> {
        if self.verdict != RowVerdict::Inconclusive {
            return None;
        }
        let mde = self.mde_pct.map_or(String::new(), |m| {
            format!("only a change above {m:.1} % could be seen; ")
        });
        Some(match (self.replication, self.more_needed) {
            (Some(Replication::Runs), Some(k)) => {
                let runs = self.runs_baseline.max(self.runs_candidate).max(1) as f64;
                format!(
                    "{mde}about {} runs per side would resolve it (`calibench run --repeat N` per tag)",
                    (k * runs).ceil() as u64
                )
            }
            (Some(Replication::Samples), _) => format!(
                "{mde}a single run per side cannot show run-to-run drift: store 3 or more runs per tag (`calibench run --repeat 3`)"
            ),
            _ => format!("{mde}more runs per side would resolve it"),
        })
    }
}

impl ComparisonReport {
    pub fn regressions(&self) -> impl Iterator<Item = &BenchmarkComparison> {
        self.benchmarks.iter().filter(|b| b.regression)
    }

    /// Whether the gate fails (exit 1): a regression, a benchmark failed or missing in
    /// the candidate, or an inconclusive benchmark, unless the options allow those.
    pub fn gate_fails(&self) -> bool {
        matches!(
            self.verdict,
            ReportVerdict::Fail | ReportVerdict::Inconclusive
        )
    }
}

/// The gate's verdict over judged rows: never a silent pass.
pub fn gate_verdict(rows: &[BenchmarkComparison], options: &CompareOptions) -> ReportVerdict {
    let any = |v: RowVerdict| rows.iter().any(|r| r.verdict == v);
    let missing = any(RowVerdict::MissingInCandidate) && !options.allow_missing;
    if rows.iter().any(|r| r.regression) || missing {
        ReportVerdict::Fail
    } else if any(RowVerdict::Inconclusive) && !options.allow_inconclusive {
        ReportVerdict::Inconclusive
    } else {
        ReportVerdict::Pass
    }
}

/// Samples of one benchmark on one runtime, pooled over a side's runs.
#[derive(Debug, Default)]
struct Pooled {
    raw: Vec<f64>,
    /// Samples divided by (1 + overhead); `None` once any pooled docker result lacks one.
    adjusted: Option<Vec<f64>>,
    /// The median of each pooled run, raw and adjusted.
    raw_runs: Vec<f64>,
    adjusted_runs: Vec<f64>,
    /// Largest standard error (log scale) of the overheads that adjusted this side.
    overhead_se: f64,
    keys: Vec<String>,
    failures: Vec<String>,
}

/// A row waiting for the suite-wide judgement.
struct Pending {
    row: usize,
    baseline: Vec<f64>,
    candidate: Vec<f64>,
    baseline_runs: Vec<f64>,
    candidate_runs: Vec<f64>,
    /// Uncertainty the adjustment adds to the change (log scale).
    extra_log_se: f64,
    seed: u64,
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
            if let Some(m) = b.median {
                p.raw_runs.push(m);
            }
            let factor = match b.runtime {
                Runtime::Host => Some(1.0),
                Runtime::Docker => b
                    .execution_environment
                    .overhead_pct
                    .map(|o| 1.0 + o / 100.0),
            };
            p.overhead_se = p.overhead_se.max(overhead_se(b));
            match (factor, p.adjusted.as_mut()) {
                (Some(f), Some(adj)) if f > 0.0 => {
                    adj.extend(b.samples.iter().map(|s| s / f));
                    if let Some(m) = b.median {
                        p.adjusted_runs.push(m / f);
                    }
                }
                _ => p.adjusted = None,
            }
        }
    }
    out
}

/// Standard error (log scale) of the overhead that adjusted a result, read off its 95 %
/// interval; 0 for results without one.
fn overhead_se(b: &BenchmarkResult) -> f64 {
    let e = &b.execution_environment;
    let (Some(estimate), Some(low), Some(high)) = (
        e.overhead_pct,
        e.overhead_ci_low_pct,
        e.overhead_ci_high_pct,
    ) else {
        return 0.0;
    };
    let interval = OverheadInterval::from_pct(estimate, low, high);
    LogEstimate::from_interval(interval, f64::INFINITY, CONFIDENCE).map_or(0.0, |l| l.se)
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

/// A row with nothing compared yet.
pub fn empty(
    name: &str,
    br: Option<Runtime>,
    cr: Option<Runtime>,
    verdict: RowVerdict,
    reason: Option<String>,
) -> BenchmarkComparison {
    BenchmarkComparison {
        name: name.to_string(),
        baseline_runtime: br,
        candidate_runtime: cr,
        basis: Basis::None,
        n_baseline: 0,
        n_candidate: 0,
        runs_baseline: 0,
        runs_candidate: 0,
        baseline_median: None,
        candidate_median: None,
        change_pct: None,
        ci_low_pct: None,
        ci_high_pct: None,
        p_value: None,
        q_value: None,
        mde_pct: None,
        replication: None,
        more_needed: None,
        verdict,
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
    // Rows to be tested, with their samples, for one suite-wide judgement.
    let mut pending: Vec<Pending> = Vec::new();
    for (name, br, cr) in pairs(&base, &cand) {
        let (Some(br), Some(cr)) = (br, cr) else {
            let verdict = if br.is_none() {
                RowVerdict::MissingInBaseline
            } else {
                RowVerdict::MissingInCandidate
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
            let verdict = if b.raw.len() < 2 {
                RowVerdict::MissingInBaseline
            } else {
                RowVerdict::MissingInCandidate
            };
            let reason = failed
                .first()
                .cloned()
                .unwrap_or_else(|| "fewer than 2 samples".into());
            rows.push(empty(&name, Some(br), Some(cr), verdict, Some(reason)));
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
        let adjusted_se = b.overhead_se.hypot(c.overhead_se);
        let (basis, bs, cs, br_runs, cr_runs) = if same_env {
            (Basis::Raw, &b.raw, &c.raw, &b.raw_runs, &c.raw_runs)
        } else if same_host && b.adjusted.is_some() && c.adjusted.is_some() {
            (
                Basis::Adjusted,
                b.adjusted.as_ref().unwrap_or(&b.raw),
                c.adjusted.as_ref().unwrap_or(&c.raw),
                &b.adjusted_runs,
                &c.adjusted_runs,
            )
        } else if options.allow_mismatch {
            (
                Basis::MismatchAllowed,
                &b.raw,
                &c.raw,
                &b.raw_runs,
                &c.raw_runs,
            )
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
                RowVerdict::NotComparable,
                Some(reason),
            ));
            continue;
        };
        pending.push(Pending {
            row: rows.len(),
            baseline: bs.clone(),
            candidate: cs.clone(),
            baseline_runs: br_runs.clone(),
            candidate_runs: cr_runs.clone(),
            extra_log_se: if basis == Basis::Adjusted {
                adjusted_se
            } else {
                0.0
            },
            seed: seed_from(&[&name]),
        });
        rows.push(BenchmarkComparison {
            n_baseline: bs.len(),
            n_candidate: cs.len(),
            runs_baseline: br_runs.len(),
            runs_candidate: cr_runs.len(),
            basis,
            reason: match basis {
                Basis::Adjusted => {
                    Some("compared on values adjusted by calibration profiles".into())
                }
                Basis::MismatchAllowed => {
                    Some("environments differ; compared raw because of --allow-mismatch".into())
                }
                _ => None,
            },
            ..empty(&name, Some(br), Some(cr), RowVerdict::NoChange, None)
        });
    }
    let pairs: Vec<SamplePair<'_>> = pending
        .iter()
        .map(|p| SamplePair {
            baseline: &p.baseline,
            candidate: &p.candidate,
            baseline_runs: &p.baseline_runs,
            candidate_runs: &p.candidate_runs,
            extra_log_se: p.extra_log_se,
            seed: p.seed,
        })
        .collect();
    let judged = judge_suite(&pairs, CONFIDENCE, options.alpha, options.threshold);
    for (p, j) in pending.iter().zip(judged) {
        let r = &mut rows[p.row];
        match j {
            Ok(j) => {
                let cmp = j.comparison;
                r.baseline_median = Some(cmp.baseline_median);
                r.candidate_median = Some(cmp.candidate_median);
                r.change_pct = Some(cmp.change * 100.0);
                r.ci_low_pct = Some(cmp.ci_low * 100.0);
                r.ci_high_pct = Some(cmp.ci_high * 100.0);
                r.p_value = Some(cmp.p_value);
                r.q_value = Some(j.q_value);
                r.mde_pct = cmp.mde.map(|m| m * 100.0);
                r.replication = Some(j.replication);
                r.more_needed = j.more_needed;
                r.verdict = j.change.into();
                r.regression = j.regression;
            }
            Err(e) => {
                *r = empty(
                    &r.name,
                    r.baseline_runtime,
                    r.candidate_runtime,
                    RowVerdict::NotComparable,
                    Some(e.to_string()),
                );
            }
        }
    }
    if rows.iter().any(|r| r.basis == Basis::Adjusted) {
        notes.push("some benchmarks were compared on values adjusted by calibration profiles (container overhead removed)".into());
    }
    if rows.iter().any(|r| r.verdict == RowVerdict::NotComparable) {
        notes.push("some benchmarks are not comparable: different host, runtime or limits without calibration profiles".into());
    }
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::MissingInCandidate)
        .map(|r| r.name.as_str())
        .collect();
    if !missing.is_empty() && options.threshold.is_some() {
        notes.push(format!(
            "failed or missing in the candidate: {}{}",
            missing.join(", "),
            if options.allow_missing {
                " (allowed by --allow-missing)"
            } else {
                ": a release whose benchmark crashes fails the gate (--allow-missing to accept it)"
            }
        ));
    }
    if rows
        .iter()
        .any(|r| r.replication == Some(Replication::Samples))
    {
        notes.push("some benchmarks had a single run on a side: within-run samples cannot see run-to-run drift, so they cannot be called slower or faster (store several runs per tag: `calibench run --repeat 3`, or compare interleaved)".into());
    }
    let verdict = match options.threshold {
        Some(_) => gate_verdict(&rows, options),
        None if rows.iter().any(|r| r.verdict.is_change()) => ReportVerdict::Changed,
        None => ReportVerdict::NoChange,
    };
    ComparisonReport {
        schema_version: SCHEMA_VERSION,
        verdict,
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
        // Three runs per side, a little apart as runs on a shared machine are.
        let runs = |center: f64| -> Vec<RunReport> {
            [0.998, 1.0, 1.002]
                .iter()
                .map(|d| run_with("x", Runtime::Host, spread(center * d, 30), None))
                .collect()
        };
        let b = runs(1.0);
        let r = compare_runs(side("a"), &b, side("b"), &runs(1.10), &opts);
        assert_eq!(r.verdict, "fail");
        assert_eq!(r.benchmarks[0].verdict, "slower");
        assert_eq!(r.benchmarks[0].replication, Some(Replication::Runs));
        let r = compare_runs(side("a"), &b, side("b"), &runs(1.02), &opts);
        assert_eq!(r.verdict, "pass");
        assert_eq!(r.benchmarks[0].verdict, "slower");
        assert!(!r.benchmarks[0].regression);
    }

    #[test]
    fn single_runs_never_call_a_change_from_within_run_samples() {
        // One run per side: a clear within-run difference may be drift between the runs.
        let opts = CompareOptions {
            threshold: Some(0.05),
            ..Default::default()
        };
        let b = run_with("x", Runtime::Host, spread(1.0, 30), None);
        let c = run_with("x", Runtime::Host, spread(1.15, 30), None);
        let r = compare_runs(side("a"), &[b], side("b"), &[c], &opts);
        let row = &r.benchmarks[0];
        assert_eq!(row.verdict, "inconclusive", "{row:?}");
        assert_eq!(row.replication, Some(Replication::Samples));
        assert!(!row.regression);
        assert_eq!(r.verdict, "inconclusive");
        assert!(r.gate_fails(), "a +15 % change of single runs never passes");
        assert!(row
            .resolution_hint()
            .unwrap_or_default()
            .contains("--repeat"));
    }

    #[test]
    fn no_silent_pass_when_the_detectable_effect_exceeds_the_threshold() {
        // Noisy runs (±10 % apart) and no change: the gate could not have seen a 5 %
        // regression, so it says inconclusive, with what would resolve it.
        let opts = CompareOptions {
            threshold: Some(0.05),
            ..Default::default()
        };
        let noisy = |shift: f64| -> Vec<RunReport> {
            [0.9, 1.0, 1.1]
                .iter()
                .map(|d| run_with("x", Runtime::Host, spread(d * shift, 20), None))
                .collect()
        };
        let r = compare_runs(side("a"), &noisy(1.0), side("b"), &noisy(1.0), &opts);
        let row = &r.benchmarks[0];
        assert_eq!(row.verdict, "inconclusive", "{row:?}");
        assert!(row.mde_pct.unwrap_or(0.0) > 5.0);
        assert!(row.more_needed.unwrap_or(0.0) > 1.0);
        assert!(row
            .resolution_hint()
            .unwrap_or_default()
            .contains("runs per side"));
        let allowed = CompareOptions {
            allow_inconclusive: true,
            ..opts
        };
        let r = compare_runs(side("a"), &noisy(1.0), side("b"), &noisy(1.0), &allowed);
        assert_eq!(r.verdict, "pass");
    }

    #[test]
    fn a_candidate_whose_benchmark_failed_fails_the_gate() {
        let opts = CompareOptions {
            threshold: Some(0.05),
            ..Default::default()
        };
        let b = run_with("x", Runtime::Host, spread(1.0, 30), None);
        let mut c = run_with("x", Runtime::Host, vec![], None);
        c.benchmarks[0].status = Status::Failed;
        c.benchmarks[0].failure = Some("exited with status 101".into());
        let r = compare_runs(
            side("a"),
            std::slice::from_ref(&b),
            side("b"),
            std::slice::from_ref(&c),
            &opts,
        );
        assert_eq!(r.benchmarks[0].verdict, "missing in candidate");
        assert_eq!(r.verdict, "fail");
        assert!(r
            .notes
            .iter()
            .any(|n| n.contains("x") && n.contains("--allow-missing")));
        let allowed = CompareOptions {
            allow_missing: true,
            ..opts
        };
        let r = compare_runs(side("a"), &[b], side("b"), &[c], &allowed);
        assert_eq!(r.verdict, "pass");
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
    fn the_overheads_uncertainty_reaches_adjusted_comparisons() {
        // Host against a container that reads 2 % slower, adjusted by a profile that says
        // 0 % with an interval of ±3 %: the 2 % is within what the profile cannot tell.
        let host: Vec<RunReport> = [0.999, 1.0, 1.001]
            .iter()
            .map(|d| run_with("x", Runtime::Host, spread(*d, 30), None))
            .collect();
        let docker = |ci: Option<(f64, f64)>| -> Vec<RunReport> {
            [1.019, 1.02, 1.021]
                .iter()
                .map(|d| {
                    let mut r = run_with("x", Runtime::Docker, spread(*d, 30), Some(0.0));
                    let e = &mut r.benchmarks[0].execution_environment;
                    e.overhead_ci_low_pct = ci.map(|c| c.0);
                    e.overhead_ci_high_pct = ci.map(|c| c.1);
                    r
                })
                .collect()
        };
        let opts = CompareOptions::default();
        let without = compare_runs(side("a"), &host, side("b"), &docker(None), &opts);
        assert_eq!(
            without.benchmarks[0].verdict, "slower",
            "{:?}",
            without.benchmarks[0]
        );
        let with = compare_runs(
            side("a"),
            &host,
            side("b"),
            &docker(Some((-3.0, 3.0))),
            &opts,
        );
        let row = &with.benchmarks[0];
        assert_eq!(row.basis, Basis::Adjusted);
        assert_eq!(row.verdict, "no change", "{row:?}");
        assert!(
            row.ci_low_pct.expect("a value") < 0.0 && row.ci_high_pct.expect("a value") > 4.0,
            "{row:?}"
        );
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
