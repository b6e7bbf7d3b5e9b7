//! One module per subcommand.

mod ab;
mod calibrate;
mod compare;
mod db;
mod gc;
mod inner;
mod interrupt;
mod probe;
mod report;
mod run;
mod runs;

use calibench::exit::{CliError, Exit, ExitContext};

use crate::cli::{Cli, Command, DbCommand};

pub fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    match &cli.command {
        Command::Probe(args) => return probe::probe(args),
        Command::Inner(args) => return inner::inner(args),
        Command::Idle => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => {}
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
        Command::Gc => gc::gc(&rt),
        Command::Calibrate(args) => calibrate::calibrate(&args, &rt),
        Command::Compare(args) => compare::compare(&args, &rt),
        Command::Report(args) => report::report(&args, &rt),
        Command::Gate(args) => compare::gate(&args, &rt),
        Command::Ab(args) => ab::ab(&args, &rt),
        Command::Probe(_) | Command::Inner(_) | Command::Idle => Ok(Exit::Ok),
    }
}
