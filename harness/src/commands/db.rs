use calibench::exit::{CliError, Exit, ExitContext};
use calibench::paths::{database_url, spool};
use calibench_results::{open_store, redact_url, SaveOutcome, Spool};
use tokio::runtime::Runtime;

use crate::cli::DbArgs;

pub fn status(args: &DbArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let url = database_url(args.db.as_deref());
    let status = rt
        .block_on(async { open_store(&url).await?.status().await })
        .or_environment()?;
    println!("database  {}", redact_url(&url));
    println!("backend   {}", status.backend);
    println!("mode      {}", status.mode);
    println!("schema    {}", status.schema_version);
    println!("runs      {}", status.runs);
    println!("results   {}", status.results);
    println!("samples   {}", status.samples);
    println!("profiles  {}", status.calibration_profiles);
    let spooled = spool().list().or_environment()?.len();
    if spooled > 0 {
        println!("spooled   {spooled} run(s) not yet stored; `calibench push` stores them");
    }
    Ok(Exit::Ok)
}

/// Stores every spooled run, removing each file once its run is in the store. A run
/// already stored (same run id) is not stored twice, so repeating is safe.
pub fn push(args: &DbArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let url = database_url(args.db.as_deref());
    let spool = spool();
    let files = spool.list().or_environment()?;
    if files.is_empty() {
        println!("nothing to push: {} is empty", spool.dir().display());
        return Ok(Exit::Ok);
    }
    let store = rt.block_on(open_store(&url)).or_environment()?;
    let (mut stored, mut already) = (0, 0);
    for path in files {
        let run = Spool::read(&path).or_bad_input()?;
        match rt.block_on(store.save_run(&run)).or_environment()? {
            SaveOutcome::Inserted => stored += 1,
            SaveOutcome::AlreadyStored => already += 1,
        }
        spool.remove(run.run_id).or_environment()?;
    }
    println!(
        "pushed {stored} run(s) to {}; {already} were already stored",
        redact_url(&url)
    );
    Ok(Exit::Ok)
}
