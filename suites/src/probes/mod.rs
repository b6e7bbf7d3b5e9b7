//! Built-in probes: fixed work, run as `calibench probe NAME` in a fresh process of the
//! same binary on either side, each printing one JSON line (`ProbeReport`) with its own
//! figure. Because the host and the container run the very same code, any difference
//! between the two is the container's.

pub mod cgroup;
mod cpu;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Dimension;

/// The probes a suite may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// Integer and floating-point kernel on one thread.
    Cpu,
    /// The same kernel on every CPU the process may use.
    CpuThreads,
}

impl ProbeKind {
    pub const ALL: [ProbeKind; 2] = [ProbeKind::Cpu, ProbeKind::CpuThreads];

    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Cpu => "cpu",
            ProbeKind::CpuThreads => "cpu-threads",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|p| p.as_str()).collect()
    }

    /// The overhead dimension that adjusts this probe.
    pub fn dimension(self) -> Dimension {
        match self {
            ProbeKind::Cpu | ProbeKind::CpuThreads => Dimension::Cpu,
        }
    }

    /// Unit of the probe's figure.
    pub fn unit(self) -> &'static str {
        match self {
            ProbeKind::Cpu | ProbeKind::CpuThreads => "s",
        }
    }

    /// Work done when a suite does not say.
    pub fn default_work(self) -> u64 {
        match self {
            ProbeKind::Cpu | ProbeKind::CpuThreads => cpu::DEFAULT_WORK,
        }
    }

    /// Runs the probe in this process and reports its figure.
    pub fn run(self, work: Option<u64>) -> Result<ProbeReport, String> {
        let work = work.unwrap_or_else(|| self.default_work());
        let (value, extra) = match self {
            ProbeKind::Cpu => (cpu::single(work), BTreeMap::new()),
            ProbeKind::CpuThreads => cpu::threads(work),
        };
        if !value.is_finite() || value < 0.0 {
            return Err(format!(
                "probe {} measured a non-finite value",
                self.as_str()
            ));
        }
        Ok(ProbeReport {
            probe: self.as_str().to_string(),
            value,
            unit: self.unit().to_string(),
            work,
            extra,
        })
    }
}

/// The one JSON line a probe prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub probe: String,
    /// The probe's own figure, in `unit`.
    pub value: f64,
    pub unit: String,
    pub work: u64,
    /// Secondary figures (threads used, percentiles...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, f64>,
}

impl ProbeReport {
    /// Finds the report in a probe's standard output (its last JSON line).
    pub fn from_stdout(stdout: &str) -> Option<Self> {
        stdout
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str(line.trim()).ok())
    }
}
