//! `calibench ab`: parse, prepare the two builds, measure them interleaved, store both
//! sides as runs, print the comparison.

use std::time::Duration;

use calibench::ab::{ab_report, prepare, run_report, AbMeasured, AbSource, BuildExecutors};
use calibench::docker::spec::real_path;
use calibench::environment::capture_host;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::interrupted;
use calibench::paths::{database_url, spool};
use calibench::plan::{container_spec, engine_for};
use calibench::preflight::{check_limits, MachineLimits};
use calibench::sampler::Goal;
use calibench::summarize::build_result;
use calibench_calibrator::seed::fnv1a;
use calibench_results::compare::CompareOptions;
use calibench_results::{now, open_store, Environment, RunId, RunReport, Runtime as Rt};
use calibench_suites::units::parse_duration;
use tokio::runtime::Runtime;

use super::compare::{parse_percent, parse_threshold, write_outputs};
use super::interrupt;
use crate::cli::{AbArgs, RuntimeChoice};

/// What the arguments name as the two builds.
fn source(args: &AbArgs) -> Result<AbSource, CliError> {
    if let (Some(a), Some(b)) = (&args.cmd_a, &args.cmd_b) {
        return Ok(AbSource::Commands {
            a: a.clone(),
            b: b.clone(),
        });
    }
    match (&args.ref_a, &args.ref_b, &args.suite) {
        (Some(a), Some(b), Some(suite)) => Ok(AbSource::Refs {
            a: a.clone(),
            b: b.clone(),
            suite: suite.clone(),
        }),
        _ => Err(CliError::bad_input(anyhow::anyhow!(
            "give two refs and --suite FILE, or --cmd-a and --cmd-b"
        ))),
    }
}

pub fn ab(args: &AbArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let target = parse_percent(&args.target_ci, "--target-ci", false)? * 100.0;
    let max_time = parse_duration(&args.max_time)
        .map_err(|e| CliError::bad_input(anyhow::anyhow!("--max-time: {e}")))?;
    let threshold = args
        .max_regression
        .as_deref()
        .map(parse_threshold)
        .transpose()?;
    let cwd = std::env::current_dir().or_environment()?;
    let [(build_a, suite_a), (build_b, suite_b)] = prepare(&source(args)?, &cwd)?;
    let spec = container_spec(&(&args.container).into(), &suite_a.container)?;
    check_limits(&spec, &MachineLimits::of_this_machine())?;
    let runtimes: Vec<Rt> = match args.runtime {
        RuntimeChoice::Host => vec![Rt::Host],
        RuntimeChoice::Docker => vec![Rt::Docker],
        RuntimeChoice::Both => vec![Rt::Host, Rt::Docker],
    };
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let engine = if runtimes.contains(&Rt::Docker) {
        Some(engine_for(&spec, rt)?)
    } else {
        None
    };
    let (id_a, id_b) = (RunId::new_random(), RunId::new_random());
    let cleanup_done = interrupt::install(rt, engine.clone(), id_a.to_string());
    let executors = BuildExecutors {
        engine: engine.as_ref(),
        spec: &spec,
        exe: &exe,
        run_id: id_a.to_string(),
        rt,
    };
    let goal = Goal::Precision {
        target_half_width_pp: target,
        min_rounds: args.min_rounds.max(2),
        max_time,
    };
    let host = capture_host();
    let environment = Environment {
        host,
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git: None,
        engine: engine.as_ref().map(|e| e.facts.clone()),
    };
    let mut report_a = run_report(&build_a, &suite_a, id_a, &environment);
    let mut report_b = run_report(&build_b, &suite_b, id_b, &environment);
    let mut measured: Vec<AbMeasured> = Vec::new();
    for bench_a in &suite_a.benchmarks {
        let Some(bench_b) = suite_b.benchmarks.iter().find(|b| b.name == bench_a.name) else {
            eprintln!(
                "note: `{}` is not in {}'s suite; skipped",
                bench_a.name, build_b.name
            );
            continue;
        };
        for &runtime in &runtimes {
            if interrupted() {
                break;
            }
            let seed = fnv1a(&[&id_a.to_string(), &bench_a.name, runtime.as_str()]);
            let m = executors.measure(
                (&build_a, bench_a),
                (&build_b, bench_b),
                runtime,
                goal,
                seed,
            )?;
            if !args.quiet {
                eprintln!(
                    "{} ({}): {} paired rounds",
                    m.name,
                    runtime.as_str(),
                    m.pairs.0.len()
                );
            }
            report_a.benchmarks.push(build_result(
                bench_a,
                m.a.measurement.clone(),
                m.a.environment.clone(),
            ));
            report_b.benchmarks.push(build_result(
                bench_b,
                m.b.measurement.clone(),
                m.b.environment.clone(),
            ));
            measured.push(m);
        }
    }
    if interrupted() {
        let _ = cleanup_done.recv_timeout(Duration::from_secs(60));
        eprintln!("interrupted");
        return Ok(Exit::Interrupted);
    }
    report_a.finished_at = now();
    report_b.finished_at = now();
    let options = CompareOptions {
        threshold,
        allow_inconclusive: args.allow_inconclusive,
        ..CompareOptions::default()
    };
    let report = ab_report(&build_a, &build_b, (id_a, id_b), &measured, &options);
    write_outputs(&report, args.json, args.markdown.as_deref())?;
    let stored = store_both(&[report_a, report_b], args.db.db.as_deref(), rt);
    let mut exit = if threshold.is_some() && report.gate_fails() {
        Exit::Failed
    } else {
        Exit::Ok
    };
    if let Err(e) = stored {
        eprintln!("error: {e}");
        if exit == Exit::Ok {
            exit = Exit::Environment;
        }
    }
    Ok(exit)
}

/// Spools and stores both sides' runs; a run that cannot be stored stays in the spool.
fn store_both(runs: &[RunReport], db: Option<&str>, rt: &Runtime) -> Result<(), CliError> {
    let spool = spool();
    for r in runs {
        spool.write(r).or_environment()?;
    }
    let url = database_url(db);
    let store = rt.block_on(open_store(&url)).map_err(|e| {
        CliError::environment(anyhow::anyhow!(
            "both builds were measured but not stored: {e}\n  they are spooled; `calibench push` stores them"
        ))
    })?;
    for r in runs {
        rt.block_on(store.save_run(r)).or_environment()?;
        spool.remove(r.run_id).or_environment()?;
    }
    Ok(())
}
