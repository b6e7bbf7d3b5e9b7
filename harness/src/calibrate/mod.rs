//! `calibench calibrate`: what the container costs on this host, per dimension, with
//! confidence intervals; the profile that adjusts later container results.

pub mod check;
mod dimensions;
pub mod error;
mod extras;
mod network;
mod placement;
pub mod probes;
pub mod rounds;
pub mod sides;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use calibench_calibrator::{pairs_needed, StoppingRule, Verdict};
use calibench_results::{
    now, CalibrationProfile, EngineFacts, HostEnvironment, ProbeOverhead, SCHEMA_VERSION,
};
use calibench_suites::Dimension;

use self::error::CalibrationError;
use self::probes::{
    adjusts_results, catalogue, measuring_order, time_weight, Variant, REPORT_ONLY_ROUNDS,
};
use self::rounds::{run_rounds, Limits, Side};
use self::sides::{session_name, ContainerSide, HostSide, QUOTA_FREE};
use crate::docker::launch::ContainerFactory;
use crate::docker::spec::ContainerSpec;
use crate::environment::fingerprint;
use crate::launch::HostLauncher;
use crate::preflight::MachineLimits;

/// A validated calibration request.
#[derive(Debug, Clone)]
pub struct CalibrationPlan {
    pub dimensions: Vec<Dimension>,
    /// Target half-width of each interval, percentage points.
    pub target_ci_pp: f64,
    pub max_time: Duration,
    pub max_rounds: usize,
    /// Host against host.
    pub aa: bool,
    pub spec: ContainerSpec,
    pub profile_id: String,
    pub seed: u64,
}

/// Key of a calibration profile: host fingerprint, engine facts that change container
/// cost, and the container configuration.
pub fn profile_key(host: &HostEnvironment, engine: &EngineFacts, spec: &ContainerSpec) -> String {
    let security = engine.security_options.join(",");
    let container = spec.key_json().to_string();
    fingerprint(&[
        &host.fingerprint,
        &engine.engine_version,
        &engine.cgroup_version,
        &engine.cgroup_driver,
        &engine.storage_driver,
        &security,
        &engine.kernel,
        &engine.default_runtime,
        &container,
    ])
}

/// Rounds before any interval is judged or reported.
pub const MIN_ROUNDS: usize = 10;

/// Progress lines for the user.
pub type Report<'a> = &'a mut dyn FnMut(&str);

