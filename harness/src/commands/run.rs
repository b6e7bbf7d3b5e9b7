//! `calibench run`: suite → measurements on each runtime → spool → store → table/JSON.

use std::collections::HashMap;
use std::path::PathBuf;

use calibench::adjust::apply_profile;
use calibench::calibrate::profile_key;
use calibench::docker::engine::{connect, Engine};
use calibench::docker::spec::{real_path, ContainerSpec};
use calibench::environment::{capture_git, capture_host};
use calibench::executor::docker::DockerExecutor;
use calibench::executor::host::HostExecutor;
use calibench::executor::Executor;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::{interrupted, parse_cpu_list, HostLauncher};
use calibench::output::progress::Progress;
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench::runner::{run_suite, RunIdentity};
use calibench_results::{open_store, redact_url, Environment, RunId, RunReport, Store};
use calibench_suites::{load_suite, Suite};
use tokio::runtime::Runtime;

use super::container::{check_enforceable, container_spec, factory};
use super::interrupt;
use crate::cli::{RunArgs, RuntimeChoice};

/// The validated plan of one run.
pub struct RunPlan {
    pub suite: Suite,
    pub base_dir: PathBuf,
    /// `None`: both when an engine answers, else host.
    pub runtime: Option<RuntimeChoice>,
    pub container: ContainerSpec,
}

fn plan(args: &RunArgs) -> Result<RunPlan, CliError> {
    let base_dir = std::env::current_dir().or_environment()?;
    let suite = load_suite(&args.suite, &base_dir).or_bad_input()?;
    let container = container_spec(&args.container, &suite.container)?;
    Ok(RunPlan {
        suite,
        base_dir,
        runtime: args.runtime,
        container,
    })
}

/// Connects to the engine when the plan may use it. `Ok(None)`: run on the host only.
pub fn docker_side(
    plan: &RunPlan,
    rt: &Runtime,
    notices: &mut Vec<String>,
) -> Result<Option<Engine>, CliError> {
    if plan.runtime == Some(RuntimeChoice::Host) {
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
        Err(e) if plan.runtime == Some(RuntimeChoice::Docker) => Err(CliError::environment(e)),
        Err(e) => {
            notices.push(format!(
                "no Docker engine answers at {}: running on the host only",
                e.socket
            ));
            Ok(None)
        }
    }
}

pub fn run(args: &RunArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let plan = plan(args)?;
    let identity = RunIdentity {
        run_id: RunId::new_random(),
        tag: args.tag.clone(),
        context: args.context.as_str().to_string(),
    };
    let mut notices = Vec::new();
    let engine = docker_side(&plan, rt, &mut notices)?;
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let host = capture_host();
    let url = database_url(args.db.db.as_deref());
    let store = rt.block_on(open_store(&url));

    let mut executors = executors_for(&plan, engine.as_ref(), &exe, identity.run_id, rt)?;
    let profile = match &engine {
        Some(engine) => find_profile(
            store.as_ref().ok(),
            &profile_key(&host, &engine.facts, &plan.container),
            rt,
            &mut notices,
        ),
        None => None,
    };
    for n in &notices {
        eprintln!("note: {n}");
    }
    let environment = Environment {
        host,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git: capture_git(&plan.base_dir),
        engine: engine.as_ref().map(|e| e.facts.clone()),
    };
    let spool = spool();
    let spool_path = spool.path_of(identity.run_id);
    let cleanup_done = interrupt::install(rt, engine.clone(), identity.run_id.to_string());

    let units: HashMap<String, String> = plan
        .suite
        .benchmarks
        .iter()
        .map(|b| (b.name.clone(), b.unit().to_string()))
        .collect();
    let mut progress = Progress::new(
        plan.suite.benchmarks.len() * executors.len(),
        units,
        args.quiet,
    );
    let mut spool_error = None;
    let mut checkpoint = |r: &RunReport| {
        if let Err(e) = spool.write(r) {
            spool_error.get_or_insert(e);
        }
    };
    let (mut report, executor_error) = run_suite(
        &plan.suite,
        &identity,
        environment,
        notices,
        &mut executors,
        &mut progress,
        &mut checkpoint,
    );
    progress.finish();
    if let Some(e) = spool_error {
        eprintln!("warning: could not write the spool: {e}");
    }
    if let Some(p) = &profile {
        apply_profile(&mut report, p);
    }
    spool.write(&report).or_environment()?;
    if interrupted() {
        // Wait for the handler to finish removing this run's containers.
        let _ = cleanup_done.recv_timeout(std::time::Duration::from_secs(60));
        eprintln!(
            "interrupted: what was measured is spooled at {}; `calibench push` stores it",
            spool_path.display()
        );
        return Ok(Exit::Interrupted);
    }

    let stored = match &store {
        Ok(s) => rt.block_on(s.save_run(&report)),
        Err(e) => Err(calibench_results::StoreError::Unreachable {
            url: redact_url(&url),
            message: e.to_string(),
        }),
    };
    let mut exit = if report.has_failures() {
        Exit::Failed
    } else {
        Exit::Ok
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).or_environment()?
        );
    } else {
        print!("{}", run_table(&report));
    }
    match stored {
        Ok(_) => {
            spool.remove(report.run_id).or_environment()?;
            if !args.json {
                println!("stored run {} in {}", report.run_id, redact_url(&url));
            }
        }
        Err(e) => {
            eprintln!(
                "error: the run was measured but not stored: {e}\n  it is spooled at {}; `calibench push` stores it when the database is back",
                spool_path.display()
            );
            exit = Exit::Environment;
        }
    }
    if let Some(e) = executor_error {
        eprintln!("error: {e}");
        exit = Exit::Environment;
    }
    Ok(exit)
}

/// The executors of a plan: the host unless the plan is docker-only, and the engine's
/// containers when one is connected.
pub fn executors_for(
    plan: &RunPlan,
    engine: Option<&Engine>,
    exe: &std::path::Path,
    run_id: RunId,
    rt: &Runtime,
) -> Result<Vec<Box<dyn Executor>>, CliError> {
    let mut executors: Vec<Box<dyn Executor>> = Vec::new();
    if plan.runtime != Some(RuntimeChoice::Docker) {
        executors.push(Box::new(HostExecutor {
            launcher: HostLauncher {
                exe: exe.to_path_buf(),
                base_dir: plan.base_dir.clone(),
                cpus: plan.container.cpuset.as_deref().and_then(parse_cpu_list),
                runtime_label: "host",
            },
            cpuset: plan.container.cpuset.clone(),
        }));
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
        executors.push(Box::new(DockerExecutor {
            factory,
            handle: rt.handle().clone(),
            spec: plan.container.clone(),
            image_id,
        }));
    }
    Ok(executors)
}

/// The calibration profile for this configuration, or a notice saying why there is none.
pub fn find_profile(
    store: Option<&Store>,
    key: &str,
    rt: &Runtime,
    notices: &mut Vec<String>,
) -> Option<calibench_results::CalibrationProfile> {
    let Some(store) = store else {
        notices.push("the store is unreachable, so no calibration profile can be looked up: container results are not adjusted".into());
        return None;
    };
    match rt.block_on(store.find_profile(key)) {
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
