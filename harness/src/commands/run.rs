//! `calibench run`: suite → measurements on each runtime → spool → store → table/JSON.

use std::collections::HashMap;
use std::path::PathBuf;

use calibench::environment::{capture_git, capture_host};
use calibench::executor::host::HostExecutor;
use calibench::executor::Executor;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::{kill_current_run, parse_cpu_list, HostLauncher};
use calibench::output::progress::Progress;
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench::runner::{run_suite, RunIdentity};
use calibench_results::{open_store, redact_url, Environment, RunId, RunReport};
use calibench_suites::{load_suite, Suite};
use tokio::runtime::Runtime;

use crate::cli::{RunArgs, RuntimeChoice};

/// The validated plan of one run.
struct RunPlan {
    suite: Suite,
    base_dir: PathBuf,
    cpuset: Option<String>,
    runtime: RuntimeChoice,
}

fn plan(args: &RunArgs) -> Result<RunPlan, CliError> {
    let base_dir = std::env::current_dir().or_environment()?;
    let suite = load_suite(&args.suite, &base_dir).or_bad_input()?;
    let cpuset = args
        .cpuset
        .clone()
        .or_else(|| suite.container.cpuset.clone());
    if let Some(set) = &cpuset {
        if parse_cpu_list(set).is_none() {
            return Err(CliError::bad_input(anyhow::anyhow!(
                "--cpuset `{set}` is not a CPU list (examples: 0, 0-1, 0,2)"
            )));
        }
    }
    let runtime = args.runtime.unwrap_or(RuntimeChoice::Host);
    if runtime != RuntimeChoice::Host {
        return Err(CliError::environment(anyhow::anyhow!(
            "the docker runtime is not available in this build; use --runtime host"
        )));
    }
    Ok(RunPlan {
        suite,
        base_dir,
        cpuset,
        runtime,
    })
}

pub fn run(args: &RunArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let plan = plan(args)?;
    let identity = RunIdentity {
        run_id: RunId::new_random(),
        tag: args.tag.clone(),
        context: args.context.as_str().to_string(),
    };
    let environment = Environment {
        host: capture_host(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git: capture_git(&plan.base_dir),
        engine: None,
    };
    let exe = std::env::current_exe().or_environment()?;
    let mut executors: Vec<Box<dyn Executor>> = Vec::new();
    if matches!(plan.runtime, RuntimeChoice::Host | RuntimeChoice::Both) {
        executors.push(Box::new(HostExecutor {
            launcher: HostLauncher {
                exe,
                base_dir: plan.base_dir.clone(),
                cpus: plan.cpuset.as_deref().and_then(parse_cpu_list),
            },
            cpuset: plan.cpuset.clone(),
        }));
    }
    let spool = spool();
    let spool_path = spool.path_of(identity.run_id);
    install_interrupt_handler(rt, spool_path.clone());

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
        Vec::new(),
        &mut executors,
        &mut progress,
        &mut checkpoint,
    );
    progress.finish();
    if let Some(e) = spool_error {
        eprintln!("warning: could not write the spool: {e}");
    }
    spool.write(&report).or_environment()?;

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

/// On SIGINT or SIGTERM: kill the run in flight, say where the partial run is, exit 130.
fn install_interrupt_handler(rt: &Runtime, spool_path: PathBuf) {
    rt.spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        kill_current_run();
        eprintln!(
            "\ninterrupted: benchmarks finished so far are spooled at {}; `calibench push` stores them",
            spool_path.display()
        );
        std::process::exit(130);
    });
}