/// Runs a calibration. `factory` is `None` only for A/A.
pub fn calibrate(
    plan: &CalibrationPlan,
    host: &HostEnvironment,
    engine: Option<&EngineFacts>,
    host_launcher: HostLauncher,
    factory: Option<(ContainerFactory, tokio::runtime::Handle)>,
    report: Report<'_>,
) -> Result<CalibrationProfile, CalibrationError> {
    let started = Instant::now();
    // Keep time to remove the containers before the limit.
    let teardown = (plan.max_time / 10).min(Duration::from_secs(3));
    let hard_deadline = started + plan.max_time.saturating_sub(teardown);
    let base_dir = host_launcher.base_dir.clone();
    let probes = catalogue(&plan.dimensions);
    let mut notes = Vec::new();
    let mut host_side = HostSide {
        launcher: host_launcher.clone(),
    };
    let mut other_host = HostSide {
        launcher: host_launcher,
    };
    let mut container_side = None;
    let mut memory = None;
    let mut start_latency = None;
    let mut network = Vec::new();
    let mut io_placement = None;
    if let (false, Some((factory, handle))) = (plan.aa, factory.as_ref()) {
        let mut sessions = HashMap::new();
        // Containers started so far are removed again when a later step fails.
        let set_up = (|| -> Result<(), CalibrationError> {
            let mut session_spec = plan.spec.clone();
            // The writable layer is one of the things measured.
            session_spec.readonly_rootfs = false;
            // A container that may run on several CPUs: does IO latency depend on which?
            // Measured on the host before any container starts, on a quiet engine.
            let cpus = || MachineLimits::of_this_machine().cpus_for(plan.spec.cpuset.as_ref());
            if let Some(cpus) = plan
                .dimensions
                .contains(&Dimension::Io)
                .then(cpus)
                .filter(|c| c.len() > 1)
            {
                report("measuring IO latency on each CPU the container may use");
                let p = placement::io_placement(&host_side.launcher, &cpus, plan.seed)?;
                if let Some(reason) = p.not_adjustable() {
                    notes.push(format!(
                        "IO results of this configuration are not adjusted: {reason}"
                    ));
                } else if let Some(pct) = p.widening_pct().filter(|w| *w > 0.0) {
                    notes.push(format!(
                        "IO latency differs by up to {pct:.1} % between the CPUs this container may use ({} slowest {:+.1} %): the io ratio's interval is widened by that much either way when results are adjusted",
                        p.probe, p.spread_pct
                    ));
                }
                io_placement = Some(p);
            }
            report("starting the calibration containers");
            let mut start = |name: &'static str, spec: &ContainerSpec, what: &str| {
                let id = handle
                    .block_on(factory.start_session(spec))
                    .map_err(|e| CalibrationError::container(format!("starting the {what}"), e))?;
                sessions.insert(name, id.clone());
                Ok::<_, CalibrationError>(id)
            };
            let default = start(
                session_name(Variant::Default),
                &session_spec,
                "calibration container",
            )?;
            // The CPU ratio is containerisation alone. Under a CPU quota the CPU probes
            // run in a container of the same configuration without the quota: what the
            // quota does depends on the work (its length, threads, phase within the CFS
            // period) and is removed from each result's own runs instead
            // (`calibench_calibrator::limits`). Removing the probe's throttled time from
            // the probe itself read the container 6-7 % faster than the host on one
            // machine while sysbench, treated the same way, read 1-4 % slower: the
            // probe's removal is not a measurement to adjust by.
            if session_spec.nano_cpus.is_some()
                && probes.iter().any(|p| p.dimension() == Dimension::Cpu)
            {
                let mut free = session_spec.clone();
                free.nano_cpus = None;
                start(QUOTA_FREE, &free, "quota-free container")?;
                notes.push("the CPU probes ran in a container of this configuration without its CPU quota: the CPU ratio is containerisation alone, and each result's own throttled time is removed before it is applied".into());
            }
            if probes.iter().any(|p| p.variant == Variant::Unconfined) {
                let mut unconfined = session_spec.clone();
                unconfined
                    .extra_security_opt
                    .push("seccomp=unconfined".into());
                start(
                    session_name(Variant::Unconfined),
                    &unconfined,
                    "unconfined container",
                )?;
            }
            if plan.dimensions.contains(&Dimension::Memory) {
                report("measuring the memory footprint");
                memory = Some(extras::memory_footprint(
                    &mut host_side,
                    factory,
                    handle,
                    &plan.spec,
                    &default,
                )?);
            }
            if plan.dimensions.contains(&Dimension::Latency) {
                report("measuring container start latency");
                start_latency = Some(extras::start_latency(
                    &mut host_side,
                    factory,
                    handle,
                    &plan.spec,
                    plan.seed,
                )?);
            }
            if plan.dimensions.contains(&Dimension::Network) {
                report("measuring the network paths");
                let remaining = hard_deadline.saturating_duration_since(Instant::now());
                network = network::network_costs(
                    &mut host_side.launcher,
                    factory,
                    handle,
                    &plan.spec,
                    remaining / (probes.len() as u32 + 1),
                    hard_deadline,
                    plan.seed,
                )?;
                for n in &network {
                    report(&format!(
                        "network {:<16} {:+8.1} µs a request (95 % CI {:+.1} to {:+.1}), {} rounds, {}",
                        n.path.as_str(),
                        n.added_us,
                        n.ci_low_us,
                        n.ci_high_us,
                        n.rounds,
                        if n.additive { "additive" } else { "not additive" }
                    ));
                }
            }
            Ok(())
        })();
        if let Err(e) = set_up {
            for id in sessions.values() {
                let _ = handle.block_on(factory.stop_session(id));
            }
            return Err(e);
        }
        container_side = Some(ContainerSide {
            factory: factory.clone(),
            handle: handle.clone(),
            sessions,
            base_dir: base_dir.clone(),
        });
    }
    let mut results = Vec::new();
    let rule = |max_rounds| StoppingRule {
        target_half_width_pp: plan.target_ci_pp,
        min_rounds: MIN_ROUNDS,
        max_rounds,
    };
    let outcome = (|| -> Result<(), CalibrationError> {
        let order = measuring_order(&probes);
        for (k, &i) in order.iter().enumerate() {
            let probe = &probes[i];
            let remaining = hard_deadline.saturating_duration_since(Instant::now());
            let weights: u32 = order[k..].iter().map(|&j| time_weight(&probes[j])).sum();
            let budget = remaining * time_weight(probe) / weights;
            let max_rounds = if adjusts_results(probe) {
                plan.max_rounds
            } else {
                plan.max_rounds.min(REPORT_ONLY_ROUNDS)
            };
            let limits = Limits {
                rule: rule(max_rounds),
                budget,
                hard_deadline,
            };
            let other: &mut dyn Side = match container_side.as_mut() {
                Some(c) => c,
                None => &mut other_host,
            };
            let rounds = run_rounds(probe, &mut host_side, other, limits, plan.seed ^ i as u64)?;
            let o = rounds.overhead;
            let throttled: Option<u64> = rounds
                .container_reports
                .iter()
                .map(|r| r.extra.get("throttled_periods").map(|v| *v as u64))
                .sum();
            let median = |v: &[f64]| calibench_calibrator::median(v).unwrap_or(f64::NAN);
            let raw: Vec<f64> = rounds
                .container_reports
                .iter()
                .filter_map(|r| r.extra.get("raw_value").copied())
                .collect();
            // Below the minimum rounds an interval is the range of a handful of values:
            // no verdict is drawn from it and it adjusts nothing.
            let enough = limits.rule.enough(o.rounds);
            let result = ProbeOverhead {
                dimension: probe.dimension(),
                probe: probe.label.clone(),
                host_median: median(&rounds.host),
                container_median: median(&rounds.container),
                overhead_pct: o.overhead * 100.0,
                ci_low_pct: o.ci_low * 100.0,
                ci_high_pct: o.ci_high * 100.0,
                rounds: o.rounds,
                verdict: if enough {
                    o.verdict
                } else {
                    Verdict::TooFewRounds
                },
                stopped_by: rounds.stopped_by,
                seconds: rounds.seconds,
                throttled_periods: throttled.filter(|_| !plan.aa),
                raw_container_median: calibench_calibrator::median(&raw).ok(),
                pairs_for_1pct: pairs_needed(o.log_ratio_sd, 0.01),
            };
            report(&format!(
                "{:<20} {:+7.2} % (95 % CI {:+.2} to {:+.2}) {} rounds, {}, stopped by {}",
                result.probe,
                result.overhead_pct,
                result.ci_low_pct,
                result.ci_high_pct,
                result.rounds,
                result.verdict,
                result.stopped_by
            ));
            results.push((i, probe.clone(), result));
        }
        Ok(())
    })();
    // Reported in the catalogue's order, whatever the order of measuring.
    results.sort_by_key(|(i, _, _)| *i);
    let results: Vec<_> = results.into_iter().map(|(_, p, r)| (p, r)).collect();
    if let (Some(side), Some((factory, handle))) = (container_side.as_ref(), factory.as_ref()) {
        for id in side.sessions.values() {
            if let Err(e) = handle.block_on(factory.stop_session(id)) {
                notes.push(format!("removing container {id} failed: {e}"));
            }
        }
    }
    outcome?;
    let dimensions = dimensions::dimension_overheads(&results);
    for (p, r) in &results {
        if r.verdict == Verdict::TooFewRounds {
            notes.push(format!(
                "{}: only {} rounds fit in the time (at least {MIN_ROUNDS} are needed for an interval); no verdict, and it adjusts nothing",
                p.label, r.rounds
            ));
        }
    }
    let memory_overhead_mb = memory
        .as_ref()
        .map(|m: &calibench_results::MemoryFootprint| {
            m.container_cgroup_peak_mb - m.host_peak_rss_mb + m.shim_rss_mb.unwrap_or(0.0)
        });
    if memory.as_ref().is_some_and(|m| m.shim_rss_mb.is_none()) {
        notes.push(
            "the runtime shim's process was not found; memory_overhead_mb excludes it".into(),
        );
    }
    let key = engine.map_or_else(|| "aa".to_string(), |e| profile_key(host, e, &plan.spec));
    Ok(CalibrationProfile {
        schema_version: SCHEMA_VERSION,
        profile_id: plan.profile_id.clone(),
        profile_key: key,
        created_at: now(),
        aa: plan.aa,
        host_fingerprint: host.fingerprint.clone(),
        engine: engine.cloned(),
        container: if plan.aa {
            serde_json::Value::Null
        } else {
            plan.spec.key_json()
        },
        target_ci_pct: plan.target_ci_pp,
        max_time_s: plan.max_time.as_secs_f64(),
        elapsed_s: started.elapsed().as_secs_f64(),
        dimensions,
        probes: results.into_iter().map(|(_, r)| r).collect(),
        memory_overhead_mb,
        memory,
        start_latency,
        notes,
        pooled: Vec::new(),
        network,
        io_placement,
    })
}
