//! The two sides of a calibration: the host (a fresh process per round) and a
//! long-lived container entered with exec (a fresh process per round inside it).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use calibench_suites::{Benchmark, BenchmarkKind, ProbeReport, RunSettings};

use super::error::CalibrationError;
use super::probes::{CalibrationProbe, Variant};
use super::rounds::Side;
use crate::docker::launch::ContainerFactory;
use crate::executor::Block;
use crate::launch::{HostLauncher, Launcher};

/// Timeout of one probe run.
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);

/// Probes on this machine.
pub struct HostSide {
    pub launcher: HostLauncher,
}

impl Side for HostSide {
    fn measure(&mut self, probe: &CalibrationProbe) -> Result<ProbeReport, CalibrationError> {
        // The launcher makes the probe's directory, as inside the container.
        let bench = probe_benchmark(probe, probe.host_dir(&self.launcher.base_dir));
        let outcome = self.launcher.launch(&bench)?;
        if !outcome.succeeded() {
            return Err(CalibrationError::ProbeFailed {
                probe: probe.label.clone(),
                side: "on the host",
                reason: outcome.failure_reason(PROBE_TIMEOUT),
            });
        }
        let mut report = ProbeReport::from_stdout(&outcome.stdout).ok_or_else(|| {
            CalibrationError::NoReport {
                probe: probe.label.clone(),
                side: "on the host",
            }
        })?;
        if probe.measured_as_process() {
            report.extra.insert("kernel_s".into(), report.value);
            report.value = outcome.wall_s;
        }
        Ok(report)
    }
}

/// The probe as a benchmark: the launcher runs it as a fresh process in `dir`.
fn probe_benchmark(probe: &CalibrationProbe, dir: PathBuf) -> Benchmark {
    Benchmark {
        name: probe.label.clone(),
        kind: BenchmarkKind::Probe {
            probe: probe.kind,
            work: probe.work,
        },
        dimension: probe.dimension(),
        env: Default::default(),
        // IO probes write in their working directory; the CPU probe needs none and runs
        // in the work directory both sides share.
        workdir: (!probe.measured_as_process()).then_some(dir),
        settings: RunSettings {
            timeout: PROBE_TIMEOUT,
            ..RunSettings::default()
        },
    }
}

/// The containerisation overhead is measured apart from the limits: a single-threaded
/// CPU probe's own throttled time (read from the cgroup around its loop) is removed from
/// its figure, so a CPU quota does not enter the profile's ratio. The raw figure is kept
/// as `raw_value`.
pub fn without_throttling(probe: &CalibrationProbe, mut report: ProbeReport) -> ProbeReport {
    let throttled_s = report.extra.get("throttled_ns").copied().unwrap_or(0.0) / 1e9;
    if probe.kind.single_threaded_time() && throttled_s > 0.0 && throttled_s < report.value {
        report.extra.insert("raw_value".into(), report.value);
        report.value -= throttled_s;
    }
    report
}

/// Probes inside session containers, one per variant that needs its own container.
pub struct ContainerSide {
    pub factory: ContainerFactory,
    pub handle: tokio::runtime::Handle,
    /// Session container per variant (Default also serves WritableLayer and Tmpfs).
    pub sessions: HashMap<&'static str, String>,
    pub base_dir: PathBuf,
}

/// The session without the CPU quota that CPU probes use when the configuration has one.
pub const QUOTA_FREE: &str = "quota-free";

pub fn session_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Unconfined => "unconfined",
        _ => "default",
    }
}

