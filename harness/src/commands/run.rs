//! `calibench run`: suite → measurements on each runtime → spool → store → table/JSON.

use std::collections::HashMap;

use calibench::adjust::apply_profile;
use calibench::docker::spec::real_path;
use calibench::environment::capture_host;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::interrupted;
use calibench::output::progress::Progress;
use calibench::output::table::run_table;
use calibench::paths::{database_url, spool};
use calibench::plan::{docker_side, executors_for, find_profile, RunPlan, RuntimeSelection};
use calibench::runner::{run_suite, RunIdentity, RunStart};
use calibench::sampler::{Goal, MIN_PAIRED_ROUNDS};
use calibench_results::{open_store, redact_url, RunId, RunReport};
use calibench_suites::units::parse_duration;
use tokio::runtime::Runtime;

use super::compare::parse_percent;
use super::interrupt;
use super::stored::settle;
use crate::cli::RunArgs;

/// `calibench run`, `--repeat` times; the exit code is the worst of the runs.
pub fn run(args: &RunArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let mut worst = Exit::Ok;
    for i in 0..args.repeat {
        if args.repeat > 1 && !args.quiet {
            eprintln!("run {} of {}", i + 1, args.repeat);
        }
        let exit = run_once(args, rt)?;
        if exit == Exit::Interrupted {
            return Ok(exit);
        }
        if exit.code() > worst.code() {
            worst = exit;
        }
    }
    Ok(worst)
}

/// When each benchmark's rounds stop: the suite's settings, or with `--target-ci` a
/// precision goal on the container-vs-host ratio, which needs both sides.
fn goal(args: &RunArgs, sides: usize) -> Result<Goal, CliError> {
    let Some(target) = &args.target_ci else {
        return Ok(Goal::Settings);
    };
    let target_half_width_pp = parse_percent(target, "--target-ci", false)? * 100.0;
    let max_time = parse_duration(&args.max_time)
        .map_err(|e| CliError::bad_input(anyhow::anyhow!("--max-time: {e}")))?;
    if sides != 2 {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--target-ci is the width of the container-against-host interval, and this run has one side; use --runtime both with a Docker engine, or the suite's target_ci for one side's median"
        )));
    }
    Ok(Goal::Precision {
        target_half_width_pp,
        min_rounds: MIN_PAIRED_ROUNDS,
        max_time,
    })
}

fn run_once(args: &RunArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let plan = RunPlan::load(
        &args.suite,
        args.runtime.map(Into::into),
        &(&args.container).into(),
    )?;
    let identity = RunIdentity {
        run_id: RunId::new_random(),
        tag: args.tag.clone(),
        context: args.context.as_str().to_string(),
    };
    let mut notices = Vec::new();
    let engine = docker_side(&plan, rt, &mut notices)?;
    let host_side = plan.runtime != Some(RuntimeSelection::Docker);
    let goal = goal(args, usize::from(host_side) + usize::from(engine.is_some()))?;
    let exe = real_path(&std::env::current_exe().or_environment()?);
    if engine.is_some() {
        plan.check_container_paths(&exe)?;
    }
    let host = capture_host();
    let url = database_url(args.db.db.as_deref());
    let store = rt.block_on(open_store(&url));

    let mut executors = executors_for(&plan, engine.as_ref(), &exe, identity.run_id, rt)?;
    let profile = match &engine {
        Some(engine) => find_profile(store.as_ref().ok(), &plan, &host, engine, rt, &mut notices),
        None => None,
    };
    for n in &notices {
        eprintln!("note: {n}");
    }
    let environment = plan.environment(host, engine.as_ref());
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
        RunStart {
            environment,
            notices,
            goal,
        },
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
    if args.json && args.repeat > 1 {
        println!("{}", serde_json::to_string(&report).or_environment()?);
    } else if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).or_environment()?
        );
    } else {
        print!("{}", run_table(&report));
    }
    let stored = stored.map(|_| ()).map_err(|e| e.to_string());
    if !settle(
        stored,
        &report,
        &spool,
        &url,
        args.json,
        "the run was measured",
    )? {
        exit = Exit::Environment;
    }
    if let Some(e) = executor_error {
        eprintln!("error: {e}");
        exit = Exit::Environment;
    }
    Ok(exit)
}
