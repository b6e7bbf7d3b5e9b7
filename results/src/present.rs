//! Comparison reports for people: a terminal table (ANSI colour only when asked, i.e.
//! on a TTY) and markdown for CI pages.

use std::fmt::Write;

use crate::compare::{BenchmarkComparison, ComparisonReport, ReportVerdict, RowVerdict};
use crate::format::quantity;
use crate::model::Runtime;

fn runtimes(b: &BenchmarkComparison) -> String {
    let r = |x: Option<Runtime>| x.map_or("-", Runtime::as_str);
    if b.baseline_runtime == b.candidate_runtime {
        r(b.baseline_runtime).to_string()
    } else {
        format!("{}→{}", r(b.baseline_runtime), r(b.candidate_runtime))
    }
}

fn time(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| quantity(s, "s"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:+.2} %"))
}

fn ci(b: &BenchmarkComparison) -> String {
    match (b.ci_low_pct, b.ci_high_pct) {
        (Some(lo), Some(hi)) => format!("{lo:+.2} … {hi:+.2} %"),
        _ => "-".into(),
    }
}

fn p(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| {
        if v < 1e-4 {
            "<0.0001".into()
        } else {
            format!("{v:.4}")
        }
    })
}

fn verdict(b: &BenchmarkComparison) -> String {
    if b.regression {
        "REGRESSION".into()
    } else {
        b.verdict.to_string()
    }
}

fn headline(r: &ComparisonReport) -> String {
    let threshold = r
        .threshold_pct
        .map(|t| format!(", threshold {t:.1} %"))
        .unwrap_or_default();
    format!(
        "{} → {}: {}{threshold} (FDR {:.0} %, Benjamini–Hochberg)",
        r.baseline.selector,
        r.candidate.selector,
        r.verdict.as_str().to_uppercase(),
        r.alpha * 100.0
    )
}

/// A terminal table; `colour` adds ANSI colours (red regressions and slowdowns, green
/// speed-ups).
pub fn comparison_table(r: &ComparisonReport, colour: bool) -> String {
    let header = [
        "benchmark",
        "runtime",
        "baseline",
        "candidate",
        "change",
        "95% CI",
        "q",
        "MDE",
        "verdict",
    ];
    let rows: Vec<[String; 9]> = r
        .benchmarks
        .iter()
        .map(|b| {
            [
                b.name.clone(),
                runtimes(b),
                time(b.baseline_median),
                time(b.candidate_median),
                pct(b.change_pct),
                ci(b),
                p(b.q_value),
                b.mde_pct.map_or("-".into(), |m| format!("{m:.1} %")),
                verdict(b),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(r));
    let fmt_row = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", fmt_row(&header.map(str::to_string)));
    for (row, b) in rows.iter().zip(&r.benchmarks) {
        let line = fmt_row(row);
        let code = match (b.regression, b.verdict) {
            (true, _) => Some("1;31"),
            (false, RowVerdict::Slower) => Some("33"),
            (false, RowVerdict::Faster) => Some("32"),
            (false, v) if v.is_uncompared() => Some("2"),
            _ => None,
        };
        match (colour, code) {
            (true, Some(c)) => {
                let _ = writeln!(out, "\x1b[{c}m{line}\x1b[0m");
            }
            _ => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    for b in r
        .benchmarks
        .iter()
        .filter(|b| b.reason.is_some() && b.basis != crate::compare::Basis::Adjusted)
    {
        let _ = writeln!(out, "  {}: {}", b.name, b.reason.as_deref().unwrap_or(""));
    }
    for b in &r.benchmarks {
        if let Some(hint) = b.resolution_hint() {
            let _ = writeln!(out, "  {} inconclusive: {hint}", b.name);
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A markdown summary for a CI page.
pub fn comparison_markdown(r: &ComparisonReport) -> String {
    let mut out = String::new();
    let icon = match r.verdict {
        ReportVerdict::Fail => "❌",
        ReportVerdict::Inconclusive => "⚠️",
        ReportVerdict::Pass => "✅",
        _ => "ℹ️",
    };
    let _ = writeln!(out, "### {icon} calibench: {}\n", md_escape(&headline(r)));
    let regressions: Vec<&BenchmarkComparison> = r.regressions().collect();
    if !regressions.is_empty() {
        let _ = writeln!(out, "**{} regression(s):**\n", regressions.len());
        for b in &regressions {
            let _ = writeln!(
                out,
                "- `{}` ({}) is {} slower (95 % CI {})",
                md_escape(&b.name),
                runtimes(b),
                pct(b.change_pct).trim_start_matches('+'),
                ci(b)
            );
        }
        out.push('\n');
    }
    let unresolved: Vec<&BenchmarkComparison> = r
        .benchmarks
        .iter()
        .filter(|b| b.verdict == RowVerdict::Inconclusive)
        .collect();
    if !unresolved.is_empty() {
        let _ = writeln!(out, "**{} inconclusive:**\n", unresolved.len());
        for b in &unresolved {
            let _ = writeln!(
                out,
                "- `{}` ({}): {}",
                md_escape(&b.name),
                runtimes(b),
                md_escape(&b.resolution_hint().unwrap_or_default())
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| benchmark | runtime | baseline | candidate | change | 95 % CI | q | verdict |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for b in &r.benchmarks {
        let v = if b.regression {
            "**REGRESSION**".to_string()
        } else {
            b.verdict.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md_escape(&b.name),
            runtimes(b),
            time(b.baseline_median),
            time(b.candidate_median),
            pct(b.change_pct),
            ci(b),
            p(b.q_value),
            v
        );
    }
    for n in &r.notes {
        let _ = writeln!(out, "\n_{}_", md_escape(n));
    }
    out
}