impl ContainerSide {
    /// One probe run inside the container, launched by the same launcher as the host
    /// side and as `run` (`calibench inner`), so both sides' probe processes start and
    /// are reaped the same way. (Entering the container with the probe itself as the
    /// exec'd process read `io-fsync@bind` 4–12 % faster than the host-launched probe in
    /// calibrations under `--cpus 1.5` and `--memory 256m`; launched alike, they agree.) A probe measured as a
    /// process takes the run's wall time and the cgroup's throttled time around the
    /// whole process; any other takes its own figure and its own in-loop readings.
    fn launched_inside(
        &mut self,
        id: &str,
        probe: &CalibrationProbe,
        dir: PathBuf,
    ) -> Result<ProbeReport, CalibrationError> {
        let bench = probe_benchmark(probe, dir);
        let json = serde_json::to_string(&bench)
            .map_err(|e| CalibrationError::Missing(format!("probe as JSON: {e}")))?;
        let cmd = vec![
            self.factory.exe.display().to_string(),
            "inner".into(),
            "--count".into(),
            "1".into(),
            "--benchmark".into(),
            json,
        ];
        let out = self
            .handle
            .block_on(self.factory.exec(id, cmd))
            .map_err(|e| {
                CalibrationError::container(format!("{} in the container", probe.label), e)
            })?;
        let block: Block = out
            .stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l.trim()).ok())
            .ok_or_else(|| CalibrationError::NoReport {
                probe: probe.label.clone(),
                side: "in the container",
            })?;
        let Some(sample) = block.samples.into_iter().next() else {
            return Err(CalibrationError::ProbeFailed {
                probe: probe.label.clone(),
                side: "in the container",
                reason: block
                    .failure
                    .unwrap_or_else(|| out.stderr.trim().to_string()),
            });
        };
        let (value, extra) = if probe.measured_as_process() {
            let mut extra =
                std::collections::BTreeMap::from([("kernel_s".to_string(), sample.value)]);
            let cgroup = sample.cgroup.as_ref();
            if let Some(t) = cgroup.and_then(|c| c.throttled_ns) {
                extra.insert("throttled_ns".into(), t as f64);
            }
            if let Some(p) = cgroup.and_then(|c| c.nr_throttled) {
                extra.insert("throttled_periods".into(), p as f64);
            }
            (sample.wall_s, extra)
        } else {
            (sample.value, sample.probe_extra)
        };
        let report = ProbeReport {
            probe: probe.kind.as_str().to_string(),
            value,
            unit: "s".into(),
            work: probe.work.unwrap_or_else(|| probe.kind.default_work()),
            extra,
        };
        Ok(without_throttling(probe, report))
    }
}

impl Side for ContainerSide {
    fn measure(&mut self, probe: &CalibrationProbe) -> Result<ProbeReport, CalibrationError> {
        let session = match self.sessions.contains_key(QUOTA_FREE) {
            true if probe.dimension() == calibench_suites::Dimension::Cpu => QUOTA_FREE,
            _ => session_name(probe.variant),
        };
        let id = self
            .sessions
            .get(session)
            .ok_or_else(|| CalibrationError::Missing(format!("no container for {}", probe.label)))?
            .clone();
        let dir = probe.container_dir(&self.base_dir);
        self.launched_inside(&id, probe, dir)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use calibench_suites::ProbeKind;

    use super::*;

    fn report(value: f64, throttled_ns: f64) -> ProbeReport {
        ProbeReport {
            probe: "cpu".into(),
            value,
            unit: "s".into(),
            work: 1,
            extra: BTreeMap::from([("throttled_ns".to_string(), throttled_ns)]),
        }
    }

    #[test]
    fn a_cpu_probe_loses_its_throttled_time_and_keeps_the_raw_figure() {
        let cpu = CalibrationProbe::new(ProbeKind::Cpu, Variant::Default, None);
        let r = without_throttling(&cpu, report(0.3, 0.15e9));
        assert!((r.value - 0.15).abs() < 1e-12);
        assert_eq!(r.extra.get("raw_value"), Some(&0.3));
        let threads = CalibrationProbe::new(ProbeKind::CpuThreads, Variant::Default, None);
        assert!((without_throttling(&threads, report(0.3, 0.15e9)).value - 0.3).abs() < 1e-12);
    }
}
