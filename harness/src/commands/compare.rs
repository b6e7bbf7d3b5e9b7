//! `calibench compare` and `calibench gate`.

use std::io::{IsTerminal, Write};

use calibench::confirm::{confirm_regressions, needs_confirming};
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::paths::database_url;
use calibench_results::compare::{compare_runs, CompareOptions, ComparisonReport, SideRef};
use calibench_results::present::{comparison_markdown, comparison_table};
use calibench_results::{open_store, redact_url, RunReport, Store};
use tokio::runtime::Runtime;

use crate::cli::{CompareArgs, CompareFormat, GateArgs};

/// One side of a comparison: what the user named and the runs it selects.
type Side = (SideRef, Vec<RunReport>);

/// Resolves a selector to its runs; no match is bad input.
fn side(store: &Store, selector: &str, url: &str, rt: &Runtime) -> Result<Side, CliError> {
    let ids = rt.block_on(store.resolve(selector)).or_environment()?;
    if ids.is_empty() {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "no run matches `{selector}` in {}: give a tag, a run id (or a prefix of 8+ characters) or `latest`; `calibench runs` lists them",
            redact_url(url)
        )));
    }
    let mut runs = Vec::new();
    for id in &ids {
        if let Some(run) = rt.block_on(store.load_run(*id)).or_environment()? {
            runs.push(run);
        }
    }
    Ok((
        SideRef {
            selector: selector.to_string(),
            run_ids: ids,
        },
        runs,
    ))
}

pub fn load(
    baseline: &str,
    candidate: &str,
    db: Option<&str>,
    rt: &Runtime,
) -> Result<(Side, Side), CliError> {
    let url = database_url(db);
    let store = rt.block_on(open_store(&url)).or_environment()?;
    Ok((
        side(&store, baseline, &url, rt)?,
        side(&store, candidate, &url, rt)?,
    ))
}

pub fn compare(args: &CompareArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let ((b, b_runs), (c, c_runs)) =
        load(&args.baseline, &args.candidate, args.db.db.as_deref(), rt)?;
    let options = CompareOptions {
        allow_mismatch: args.allow_mismatch,
        ..CompareOptions::default()
    };
    let report = compare_runs(b, &b_runs, c, &c_runs, &options);
    match args.format {
        CompareFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).or_environment()?
        ),
        CompareFormat::Markdown => print!("{}", comparison_markdown(&report)),
        CompareFormat::Table => print!(
            "{}",
            comparison_table(&report, std::io::stdout().is_terminal())
        ),
    }
    Ok(Exit::Ok)
}

/// `5%`, `5`, `5.0 %` → 0.05; `flag` names the option in errors. Zero is allowed only
/// with `allow_zero`.
pub fn parse_percent(text: &str, flag: &str, allow_zero: bool) -> Result<f64, CliError> {
    let v: f64 = text
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| {
            CliError::bad_input(anyhow::anyhow!(
                "{flag} `{text}` is not a percentage (try 5%)"
            ))
        })?;
    if !(v.is_finite() && (v > 0.0 || (allow_zero && v >= 0.0))) {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "{flag} must be a {} percentage",
            if allow_zero {
                "non-negative"
            } else {
                "positive"
            }
        )));
    }
    Ok(v / 100.0)
}

/// `--max-regression`: a non-negative percentage, as a fraction.
pub fn parse_threshold(text: &str) -> Result<f64, CliError> {
    parse_percent(text, "--max-regression", true)
}

pub fn gate(args: &GateArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let threshold = parse_threshold(&args.max_regression)?;
    if args.confirm.is_some() && args.suite.is_none() {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--confirm needs --suite FILE to re-run the flagged benchmarks"
        )));
    }
    let ((b, b_runs), (c, c_runs)) =
        load(&args.baseline, &args.candidate, args.db.db.as_deref(), rt)?;
    let options = CompareOptions {
        threshold: Some(threshold),
        allow_mismatch: args.allow_mismatch,
        allow_missing: args.allow_missing,
        allow_inconclusive: args.allow_inconclusive,
        ..CompareOptions::default()
    };
    let mut report = compare_runs(b, &b_runs, c, &c_runs, &options);
    if let (Some(n), Some(suite)) = (args.confirm, &args.suite) {
        if needs_confirming(&report) {
            report = confirm_regressions(report, (&b_runs, &c_runs), suite, n, &options, rt)?;
        }
    }
    write_outputs(&report, args.json, args.markdown.as_deref())?;
    Ok(if report.gate_fails() {
        Exit::Failed
    } else {
        Exit::Ok
    })
}

/// Prints the report (JSON or a table), writes the markdown summary to `markdown` and
/// appends it to `$GITHUB_STEP_SUMMARY` when set.
pub fn write_outputs(
    report: &ComparisonReport,
    json: bool,
    markdown_path: Option<&std::path::Path>,
) -> Result<(), CliError> {
    if json {
        println!("{}", serde_json::to_string_pretty(report).or_environment()?);
    } else {
        print!(
            "{}",
            comparison_table(report, std::io::stdout().is_terminal())
        );
    }
    let markdown = comparison_markdown(report);
    if let Some(path) = markdown_path {
        std::fs::write(path, &markdown).map_err(|e| {
            CliError::environment(anyhow::anyhow!("cannot write {}: {e}", path.display()))
        })?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .map_err(|e| {
                CliError::environment(anyhow::anyhow!("cannot append to GITHUB_STEP_SUMMARY: {e}"))
            })?;
        f.write_all(markdown.as_bytes()).or_environment()?;
    }
    Ok(())
}
