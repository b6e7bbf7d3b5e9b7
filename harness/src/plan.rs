//! From arguments to a validated plan, and from a plan to what executes it: the
//! container configuration (flags over the suite's `[container]` table), the engine
//! connection and its checks, the executors, the environment record and the calibration
//! profile. Commands parse arguments, call this, and print.

use std::path::{Path, PathBuf};

use calibench_results::{CalibrationProfile, Environment, HostEnvironment, RunId, Store};
use calibench_suites::compose::load_compose;
use calibench_suites::units::parse_size;
use calibench_suites::{load_suite, ContainerSettings, CpuSet, Network, Suite};
use tokio::runtime::Runtime;

use crate::calibrate::profile_key;
use crate::docker::engine::{connect, Engine};
use crate::docker::image::{ensure_image, host_layout, mirror_binds};
use crate::docker::launch::ContainerFactory;
use crate::docker::sameview::{check_same_view, in_container};
use crate::docker::spec::{host_nofile, real_path, ContainerSpec};
use crate::environment::capture_git;
use crate::executor::docker::DockerExecutor;
use crate::executor::host::HostExecutor;
use crate::executor::Executor;
use crate::exit::{CliError, ExitContext};
use crate::launch::HostLauncher;
use crate::preflight::{check_limits, check_visible, visible_roots, MachineLimits};

/// Where a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeSelection {
    Host,
    Docker,
    Both,
}

/// Container settings given on the command line; each overrides the suite's table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerOverrides {
    pub cpus: Option<f64>,
    pub cpuset: Option<String>,
    pub memory: Option<String>,
    pub network: Option<Network>,
    pub image: Option<String>,
    /// `--compose FILE --service NAME`: limits from a compose file, under the flags.
    pub compose: Option<(PathBuf, String)>,
}

/// The validated plan of one run.
pub struct RunPlan {
    pub suite: Suite,
    pub base_dir: PathBuf,
    /// `None`: both when an engine answers, else host.
    pub runtime: Option<RuntimeSelection>,
    pub container: ContainerSpec,
}

impl RunPlan {
    /// Loads the suite (relative to the working directory) and validates the container
    /// configuration.
    pub fn load(
        suite_path: &Path,
        runtime: Option<RuntimeSelection>,
        overrides: &ContainerOverrides,
    ) -> Result<Self, CliError> {
        let base_dir = std::env::current_dir().or_environment()?;
        let suite = load_suite(suite_path, &base_dir).or_bad_input()?;
        let container = container_spec(overrides, &suite.container)?;
        check_limits(&container, &MachineLimits::of_this_machine())?;
        Ok(RunPlan {
            suite,
            base_dir,
            runtime,
            container,
        })
    }

    /// Before a container side runs: every host path its commands name must be visible
    /// in a host-mirror container (a user image is the user's to fill).
    pub fn check_container_paths(&self, exe: &Path) -> Result<(), CliError> {
        if self.container.image.is_some() {
            return Ok(());
        }
        let roots = visible_roots(
            &host_layout(Path::new("/")),
            &real_path(exe),
            &real_path(&self.base_dir),
        );
        check_visible(&self.suite, &roots, &self.base_dir)
    }

    /// The host launcher of this plan, pinned to its cpuset.
    pub fn host_launcher(&self, exe: &Path) -> HostLauncher {
        host_launcher(exe, &self.base_dir, self.container.cpuset.as_ref())
    }

    /// What is recorded about where the run happened.
    pub fn environment(&self, host: HostEnvironment, engine: Option<&Engine>) -> Environment {
        Environment {
            host,
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            git: capture_git(&self.base_dir),
            engine: engine.map(|e| e.facts.clone()),
        }
    }
}

/// A host launcher for `exe` in `base_dir`, pinned to `cpuset` when given.
pub fn host_launcher(exe: &Path, base_dir: &Path, cpuset: Option<&CpuSet>) -> HostLauncher {
    HostLauncher {
        exe: exe.to_path_buf(),
        base_dir: base_dir.to_path_buf(),
        cpus: cpuset.map(|c| c.cpus().to_vec()),
        runtime_label: "host",
    }
}

/// The container spec from flags over the suite's table.
pub fn container_spec(
    args: &ContainerOverrides,
    suite: &ContainerSettings,
) -> Result<ContainerSpec, CliError> {
    let bad = |m: String| CliError::bad_input(anyhow::anyhow!(m));
    let composed;
    let suite = match &args.compose {
        Some((file, service)) => {
            composed = layer(
                &load_compose(file, service).map_err(CliError::bad_input)?,
                suite,
            );
            &composed
        }
        None => suite,
    };
    let cpuset = match &args.cpuset {
        Some(text) => Some(CpuSet::parse(text).map_err(|e| bad(format!("--cpuset {e}")))?),
        None => suite.cpuset.clone(),
    };
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
    Ok(ContainerSpec {
        image: args.image.clone().or_else(|| suite.image.clone()),
        cpuset,
        nano_cpus: cpus.map(|c| (c * 1e9).round() as i64),
        memory_bytes: memory.map(|m| m as i64),
        // A --memory flag replaces the whole memory setting: no swap beside it.
        memory_swap_bytes: suite
            .memory_swap_bytes
            .filter(|_| args.memory.is_none())
            .map(|m| m as i64),
        pids_limit: suite.pids_limit,
        nofile: suite.nofile.map_or_else(host_nofile, |n| n as i64),
        network: args.network.or(suite.network).unwrap_or(Network::Host),
        privileged: suite.privileged,
        readonly_rootfs: true,
        extra_security_opt: Vec::new(),
    })
}

