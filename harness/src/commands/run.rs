//! `calibench run`: suite → measurements on each runtime → spool → store → table/JSON.

use std::collections::HashMap;
use std::path::PathBuf;

use calibench::docker::cleanup::remove_labelled;
use calibench::docker::engine::{connect, Engine};
use calibench::docker::image::{ensure_image, host_layout, mirror_binds};
use calibench::docker::spec::{host_nofile, real_path, ContainerSpec};
use calibench::environment::{capture_git, capture_host};
use calibench::executor::docker::DockerExecutor;
use calibench::executor::host::HostExecutor;
use calibench::executor::Executor;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::{interrupt, interrupted, parse_cpu_list, HostLauncher};
use calibench::output::progress::Progress;
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench::runner::{run_suite, RunIdentity};
use calibench_results::{open_store, redact_url, Environment, RunId, RunReport};
use calibench_suites::units::parse_size;
use calibench_suites::{load_suite, Network, Suite};
use tokio::runtime::Runtime;

use crate::cli::{NetworkChoice, RunArgs, RuntimeChoice};

/// The validated plan of one run.
struct RunPlan {
    suite: Suite,
    base_dir: PathBuf,
    cpuset: Option<String>,
    /// `None`: both when an engine answers, else host.
    runtime: Option<RuntimeChoice>,
    container: ContainerSpec,
}

fn plan(args: &RunArgs) -> Result<RunPlan, CliError> {
    let base_dir = std::env::current_dir().or_environment()?;
    let suite = load_suite(&args.suite, &base_dir).or_bad_input()?;
    let bad = |m: String| CliError::bad_input(anyhow::anyhow!(m));
    let cpuset = args
        .cpuset
        .clone()
        .or_else(|| suite.container.cpuset.clone());
    if let Some(set) = &cpuset {
        if parse_cpu_list(set).is_none() {
            return Err(bad(format!(
                "--cpuset `{set}` is not a CPU list (examples: 0, 0-1, 0,2)"
            )));
        }
    }
    let cpus = args.cpus.or(suite.container.cpus);
    if let Some(c) = cpus {
        if !(c.is_finite() && c > 0.0) {
            return Err(bad(format!(
                "--cpus {c} must be a positive number such as 1 or 0.5"
            )));
        }
    }
    let memory = match &args.memory {
        Some(m) => Some(parse_size(m).map_err(|e| bad(format!("--memory: {e}")))?),
        None => suite.container.memory_bytes,
    };
    if memory.is_some_and(|m| m < 6 << 20) {
        return Err(bad("--memory must be at least 6m (Docker's minimum)".into()));
    }
    let network = match args.network {
        Some(NetworkChoice::Host) => Network::Host,
        Some(NetworkChoice::Bridge) => Network::Bridge,
        None => suite.container.network.unwrap_or(Network::Host),
    };
    let container = ContainerSpec {
        image: args.image.clone().or_else(|| suite.container.image.clone()),
        cpuset: cpuset.clone(),
        nano_cpus: cpus.map(|c| (c * 1e9).round() as i64),
        memory_bytes: memory.map(|m| m as i64),
        pids_limit: suite.container.pids_limit,
        nofile: suite
            .container
            .nofile
            .map_or_else(host_nofile, |n| n as i64),
        network,
        privileged: suite.container.privileged,
    };
    Ok(RunPlan {
        suite,
        base_dir,
        cpuset,
        runtime: args.runtime,
        container,
    })
}

/// Connects to the engine when the plan may use it. `Ok(None)`: run on the host only.
fn docker_side(
    plan: &RunPlan,
    rt: &Runtime,
    notices: &mut Vec<String>,
) -> Result<Option<Engine>, CliError> {
    if plan.runtime == Some(RuntimeChoice::Host) {
        return Ok(None);
    }
    match rt.block_on(connect()) {
        Ok(engine) => {
            let missing = plan.container.unenforceable(&engine.facts);
            if !missing.is_empty() {
                return Err(CliError::environment(anyhow::anyhow!(
                    "this Docker engine cannot enforce what the run asks for:\n  - {}\n  hint: drop the limit, or run on an engine that enforces it",
                    missing.join("\n  - ")
                )));
            }
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
    for n in &notices {
        eprintln!("note: {n}");
    }
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let mut executors: Vec<Box<dyn Executor>> = Vec::new();
    if plan.runtime != Some(RuntimeChoice::Docker) {
        executors.push(Box::new(HostExecutor {
            launcher: HostLauncher {
                exe: exe.clone(),
                base_dir: plan.base_dir.clone(),
                cpus: plan.cpuset.as_deref().and_then(parse_cpu_list),
                runtime_label: "host",
            },
            cpuset: plan.cpuset.clone(),
        }));
    }
    if let Some(engine) = &engine {
        let (image, image_id) = rt
            .block_on(ensure_image(
                &engine.docker,
                plan.container.image.as_deref(),
            ))
            .or_environment()?;
        executors.push(Box::new(DockerExecutor {
            engine: engine.clone(),
            handle: rt.handle().clone(),
            spec: plan.container.clone(),
            mirror_binds: if plan.container.image.is_none() {
                mirror_binds(&host_layout(std::path::Path::new("/")))
            } else {
                Vec::new()
            },
            image,
            image_id,
            exe: exe.clone(),
            workdir: real_path(&plan.base_dir),
            run_id: identity.run_id,
            role: "benchmark",
        }));
    }
    let environment = Environment {
        host: capture_host(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git: capture_git(&plan.base_dir),
        engine: engine.as_ref().map(|e| e.facts.clone()),
    };
    let spool = spool();
    let spool_path = spool.path_of(identity.run_id);
    let cleanup_done = install_interrupt_handler(rt, engine.clone(), identity.run_id);

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
    let (report, executor_error) = run_suite(
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

    let url = database_url(args.db.db.as_deref());
    let stored = rt.block_on(async { open_store(&url).await?.save_run(&report).await });
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

/// On SIGINT or SIGTERM: stop the run (the run in flight is killed and this run's
/// containers removed); the main thread then spools what was measured and exits 130.
/// A second signal exits at once.
fn install_interrupt_handler(
    rt: &Runtime,
    engine: Option<Engine>,
    run_id: RunId,
) -> std::sync::mpsc::Receiver<()> {
    let (done, cleanup_done) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        interrupt();
        if let Some(engine) = engine {
            let id = run_id.to_string();
            if let Err(e) = remove_labelled(&engine.docker, Some(&id)).await {
                eprintln!("warning: removing this run's containers failed ({e}); `calibench gc` removes them");
            }
        }
        let _ = done.send(());
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        std::process::exit(Exit::Interrupted.code());
    });
    cleanup_done
}
