//! Container configuration shared by `run` and `calibrate`: flags over the suite's
//! `[container]` table, validated once; connecting to the engine; the container factory.

use std::path::Path;

use calibench::docker::engine::{connect, Engine};
use calibench::docker::image::{ensure_image, host_layout, mirror_binds};
use calibench::docker::launch::ContainerFactory;
use calibench::docker::spec::{host_nofile, real_path, ContainerSpec};
use calibench::exit::{CliError, ExitContext};
use calibench::launch::parse_cpu_list;
use calibench_suites::units::parse_size;
use calibench_suites::{ContainerSettings, Network};
use tokio::runtime::Runtime;

use crate::cli::{ContainerArgs, NetworkChoice};

/// The container spec from flags over the suite's table.
pub fn container_spec(
    args: &ContainerArgs,
    suite: &ContainerSettings,
) -> Result<ContainerSpec, CliError> {
    let bad = |m: String| CliError::bad_input(anyhow::anyhow!(m));
    let cpuset = args.cpuset.clone().or_else(|| suite.cpuset.clone());
    if let Some(set) = &cpuset {
        if parse_cpu_list(set).is_none() {
            return Err(bad(format!(
                "--cpuset `{set}` is not a CPU list (examples: 0, 0-1, 0,2)"
            )));
        }
    }
    let cpus = args.cpus.or(suite.cpus);
    if let Some(c) = cpus {
        if !(c.is_finite() && c > 0.0) {
            return Err(bad(format!(
                "--cpus {c} must be a positive number such as 1 or 0.5"
            )));
        }
    }
    let memory = match &args.memory {
        Some(m) => Some(parse_size(m).map_err(|e| bad(format!("--memory: {e}")))?),
        None => suite.memory_bytes,
    };
    if memory.is_some_and(|m| m < 6 << 20) {
        return Err(bad("--memory must be at least 6m (Docker's minimum)".into()));
    }
    let network = match args.network {
        Some(NetworkChoice::Host) => Network::Host,
        Some(NetworkChoice::Bridge) => Network::Bridge,
        None => suite.network.unwrap_or(Network::Host),
    };
    Ok(ContainerSpec {
        image: args.image.clone().or_else(|| suite.image.clone()),
        cpuset,
        nano_cpus: cpus.map(|c| (c * 1e9).round() as i64),
        memory_bytes: memory.map(|m| m as i64),
        pids_limit: suite.pids_limit,
        nofile: suite.nofile.map_or_else(host_nofile, |n| n as i64),
        network,
        privileged: suite.privileged,
        readonly_rootfs: true,
        extra_security_opt: Vec::new(),
    })
}

/// Connects and checks that the engine can enforce `spec`; exit 3 otherwise.
pub fn engine_for(spec: &ContainerSpec, rt: &Runtime) -> Result<Engine, CliError> {
    let engine = rt.block_on(connect()).or_environment()?;
    check_enforceable(spec, &engine)?;
    Ok(engine)
}

/// Exit 3, naming each limit the engine says it cannot enforce.
pub fn check_enforceable(spec: &ContainerSpec, engine: &Engine) -> Result<(), CliError> {
    let missing = spec.unenforceable(&engine.facts);
    if missing.is_empty() {
        return Ok(());
    }
    Err(CliError::environment(anyhow::anyhow!(
        "this Docker engine cannot enforce what the run asks for:\n  - {}\n  hint: drop the limit, or run on an engine that enforces it",
        missing.join("\n  - ")
    )))
}

/// Ensures the image and returns a factory for containers of this run, plus the image id.
pub fn factory(
    engine: &Engine,
    spec: &ContainerSpec,
    exe: &Path,
    base_dir: &Path,
    run_id: String,
    role: &'static str,
    rt: &Runtime,
) -> Result<(ContainerFactory, String), CliError> {
    let (image, image_id) = rt
        .block_on(ensure_image(&engine.docker, spec.image.as_deref()))
        .or_environment()?;
    Ok((
        ContainerFactory {
            engine: engine.clone(),
            image,
            mirror_binds: if spec.image.is_none() {
                mirror_binds(&host_layout(Path::new("/")))
            } else {
                Vec::new()
            },
            exe: real_path(exe),
            workdir: real_path(base_dir),
            run_id,
            role,
        },
        image_id,
    ))
}
