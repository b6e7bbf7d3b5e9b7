//! `calibench report` and `calibrate --plot`: charts and self-contained pages.

use std::path::Path;

use calibench::exit::{CliError, Exit, ExitContext};
use calibench::paths::database_url;
use calibench_results::compare::{compare_runs, CompareOptions};
use calibench_results::report::build::{
    calibration_chart, compare_chart, history_chart, run_chart,
};
use calibench_results::report::pages::{calibration_page, compare_page, history_page, run_page};
use calibench_results::report::{write_chart, Chart, OutputKind, ReportError};
use calibench_results::{open_store, redact_url, CalibrationProfile};
use tokio::runtime::Runtime;

use super::compare::{load, parse_threshold};
use crate::cli::ReportArgs;

fn report_error(e: ReportError) -> CliError {
    match e {
        ReportError::Format(_) | ReportError::Empty(_) => CliError::bad_input(e),
        _ => CliError::environment(e),
    }
}

/// Writes a page or a single chart, by the file's extension.
fn write(
    path: &Path,
    chart: impl FnOnce() -> Chart,
    page: impl FnOnce() -> Result<String, ReportError>,
) -> Result<(), CliError> {
    match OutputKind::from_path(path).map_err(report_error)? {
        OutputKind::Html => {
            let html = page().map_err(report_error)?;
            std::fs::write(path, html)
                .map_err(|e| CliError::environment(anyhow::anyhow!("{}: {e}", path.display())))
        }
        OutputKind::Svg | OutputKind::Png => write_chart(&chart(), path).map_err(report_error),
    }
}

pub fn write_calibration(profile: &CalibrationProfile, path: &Path) -> Result<(), CliError> {
    write(
        path,
        || calibration_chart(profile),
        || calibration_page(profile),
    )?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

pub fn report(args: &ReportArgs, rt: &Runtime) -> Result<Exit, CliError> {
    // Refuse an unknown extension before any work.
    OutputKind::from_path(&args.out).map_err(report_error)?;
    let url = database_url(args.db.db.as_deref());
    if let Some(selector) = &args.run {
        let store = rt.block_on(open_store(&url)).or_environment()?;
        let ids = rt.block_on(store.resolve(selector)).or_environment()?;
        let Some(id) = ids.last() else {
            return Err(CliError::bad_input(anyhow::anyhow!(
                "no run matches `{selector}` in {}",
                redact_url(&url)
            )));
        };
        let run = rt
            .block_on(store.load_run(*id))
            .or_environment()?
            .ok_or_else(|| CliError::bad_input(anyhow::anyhow!("run {id} vanished")))?;
        write(&args.out, || run_chart(&run), || run_page(&run))?;
    } else if let Some(pair) = &args.compare {
        let ((b, b_runs), (c, c_runs)) = load(&pair[0], &pair[1], args.db.db.as_deref(), rt)?;
        let threshold = args
            .max_regression
            .as_deref()
            .map(parse_threshold)
            .transpose()?;
        let report = compare_runs(
            b,
            &b_runs,
            c,
            &c_runs,
            &CompareOptions {
                threshold,
                ..CompareOptions::default()
            },
        );
        write(
            &args.out,
            || compare_chart(&report),
            || compare_page(&report),
        )?;
    } else if let Some(bench) = &args.history {
        let store = rt.block_on(open_store(&url)).or_environment()?;
        let ids = rt
            .block_on(store.runs_with_benchmark(bench))
            .or_environment()?;
        if ids.is_empty() {
            return Err(CliError::bad_input(anyhow::anyhow!(
                "no stored run has a benchmark named `{bench}`"
            )));
        }
        let mut runs = Vec::new();
        for id in ids {
            if let Some(r) = rt.block_on(store.load_run(id)).or_environment()? {
                runs.push(r);
            }
        }
        write(
            &args.out,
            || history_chart(bench, &runs),
            || history_page(bench, &runs),
        )?;
    }
    println!("wrote {}", args.out.display());
    Ok(Exit::Ok)
}
