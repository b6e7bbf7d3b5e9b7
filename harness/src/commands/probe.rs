use calibench::exit::{CliError, Exit, ExitContext};
use calibench_suites::probes::cgroup;
use calibench_suites::ProbeKind;

use crate::cli::ProbeArgs;

pub fn probe(args: &ProbeArgs) -> Result<Exit, CliError> {
    if args.name == "cgroup" {
        println!(
            "{}",
            serde_json::to_string(&cgroup::current()).or_environment()?
        );
        return Ok(Exit::Ok);
    }
    let kind = ProbeKind::parse(&args.name).ok_or_else(|| {
        CliError::bad_input(anyhow::anyhow!(
            "unknown probe `{}`; known probes: {}, cgroup",
            args.name,
            ProbeKind::names().join(", ")
        ))
    })?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let report = kind.run(args.work, &dir).map_err(|e| CliError {
        exit: Exit::Failed,
        error: anyhow::anyhow!(e),
    })?;
    println!("{}", serde_json::to_string(&report).or_environment()?);
    Ok(Exit::Ok)
}
