//! The end of every command that writes a run: the run is spooled before it is stored,
//! leaves the spool once stored, and stays there, said so, when the store failed.

use calibench::exit::{CliError, ExitContext};
use calibench_results::{redact_url, RunReport, Spool};

/// Reports how storing `report` (already spooled) went; `Ok(true)` when it is stored.
/// `what` names the run in the failure message ("the run was measured").
pub fn settle(
    stored: Result<(), String>,
    report: &RunReport,
    spool: &Spool,
    url: &str,
    quiet: bool,
    what: &str,
) -> Result<bool, CliError> {
    match stored {
        Ok(()) => {
            spool.remove(report.run_id).or_environment()?;
            if !quiet {
                println!("stored run {} in {}", report.run_id, redact_url(url));
            }
            Ok(true)
        }
        Err(e) => {
            eprintln!(
                "error: {what} but not stored: {e}\n  it is spooled at {}; `calibench push` stores it when the database is back",
                spool.path_of(report.run_id).display()
            );
            Ok(false)
        }
    }
}
