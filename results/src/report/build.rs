//! Charts from stored data: a run's distributions, a comparison, a calibration, and a
//! benchmark's history.

use crate::compare::{Basis, ComparisonReport};
use crate::format::time_unit;
use crate::model::{RunReport, Runtime, Status};
use crate::profile::CalibrationProfile;
use calibench_calibrator::Verdict;

use super::{BoxChart, BoxRow, Chart, HistoryChart, HistoryPoint, IntervalChart, IntervalRow};

/// Per benchmark: host, container and adjusted samples as box plots with the raw
/// points, each in percent of the benchmark's host median (benchmarks of very
/// different durations share one axis that way; the table beside it has absolute
/// values).
pub fn run_chart(run: &RunReport) -> Chart {
    let mut names: Vec<&str> = Vec::new();
    for b in &run.benchmarks {
        if !names.contains(&b.name.as_str()) {
            names.push(&b.name);
        }
    }
    let mut rows = Vec::new();
    for name in names {
        let of = |rt: Runtime| {
            run.benchmarks
                .iter()
                .find(|b| b.name == name && b.runtime == rt && b.status == Status::Ok)
        };
        let (host, docker) = (of(Runtime::Host), of(Runtime::Docker));
        let Some(reference) = host.or(docker).and_then(|b| b.median).filter(|m| *m > 0.0) else {
            continue;
        };
        let scaled = |v: &[f64], f: f64| {
            v.iter()
                .map(|x| x / f / reference * 100.0)
                .collect::<Vec<_>>()
        };
        if let Some(h) = host {
            rows.push(BoxRow {
                label: format!("{name} · host"),
                values: scaled(&h.samples, 1.0),
                series: 0,
            });
        }
        if let Some(d) = docker {
            rows.push(BoxRow {
                label: format!("{name} · docker"),
                values: scaled(&d.samples, 1.0),
                series: 1,
            });
            if let Some(o) = d
                .execution_environment
                .overhead_pct
                .filter(|_| d.adjusted_median.is_some())
            {
                rows.push(BoxRow {
                    label: format!("{name} · adjusted"),
                    values: scaled(&d.samples, 1.0 + o / 100.0),
                    series: 2,
                });
            }
        }
    }
    Chart::Box(BoxChart {
        title: format!(
            "run {} · {}{}",
            &run.run_id.to_string()[..8],
            run.suite,
            run.tag
                .as_ref()
                .map(|t| format!(" · {t}"))
                .unwrap_or_default()
        ),
        x_label: "sample (% of the benchmark's host median)".into(),
        rows,
    })
}

/// Change per benchmark with its 95 % CI, the zero and threshold lines, regressions
/// in red.
pub fn compare_chart(report: &ComparisonReport) -> Chart {
    let rows = report
        .benchmarks
        .iter()
        .filter_map(|b| {
            let (est, lo, hi) = (b.change_pct?, b.ci_low_pct?, b.ci_high_pct?);
            let basis = if b.basis == Basis::Adjusted {
                " (adjusted)"
            } else {
                ""
            };
            Some(IntervalRow {
                label: format!("{}{basis}", b.name),
                estimate: est,
                low: lo,
                high: hi,
                highlight: b.regression,
            })
        })
        .collect();
    let mut lines = vec![(0.0, "no change".to_string())];
    if let Some(t) = report.threshold_pct {
        lines.push((t, "threshold".to_string()));
    }
    Chart::Interval(IntervalChart {
        title: format!(
            "{} → {}: change of the median",
            report.baseline.selector, report.candidate.selector
        ),
        x_label: "change of the median (%, 95 % CI)".into(),
        rows,
        reference_lines: lines,
    })
}

/// Overhead per probe with its 95 % CI and the zero line.
pub fn calibration_chart(profile: &CalibrationProfile) -> Chart {
    let rows = profile
        .probes
        .iter()
        .map(|p| IntervalRow {
            label: format!("{} · {}", p.dimension, p.probe),
            estimate: p.overhead_pct,
            low: p.ci_low_pct,
            high: p.ci_high_pct,
            highlight: p.verdict == Verdict::Overhead,
        })
        .collect();
    Chart::Interval(IntervalChart {
        title: format!(
            "container overhead per probe{}",
            if profile.aa {
                " (A/A: host against host)"
            } else {
                ""
            }
        ),
        x_label: "overhead (% of host time, 95 % CI)".into(),
        rows,
        reference_lines: vec![(0.0, "no overhead".into())],
    })
}

/// Median per run over time with the CI as a band; host and container as separate
/// series (and the adjusted container series when profiles exist).
pub fn history_chart(benchmark: &str, runs: &[RunReport]) -> Chart {
    let mut series: Vec<(String, Vec<HistoryPoint>)> = Vec::new();
    let mut push = |name: &str, p: HistoryPoint| match series.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => v.push(p),
        None => series.push((name.to_string(), vec![p])),
    };
    let mut unit = "s".to_string();
    for run in runs {
        for b in run
            .benchmarks
            .iter()
            .filter(|b| b.name == benchmark && b.status == Status::Ok)
        {
            unit = b.unit.clone();
            let label = run
                .tag
                .clone()
                .unwrap_or_else(|| run.run_id.to_string()[..8].to_string());
            // A run with too few samples for an interval is drawn as its median alone.
            if let Some(m) = b.median {
                let (lo, hi) = (b.ci_low.unwrap_or(m), b.ci_high.unwrap_or(m));
                push(
                    b.runtime.as_str(),
                    HistoryPoint {
                        at: b.measured_at,
                        label: label.clone(),
                        median: m,
                        low: lo,
                        high: hi,
                    },
                );
            }
            if let (Some(m), Some(lo), Some(hi)) =
                (b.adjusted_median, b.adjusted_ci_low, b.adjusted_ci_high)
            {
                push(
                    "docker adjusted",
                    HistoryPoint {
                        at: b.measured_at,
                        label,
                        median: m,
                        low: lo,
                        high: hi,
                    },
                );
            }
        }
    }
    for (_, pts) in &mut series {
        pts.sort_by_key(|p| p.at);
    }
    let max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.high))
        .fold(0.0, f64::max);
    let (scale, label) = if unit == "s" {
        time_unit(max)
    } else {
        (1.0, unit.as_str())
    };
    Chart::History(HistoryChart {
        title: format!("{benchmark}: median per run"),
        y_label: format!("median ({label}), band: 95 % CI"),
        y_scale: scale,
        series,
    })
}
