//! `calibench import`: read another harness's results, store them as one run.

use calibench::exit::{CliError, Exit, ExitContext};
use calibench::import::{detect, imported_run, read_series, ImportIdentity};
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench_results::{open_store, redact_url};
use tokio::runtime::Runtime;

use crate::cli::ImportArgs;

pub fn import(args: &ImportArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let format = match args.format {
        Some(f) => f.into(),
        None => detect(&args.path).map_err(CliError::bad_input)?,
    };
    let series = read_series(&args.path, format).map_err(CliError::bad_input)?;
    let report = imported_run(
        series,
        format,
        &args.path,
        ImportIdentity {
            tag: args.tag.clone(),
            context: args.context.as_str().to_string(),
            suite: args.suite.clone(),
        },
    );
    report
        .check_finite()
        .map_err(|m| CliError::bad_input(anyhow::anyhow!(m)))?;
    let spool = spool();
    spool.write(&report).or_environment()?;
    let url = database_url(args.db.db.as_deref());
    let stored = match rt.block_on(open_store(&url)) {
        Ok(store) => rt
            .block_on(store.save_run(&report))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).or_environment()?
        );
    } else {
        print!("{}", run_table(&report));
    }
    match stored {
        Ok(_) => {
            spool.remove(report.run_id).or_environment()?;
            if !args.json {
                println!("stored run {} in {}", report.run_id, redact_url(&url));
            }
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!(
                "error: the import was read but not stored: {e}\n  it is spooled at {}; `calibench push` stores it when the database is back",
                spool.path_of(report.run_id).display()
            );
            Ok(Exit::Environment)
        }
    }
}
