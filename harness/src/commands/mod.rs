//! One module per subcommand.

mod ab;
mod calibrate;
mod compare;
mod db;
mod gc;
mod import;
mod inner;
mod interrupt;
mod probe;
mod report;
mod run;
mod runs;
mod stored;

use calibench::exit::{CliError, Exit, ExitContext};

use crate::cli::{Cli, Command, DbCommand};

pub fn dispatch(cli: Cli) -> Result<Exit, CliError> {
    match &cli.command {
        Command::Probe(args) => return probe::probe(args),
        Command::Inner(args) => return inner::inner(args),
        Command::Serve(args) => return serve(args),
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
        Command::Import(args) => import::import(&args, &rt),
        Command::Probe(_) | Command::Inner(_) | Command::Idle | Command::Serve(_) => Ok(Exit::Ok),
    }
}

/// `calibench serve`: the example server, until killed.
fn serve(args: &crate::cli::ServeArgs) -> Result<Exit, CliError> {
    let delay = calibench_suites::units::parse_duration(&args.delay)
        .map_err(|m| CliError::bad_input(anyhow::anyhow!("--delay: {m}")))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    calibench::service::serve::serve_with_workers(
        std::net::SocketAddr::new(args.bind, args.port),
        delay,
        workers,
    )
    .map_err(|e| CliError::environment(anyhow::anyhow!("serving on port {}: {e}", args.port)))?;
    Ok(Exit::Ok)
}
