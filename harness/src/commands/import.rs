//! `calibench import`: read another harness's results, store them as one run.

use calibench::exit::{CliError, Exit, ExitContext};
use calibench::import::{imported_run, read_import, ImportIdentity};
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench_results::open_store;
use tokio::runtime::Runtime;

use super::stored::settle;
use crate::cli::ImportArgs;

pub fn import(args: &ImportArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let (format, series) =
        read_import(&args.path, args.format.map(Into::into)).map_err(CliError::bad_input)?;
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
    let stored = stored.map(|_| ());
    Ok(
        if settle(
            stored,
            &report,
            &spool,
            &url,
            args.json,
            "the import was read",
        )? {
            Exit::Ok
        } else {
            Exit::Environment
        },
    )
}
