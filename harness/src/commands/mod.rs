//! One module per subcommand.

mod db;
mod probe;
mod run;
mod runs;

use calibench::exit::{CliError, Exit, ExitContext};

use crate::cli::{Cli, Command, DbCommand};

pub fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    if let Command::Probe(args) = &cli.command {
        return probe::probe(args);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .or_environment()?;
    match cli.command {
        Command::Run(args) => run::run(&args, &rt),
        Command::Runs(args) => runs::list(&args, &rt),
        Command::Show(args) => runs::show(&args, &rt),
        Command::Push(args) => db::push(&args, &rt),
        Command::Db {
            command: DbCommand::Status(args),
        } => db::status(&args, &rt),
        Command::Gc => Err(CliError::environment(anyhow::anyhow!(
            "gc needs the Docker executor"
        ))),
        Command::Probe(_) => Ok(Exit::Ok),
    }
}
