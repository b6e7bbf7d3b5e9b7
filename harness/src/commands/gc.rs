use calibench::docker::cleanup::remove_labelled;
use calibench::docker::engine::connect;
use calibench::exit::{CliError, Exit, ExitContext};
use tokio::runtime::Runtime;

/// Removes every container labelled by calibench (left behind by a SIGKILLed run).
pub fn gc(rt: &Runtime) -> Result<Exit, CliError> {
    let removed = rt
        .block_on(async {
            let engine = connect().await?;
            remove_labelled(&engine.docker, None)
                .await
                .map_err(anyhow::Error::from)
        })
        .or_environment()?;
    println!("removed {removed} calibench container(s)");
    Ok(Exit::Ok)
}
