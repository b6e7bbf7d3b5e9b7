//! The figures that are not ratios: the memory a container costs beyond its workload,
//! and container start latency.

use std::time::Duration;

use calibench_calibrator::{expanded_mean_ci, median, CONFIDENCE, DEFAULT_RESAMPLES};
use calibench_results::{MemoryFootprint, StartLatency};
use calibench_suites::{ProbeKind, ProbeReport};

use super::error::CalibrationError;
use super::probes::{CalibrationProbe, Variant};
use super::rounds::Side;
use super::sides::HostSide;
use crate::docker::launch::{shim_rss_mb, ContainerFactory};
use crate::docker::spec::ContainerSpec;

const MIB: f64 = 1024.0 * 1024.0;

/// The memory-touch probe on the host (its peak RSS) and as the only process of a fresh
/// container (the container cgroup's peak), plus the shim RSS of a running session.
pub fn memory_footprint(
    host: &mut HostSide,
    factory: &ContainerFactory,
    handle: &tokio::runtime::Handle,
    spec: &ContainerSpec,
    session_id: &str,
) -> Result<MemoryFootprint, CalibrationError> {
    let probe = CalibrationProbe::new(ProbeKind::MemoryTouch, Variant::Default, None);
    let host_report = host.measure(&probe)?;
    let host_rss = host_report
        .extra
        .get("max_rss_kib")
        .copied()
        .ok_or_else(|| CalibrationError::Missing("the memory probe reported no peak RSS".into()))?;
    let cmd = vec![
        factory.exe.display().to_string(),
        "probe".into(),
        "memory-touch".into(),
    ];
    let (out, _) = handle
        .block_on(factory.one_shot(spec, cmd))
        .map_err(|e| CalibrationError::container("the memory probe's container", e))?;
    let report =
        ProbeReport::from_stdout(&out.stdout).ok_or_else(|| CalibrationError::ProbeFailed {
            probe: "memory-touch".into(),
            side: "in a fresh container",
            reason: out.stderr.trim().to_string(),
        })?;
    let peak = report
        .extra
        .get("cgroup_peak_bytes")
        .copied()
        .ok_or_else(|| {
            CalibrationError::Missing("the container reported no cgroup memory peak".into())
        })?;
    Ok(MemoryFootprint {
        host_peak_rss_mb: host_rss / 1024.0,
        container_cgroup_peak_mb: peak / MIB,
        shim_rss_mb: shim_rss_mb(session_id),
    })
}

/// Rounds of: spawn the trivial probe on the host, and create → start → first output →
/// remove a container running it.
pub fn start_latency(
    host: &mut HostSide,
    factory: &ContainerFactory,
    handle: &tokio::runtime::Handle,
    spec: &ContainerSpec,
    seed: u64,
) -> Result<StartLatency, CalibrationError> {
    const ROUNDS: usize = 8;
    let probe = CalibrationProbe::new(ProbeKind::Cpu, Variant::Default, Some(1));
    let (mut host_ms, mut first_ms, mut removed_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = std::time::Instant::now();
        host.measure(&probe)?;
        host_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let cmd = vec![
            factory.exe.display().to_string(),
            "probe".into(),
            "cpu".into(),
            "--work".into(),
            "1".into(),
        ];
        let (out, times) = handle
            .block_on(factory.one_shot(spec, cmd))
            .map_err(|e| CalibrationError::container("a start-latency container", e))?;
        if out.exit_code != Some(0) {
            return Err(CalibrationError::ProbeFailed {
                probe: "start latency".into(),
                side: "in a fresh container",
                reason: out.stderr.trim().to_string(),
            });
        }
        first_ms.push(ms(times.create_to_first_output));
        removed_ms.push(ms(times.create_to_removed));
    }
    let added: Vec<f64> = first_ms.iter().zip(&host_ms).map(|(c, h)| c - h).collect();
    // The expanded interval: a plain percentile interval of 8 values covers about 88 %.
    let ci = expanded_mean_ci(&added, CONFIDENCE, DEFAULT_RESAMPLES, seed)?;
    let med = |v: &[f64]| median(v).unwrap_or(0.0);
    Ok(StartLatency {
        rounds: ROUNDS,
        host_spawn_ms: med(&host_ms),
        create_to_first_output_ms: med(&first_ms),
        create_to_removed_ms: med(&removed_ms),
        added_ms: ci.estimate,
        added_ci_low_ms: ci.low,
        added_ci_high_ms: ci.high,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
