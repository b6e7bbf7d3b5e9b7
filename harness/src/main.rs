//! `calibench`: parse, dispatch, map errors to exit codes.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let exit = match commands::dispatch(cli) {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit
        }
    };
    ExitCode::from(u8::try_from(exit.code()).unwrap_or(1))
}
