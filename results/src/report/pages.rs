//! The HTML pages of `calibench report` and `calibrate --plot`.

use super::build::{calibration_chart, compare_chart, history_chart, run_chart};
use super::html::{page, Section, Table};
use super::{render_svg, ReportError};
use crate::compare::ComparisonReport;
use crate::format::time_unit;
use crate::model::{RunReport, Status};
use crate::profile::CalibrationProfile;
use calibench_calibrator::Verdict;

fn t(v: Option<f64>, scale: f64) -> String {
    v.map_or("-".into(), |v| format!("{:.4}", v * scale))
}

fn unit_of(values: impl Iterator<Item = f64>) -> (f64, &'static str) {
    time_unit(values.fold(0.0, f64::max))
}

/// One run: distributions and the summary table.
pub fn run_page(run: &RunReport) -> Result<String, ReportError> {
    let svg = render_svg(&run_chart(run))?;
    let (scale, unit) = unit_of(run.benchmarks.iter().filter_map(|b| b.median));
    let table = Table {
        header: [
            "benchmark",
            "runtime",
            "n",
            &format!("median ({unit})"),
            "95 % CI low",
            "95 % CI high",
            "adjusted",
            "status",
        ]
        .map(str::to_string)
        .to_vec(),
        rows: run
            .benchmarks
            .iter()
            .map(|b| {
                vec![
                    b.name.clone(),
                    b.runtime.as_str().into(),
                    b.n.to_string(),
                    t(b.median, scale),
                    t(b.ci_low, scale),
                    t(b.ci_high, scale),
                    t(b.adjusted_median, scale),
                    match b.status {
                        Status::Ok => "ok".into(),
                        Status::Failed => format!("failed: {}", b.failure.as_deref().unwrap_or("")),
                    },
                ]
            })
            .collect(),
        marked: run
            .benchmarks
            .iter()
            .map(|b| b.status == Status::Failed)
            .collect(),
    };
    let host = &run.environment.host;
    let subtitle = format!(
        "suite {} · tag {} · {} · {} ({} cores), {}, kernel {}",
        run.suite,
        run.tag.as_deref().unwrap_or("-"),
        run.started_at.format("%Y-%m-%d %H:%M UTC"),
        host.cpu_model,
        host.logical_cores,
        host.os,
        host.kernel
    );
    Ok(page(
        &format!("calibench run {}", run.run_id),
        &subtitle,
        &[Section {
            heading: "Samples".into(),
            svg: Some(svg),
            table: Some(table),
            notes: run.notices.clone(),
        }],
    ))
}

/// A comparison: change per benchmark and the verdict table.
pub fn compare_page(report: &ComparisonReport) -> Result<String, ReportError> {
    let svg = render_svg(&compare_chart(report))?;
    let table = Table {
        header: [
            "benchmark",
            "change",
            "95 % CI",
            "q",
            "MDE",
            "basis",
            "verdict",
        ]
        .map(str::to_string)
        .to_vec(),
        rows: report
            .benchmarks
            .iter()
            .map(|b| {
                let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:+.2} %"));
                vec![
                    b.name.clone(),
                    pct(b.change_pct),
                    match (b.ci_low_pct, b.ci_high_pct) {
                        (Some(l), Some(h)) => format!("{l:+.2} … {h:+.2} %"),
                        _ => "-".into(),
                    },
                    b.q_value.map_or("-".into(), |q| format!("{q:.4}")),
                    b.mde_pct.map_or("-".into(), |m| format!("{m:.1} %")),
                    format!("{:?}", b.basis).to_lowercase(),
                    if b.regression {
                        "REGRESSION".into()
                    } else {
                        b.verdict.to_string()
                    },
                ]
            })
            .collect(),
        marked: report.benchmarks.iter().map(|b| b.regression).collect(),
    };
    let subtitle = format!(
        "verdict {} · threshold {} · false-discovery rate {:.0} % (Benjamini–Hochberg)",
        report.verdict,
        report
            .threshold_pct
            .map_or("none".into(), |t| format!("{t:.1} %")),
        report.alpha * 100.0
    );
    Ok(page(
        &format!(
            "calibench: {} → {}",
            report.baseline.selector, report.candidate.selector
        ),
        &subtitle,
        &[Section {
            heading: "Change of the median".into(),
            svg: Some(svg),
            table: Some(table),
            notes: report.notes.clone(),
        }],
    ))
}

/// A benchmark over time.
pub fn history_page(benchmark: &str, runs: &[RunReport]) -> Result<String, ReportError> {
    let svg = render_svg(&history_chart(benchmark, runs))?;
    let mut rows = Vec::new();
    for run in runs {
        for b in run.benchmarks.iter().filter(|b| b.name == benchmark) {
            rows.push(vec![
                run.started_at.format("%Y-%m-%d %H:%M").to_string(),
                run.tag
                    .clone()
                    .unwrap_or_else(|| run.run_id.to_string()[..8].to_string()),
                b.runtime.as_str().to_string(),
                t(b.median, 1e3),
                t(b.ci_low, 1e3),
                t(b.ci_high, 1e3),
                t(b.adjusted_median, 1e3),
            ]);
        }
    }
    let n = rows.len();
    Ok(page(
        &format!("calibench history: {benchmark}"),
        &format!("{} runs", runs.len()),
        &[Section {
            heading: "Median per run".into(),
            svg: Some(svg),
            table: Some(Table {
                header: [
                    "started (UTC)",
                    "run",
                    "runtime",
                    "median (ms)",
                    "CI low (ms)",
                    "CI high (ms)",
                    "adjusted (ms)",
                ]
                .map(str::to_string)
                .to_vec(),
                rows,
                marked: vec![false; n],
            }),
            notes: vec![],
        }],
    ))
}

/// A calibration profile.
pub fn calibration_page(p: &CalibrationProfile) -> Result<String, ReportError> {
    let svg = render_svg(&calibration_chart(p))?;
    let table = Table {
        header: [
            "dimension",
            "probe",
            "overhead",
            "95 % CI",
            "rounds",
            "verdict",
            "stopped by",
        ]
        .map(str::to_string)
        .to_vec(),
        rows: p
            .probes
            .iter()
            .map(|r| {
                vec![
                    r.dimension.to_string(),
                    r.probe.clone(),
                    format!("{:+.2} %", r.overhead_pct),
                    format!("{:+.2} … {:+.2} %", r.ci_low_pct, r.ci_high_pct),
                    r.rounds.to_string(),
                    r.verdict.to_string(),
                    r.stopped_by.to_string(),
                ]
            })
            .collect(),
        marked: p
            .probes
            .iter()
            .map(|r| r.verdict == Verdict::Overhead)
            .collect(),
    };
    let mut notes = p.notes.clone();
    if let Some(m) = p.memory_overhead_mb {
        notes.push(format!("memory overhead: {m:.1} MiB"));
    }
    Ok(page(
        &format!("calibench calibration {}", p.profile_id),
        &format!(
            "{:.0} s · target CI half-width {} pp",
            p.elapsed_s, p.target_ci_pct
        ),
        &[Section {
            heading: "Overhead per probe".into(),
            svg: Some(svg),
            table: Some(table),
            notes,
        }],
    ))
}
