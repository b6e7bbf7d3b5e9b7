//! What people read: the comparison table and the markdown summary, as snapshots.
//! Run ids are redacted; every number comes from fixed samples.

use calibench_results::compare::{compare_runs, CompareOptions, ComparisonReport, SideRef};
use calibench_results::present::{comparison_markdown, comparison_table};
use calibench_results::testing::{fixture_result, fixture_run};
use calibench_results::{RunReport, Runtime, Status};

fn samples(center: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| center * (1.0 + 0.01 * ((i * 37 % 11) as f64 / 11.0 - 0.5)))
        .collect()
}

fn run(benchmarks: &[(&str, f64)], failed: &[&str]) -> RunReport {
    let mut run = fixture_run(None, 0, 0);
    for (name, center) in benchmarks {
        run.benchmarks
            .push(fixture_result(name, Runtime::Host, samples(*center, 30)));
    }
    for name in failed {
        let mut r = fixture_result(name, Runtime::Host, vec![]);
        r.status = Status::Failed;
        r.failure = Some("exit status 1".into());
        run.benchmarks.push(r);
    }
    run
}

/// Three runs a little apart, as runs on a shared machine are.
fn runs(benchmarks: &[(&str, f64)]) -> Vec<RunReport> {
    [0.998, 1.0, 1.002]
        .iter()
        .map(|d| {
            let shifted: Vec<(&str, f64)> = benchmarks.iter().map(|(n, c)| (*n, c * d)).collect();
            run(&shifted, &[])
        })
        .collect()
}

fn report() -> ComparisonReport {
    let base = runs(&[("parse", 0.010), ("render", 0.200), ("steady", 1.5)]);
    let mut cand = runs(&[("parse", 0.0112), ("render", 0.180), ("steady", 1.5)]);
    cand.push(run(&[], &["crashes"]));
    let side = |s: &str| SideRef {
        selector: s.into(),
        run_ids: vec![],
    };
    let mut base = base;
    base[0]
        .benchmarks
        .push(fixture_result("crashes", Runtime::Host, samples(0.05, 30)));
    compare_runs(
        side("v1.3.0"),
        &base,
        side("v1.4.0"),
        &cand,
        &CompareOptions {
            threshold: Some(0.05),
            ..CompareOptions::default()
        },
    )
}

#[test]
fn comparison_table_snapshot() {
    insta::assert_snapshot!(comparison_table(&report(), false));
}

#[test]
fn comparison_markdown_snapshot() {
    insta::assert_snapshot!(comparison_markdown(&report()));
}
