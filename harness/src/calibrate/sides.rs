//! The two sides of a calibration: the host (a fresh process per round) and a
//! long-lived container entered with exec (a fresh process per round inside it).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use calibench_suites::{Benchmark, BenchmarkKind, ProbeReport, RunSettings};

use super::probes::{CalibrationProbe, Variant};
use super::rounds::Side;
use crate::docker::launch::ContainerFactory;
use crate::launch::{HostLauncher, Launcher};

/// Timeout of one probe run.
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);

/// Probes on this machine.
pub struct HostSide {
    pub launcher: HostLauncher,
}

impl Side for HostSide {
    fn measure(&mut self, probe: &CalibrationProbe) -> Result<ProbeReport, String> {
        let dir = probe.host_dir(&self.launcher.base_dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let bench = Benchmark {
            name: probe.label.clone(),
            kind: BenchmarkKind::Probe {
                probe: probe.kind,
                work: probe.work,
            },
            dimension: probe.dimension(),
            env: Default::default(),
            // IO probes write in their working directory.
            workdir: Some(dir),
            settings: RunSettings {
                timeout: PROBE_TIMEOUT,
                ..RunSettings::default()
            },
        };
        let outcome = self.launcher.launch(&bench).map_err(|e| e.to_string())?;
        if !outcome.succeeded() {
            return Err(format!(
                "{} on the host {}",
                probe.label,
                outcome.failure_reason(PROBE_TIMEOUT)
            ));
        }
        ProbeReport::from_stdout(&outcome.stdout)
            .ok_or_else(|| format!("{} printed no report", probe.label))
    }
}

/// Probes inside session containers, one per variant that needs its own container.
pub struct ContainerSide {
    pub factory: ContainerFactory,
    pub handle: tokio::runtime::Handle,
    /// Session container per variant (Default also serves WritableLayer and Tmpfs).
    pub sessions: HashMap<&'static str, String>,
    pub base_dir: PathBuf,
}

pub fn session_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Unconfined => "unconfined",
        _ => "default",
    }
}

impl Side for ContainerSide {
    fn measure(&mut self, probe: &CalibrationProbe) -> Result<ProbeReport, String> {
        let id = self
            .sessions
            .get(session_name(probe.variant))
            .ok_or_else(|| format!("no container for {}", probe.label))?
            .clone();
        let dir = probe.container_dir(&self.base_dir);
        let mut cmd = vec![
            self.factory.exe.display().to_string(),
            "probe".into(),
            probe.kind.as_str().into(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        if let Some(w) = probe.work {
            cmd.extend(["--work".to_string(), w.to_string()]);
        }
        let out = self
            .handle
            .block_on(self.factory.exec(&id, cmd))
            .map_err(|e| e.to_string())?;
        if out.exit_code != Some(0) {
            return Err(format!(
                "{} in the container exited with {:?}: {}",
                probe.label,
                out.exit_code,
                out.stderr.trim()
            ));
        }
        ProbeReport::from_stdout(&out.stdout)
            .ok_or_else(|| format!("{} printed no report in the container", probe.label))
    }
}
