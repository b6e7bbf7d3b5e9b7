use std::fmt::Write;

use calibench::exit::{CliError, Exit, ExitContext};
use calibench::output::table::run_table;
use calibench::paths::database_url;
use calibench_results::{open_store, redact_url};
use tokio::runtime::Runtime;

use crate::cli::{RunsArgs, ShowArgs};

pub fn list(args: &RunsArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let url = database_url(args.db.db.as_deref());
    let runs = rt.block_on(async {
        let store = open_store(&url).await?;
        store.list_runs(args.limit).await
    });
    let runs = runs.or_environment()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&runs).or_environment()?);
        return Ok(Exit::Ok);
    }
    if runs.is_empty() {
        println!(
            "no runs stored in {}; try `calibench run --suite suites/smoke.toml`",
            redact_url(&url)
        );
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<36}  {:<20}  {:<12}  {:<10}  {:>7}  {:>6}  tag",
        "run", "started (UTC)", "suite", "context", "results", "failed"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{:<36}  {:<20}  {:<12}  {:<10}  {:>7}  {:>6}  {}",
            r.run_id,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            r.suite,
            r.context,
            r.results,
            r.failed,
            r.tag.as_deref().unwrap_or("-")
        );
    }
    print!("{out}");
    Ok(Exit::Ok)
}

pub fn show(args: &ShowArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let url = database_url(args.db.db.as_deref());
    let run = rt.block_on(async {
        let store = open_store(&url).await?;
        let ids = store.resolve(&args.run).await?;
        match ids.last() {
            Some(id) => store.load_run(*id).await,
            None => Ok(None),
        }
    });
    let Some(run) = run.or_environment()? else {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "no run matches `{}` in {}; `calibench runs` lists them",
            args.run,
            redact_url(&url)
        )));
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run).or_environment()?);
    } else {
        print!("{}", run_table(&run));
    }
    Ok(Exit::Ok)
}