/// `top`'s limits where it sets them, else `under`'s (image and isolation from `under`).
fn layer(top: &ContainerSettings, under: &ContainerSettings) -> ContainerSettings {
    ContainerSettings {
        cpuset: top.cpuset.clone().or_else(|| under.cpuset.clone()),
        cpus: top.cpus.or(under.cpus),
        memory_bytes: top.memory_bytes.or(under.memory_bytes),
        memory_swap_bytes: top
            .memory_bytes
            .map_or(under.memory_swap_bytes, |_| top.memory_swap_bytes),
        network: top.network.or(under.network),
        pids_limit: top.pids_limit.or(under.pids_limit),
        ..under.clone()
    }
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
    let factory = ContainerFactory {
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
    };
    if spec.image.is_none() && in_container() {
        rt.block_on(check_same_view(&factory, spec))
            .or_environment()?;
    }
    Ok((factory, image_id))
}

/// Connects to the engine when the plan may use it. `Ok(None)`: run on the host only.
pub fn docker_side(
    plan: &RunPlan,
    rt: &Runtime,
    notices: &mut Vec<String>,
) -> Result<Option<Engine>, CliError> {
    if plan.runtime == Some(RuntimeSelection::Host) {
        return Ok(None);
    }
    match rt.block_on(connect()) {
        Ok(engine) => {
            check_enforceable(&plan.container, &engine)?;
            if plan.container.is_unlimited() {
                notices.push("the container runs without CPU or memory limits (no cpuset, cpus or memory given)".into());
            }
            if plan.container.privileged {
                notices.push(
                    "the suite asks for a privileged container: it is not isolated from the host"
                        .into(),
                );
            }
            Ok(Some(engine))
        }
        Err(e) if plan.runtime == Some(RuntimeSelection::Docker) => Err(CliError::environment(e)),
        Err(e) => {
            notices.push(format!(
                "no Docker engine answers at {}: running on the host only",
                e.socket
            ));
            Ok(None)
        }
    }
}

/// The executors of a plan: the host unless the plan is docker-only, and the engine's
/// containers when one is connected.
pub fn executors_for(
    plan: &RunPlan,
    engine: Option<&Engine>,
    exe: &Path,
    run_id: RunId,
    rt: &Runtime,
) -> Result<Vec<Box<dyn Executor>>, CliError> {
    let mut executors: Vec<Box<dyn Executor>> = Vec::new();
    if plan.runtime != Some(RuntimeSelection::Docker) {
        executors.push(Box::new(HostExecutor::new(
            plan.host_launcher(exe),
            plan.container
                .cpuset
                .as_ref()
                .map(|c| c.as_str().to_string()),
        )));
    }
    if let Some(engine) = engine {
        let (factory, image_id) = factory(
            engine,
            &plan.container,
            exe,
            &plan.base_dir,
            run_id.to_string(),
            "benchmark",
            rt,
        )?;
        executors.push(Box::new(
            DockerExecutor::new(
                factory,
                rt.handle().clone(),
                plan.container.clone(),
                image_id,
            )
            .measuring_quota_effect(),
        ));
    }
    Ok(executors)
}

/// The calibration profile for this plan's configuration on `engine`, or a notice
/// saying why there is none.
pub fn find_profile(
    store: Option<&Store>,
    plan: &RunPlan,
    host: &HostEnvironment,
    engine: &Engine,
    rt: &Runtime,
    notices: &mut Vec<String>,
) -> Option<CalibrationProfile> {
    let Some(store) = store else {
        notices.push("the store is unreachable, so no calibration profile can be looked up: container results are not adjusted".into());
        return None;
    };
    let key = profile_key(host, &engine.facts, &plan.container);
    match rt.block_on(store.find_profile(&key)) {
        Ok(Some(p)) => {
            notices.push(format!(
                "container results adjusted with calibration profile {} ({})",
                p.profile_id,
                p.created_at.format("%Y-%m-%d %H:%M UTC")
            ));
            Some(p)
        }
        Ok(None) => {
            notices.push("no calibration profile matches this host, engine and container configuration: container results are not adjusted (run `calibench calibrate` with the same container flags)".into());
            None
        }
        Err(e) => {
            notices.push(format!(
                "looking up a calibration profile failed ({e}): container results are not adjusted"
            ));
            None
        }
    }
}
