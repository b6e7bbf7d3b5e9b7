use calibench::executor::block::run_block;
use calibench::executor::Runs;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::HostLauncher;
use calibench_suites::Benchmark;

use crate::cli::InnerArgs;

/// Runs inside the container: one block of runs, printed as one JSON line that the
/// host reads from the exec's output.
pub fn inner(args: &InnerArgs) -> Result<Exit, CliError> {
    let bench: Benchmark = serde_json::from_str(&args.benchmark).or_bad_input()?;
    let mut launcher = HostLauncher {
        exe: std::env::current_exe().or_environment()?,
        base_dir: std::env::current_dir().or_environment()?,
        // The container's cpuset pins it; affinity inside would only repeat that.
        cpus: None,
        runtime_label: "docker",
    };
    let runs = Runs {
        settle: args.settle,
        count: args.count,
        warmup: args.warmup,
    };
    let block = run_block(&mut launcher, &bench, args.first, runs, true);
    println!("{}", serde_json::to_string(&block).or_environment()?);
    Ok(Exit::Ok)
}
