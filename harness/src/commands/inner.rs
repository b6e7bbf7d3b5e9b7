use calibench::executor::inner::run_inner;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::HostLauncher;
use calibench_suites::Benchmark;

use crate::cli::InnerArgs;

/// Runs inside the container; the host reads the JSON lines it prints.
pub fn inner(args: &InnerArgs) -> Result<Exit, CliError> {
    let bench: Benchmark = serde_json::from_str(&args.benchmark).or_bad_input()?;
    let mut launcher = HostLauncher {
        exe: std::env::current_exe().or_environment()?,
        base_dir: std::env::current_dir().or_environment()?,
        // The container's cpuset pins it; affinity inside would only repeat that.
        cpus: None,
        runtime_label: "docker",
    };
    run_inner(&bench, &mut launcher, std::io::stdout().lock());
    Ok(Exit::Ok)
}
