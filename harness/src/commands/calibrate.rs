//! `calibench calibrate`.

use calibench::calibrate::check::{check, checked_dimensions};
use calibench::calibrate::{calibrate as run_calibration, profile_key, CalibrationPlan};
use calibench::docker::spec::real_path;
use calibench::environment::capture_host;
use calibench::exit::{CliError, Exit, ExitContext};
use calibench::launch::interrupted;
use calibench::output::calibration::{calibration_table, check_table};
use calibench::paths::database_url;
use calibench::plan::{container_spec, engine_for, factory, host_launcher};
use calibench::preflight::{check_limits, MachineLimits};
use calibench_results::{
    open_store, pool_history, redact_url, CalibrationProfile, POOLED_CALIBRATIONS,
};
use calibench_suites::units::parse_duration;
use calibench_suites::{load_suite, ContainerSettings, Dimension};
use tokio::runtime::Runtime;

use super::interrupt;
use crate::cli::CalibrateArgs;

pub fn calibrate(args: &CalibrateArgs, rt: &Runtime) -> Result<Exit, CliError> {
    let bad = |m: String| CliError::bad_input(anyhow::anyhow!(m));
    let base_dir = std::env::current_dir().or_environment()?;
    let suite_container = match &args.suite {
        Some(path) => load_suite(path, &base_dir).or_bad_input()?.container,
        None => ContainerSettings::default(),
    };
    let spec = container_spec(&(&args.container).into(), &suite_container)?;
    check_limits(&spec, &MachineLimits::of_this_machine())?;
    let parse_dimensions = |names: &[String]| -> Result<Vec<Dimension>, CliError> {
        let mut dimensions = Vec::new();
        for d in names {
            let dim = Dimension::parse(d.trim()).ok_or_else(|| {
                bad(format!(
                    "unknown dimension `{d}`: use cpu, memory, io, latency"
                ))
            })?;
            if !dimensions.contains(&dim) {
                dimensions.push(dim);
            }
        }
        Ok(dimensions)
    };
    let default_time = if args.check { "60s" } else { "4m" };
    let max_time = parse_duration(args.max_time.as_deref().unwrap_or(default_time))
        .map_err(|e| bad(format!("--max-time: {e}")))?;
    if !(args.target_ci.is_finite() && args.target_ci > 0.0) {
        return Err(bad(
            "--target-ci must be a positive number of percentage points".into(),
        ));
    }
    if args.max_rounds < 2 {
        return Err(bad("--max-rounds must be at least 2".into()));
    }
    let host = capture_host();
    let engine = if args.aa {
        None
    } else {
        Some(engine_for(&spec, rt)?)
    };
    let url = database_url(args.db.db.as_deref());
    let stored = match (&engine, args.check) {
        (Some(e), true) => Some(stored_profile(
            &url,
            &profile_key(&host, &e.facts, &spec),
            rt,
        )?),
        _ => None,
    };
    let dimensions = match (&args.dimensions, &stored) {
        (Some(names), _) => parse_dimensions(names)?,
        (None, Some(p)) => checked_dimensions(p),
        (None, None) => Dimension::ALL.to_vec(),
    };
    if dimensions.is_empty() {
        return Err(bad(
            "the stored profile adjusts no dimension, so there is nothing to check: run `calibench calibrate` with the same flags".into(),
        ));
    }
    let profile_id = calibench_results::RunId::new_random().to_string();
    let plan = CalibrationPlan {
        dimensions,
        target_ci_pp: args.target_ci,
        max_time,
        max_rounds: args.max_rounds,
        aa: args.aa,
        spec: spec.clone(),
        seed: u64::from_str_radix(&profile_id[..16].replace('-', ""), 16).unwrap_or(7),
        profile_id: profile_id.clone(),
    };
    let exe = real_path(&std::env::current_exe().or_environment()?);
    let launcher = host_launcher(&exe, &base_dir, spec.cpuset.as_ref());
    let container = match &engine {
        Some(e) => Some((
            factory(
                e,
                &spec,
                &exe,
                &base_dir,
                profile_id.clone(),
                "calibrate",
                rt,
            )?
            .0,
            rt.handle().clone(),
        )),
        None => None,
    };
    let cleanup_done = interrupt::install(rt, engine.clone(), profile_id.clone());
    let quiet = args.quiet;
    let mut say = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let result = run_calibration(
        &plan,
        &host,
        engine.as_ref().map(|e| &e.facts),
        launcher,
        container,
        &mut say,
    );
    if interrupted() {
        let _ = cleanup_done.recv_timeout(std::time::Duration::from_secs(60));
        eprintln!("interrupted: calibration not stored");
        return Ok(Exit::Interrupted);
    }
    let mut profile =
        result.map_err(|e| CliError::environment(anyhow::anyhow!("calibration failed: {e}")))?;
    if let Some(stored) = &stored {
        let report = check(stored, &profile);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).or_environment()?
            );
        } else {
            print!("{}", check_table(&report));
        }
        return Ok(if report.holds { Exit::Ok } else { Exit::Failed });
    }
    if profile.aa {
        print_profile(&profile, args)?;
        return Ok(Exit::Ok);
    }
    let stored = rt.block_on(async {
        let store = open_store(&url).await?;
        let earlier = store
            .profile_history(&profile.profile_key, POOLED_CALIBRATIONS)
            .await?;
        profile.pooled = pool_history(&profile, &earlier);
        store.save_profile(&profile).await
    });
    print_profile(&profile, args)?;
    stored.map_err(|e| {
        CliError::environment(anyhow::anyhow!(
            "the profile was measured but not stored: {e}"
        ))
    })?;
    if !args.json {
        println!(
            "stored calibration profile {} in {}",
            profile.profile_id,
            redact_url(&url)
        );
    }
    Ok(Exit::Ok)
}

/// The newest stored profile of `key`, or why there is none.
fn stored_profile(url: &str, key: &str, rt: &Runtime) -> Result<CalibrationProfile, CliError> {
    let found = rt
        .block_on(async { open_store(url).await?.find_profile(key).await })
        .map_err(|e| {
            CliError::environment(anyhow::anyhow!(
                "reading the stored profiles from {} failed: {e}",
                redact_url(url)
            ))
        })?;
    found.ok_or_else(|| {
        CliError::bad_input(anyhow::anyhow!(
            "no calibration profile in {} matches this host, engine and container configuration: run `calibench calibrate` with the same flags first",
            redact_url(url)
        ))
    })
}

fn print_profile(profile: &CalibrationProfile, args: &CalibrateArgs) -> Result<(), CliError> {
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(profile).or_environment()?
        );
    } else {
        print!("{}", calibration_table(profile));
    }
    if let Some(path) = &args.plot {
        super::report::write_calibration(profile, path)?;
    }
    Ok(())
}
