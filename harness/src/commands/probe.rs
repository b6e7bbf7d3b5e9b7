use calibench::exit::{CliError, Exit, ExitContext};
use calibench_suites::probes::cgroup;
use calibench_suites::ProbeKind;

use crate::cli::ProbeArgs;

pub fn probe(args: &ProbeArgs) -> Result<Exit, CliError> {
    if args.name == "read-file" {
        // Prints the file named by --dir: how calibench checks that an engine sees the
        // same files it does (docker::sameview).
        let path = args.dir.clone().unwrap_or_default();
        let text = std::fs::read_to_string(&path).or_bad_input()?;
        println!("{text}");
        return Ok(match &args.expect {
            Some(e) if *e != text => Exit::Failed,
            _ => Exit::Ok,
        });
    }
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
