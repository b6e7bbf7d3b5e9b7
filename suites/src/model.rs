//! Validated suite: what the harness executes. Built only by `validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use calibench_calibrator::Dimension;

use crate::cpuset::CpuSet;
use crate::probes::ProbeKind;
use crate::service::ServiceSpec;

/// Container network mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Host,
    Bridge,
}

impl Network {
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Host => "host",
            Network::Bridge => "bridge",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "host" => Some(Network::Host),
            "bridge" => Some(Network::Bridge),
            _ => None,
        }
    }
}

/// How long and how often one benchmark is run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Runs discarded before measuring.
    pub warmup: u32,
    /// At least this many measured runs.
    pub min_runs: u32,
    /// At most this many measured runs.
    pub max_runs: u32,
    /// Keep measuring until this much time is spent (after `min_runs`).
    #[serde(with = "secs")]
    pub time_budget: Duration,
    /// Per run; the process group is killed past it.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Stop once the median's 95 % CI half-width is at most this fraction of the median
    /// (after `min_runs`; `time_budget` and `max_runs` still cap the runs).
    #[serde(default)]
    pub target_ci: Option<f64>,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            warmup: 1,
            min_runs: 10,
            max_runs: 1_000,
            time_budget: Duration::from_secs(3),
            timeout: Duration::from_secs(60),
            target_ci: None,
        }
    }
}

/// The `[container]` table: resources asked for. Command-line flags override it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerSettings {
    pub image: Option<String>,
    pub cpuset: Option<CpuSet>,
    pub cpus: Option<f64>,
    pub memory_bytes: Option<u64>,
    /// Memory plus swap (compose `memswap_limit`); unset means no swap.
    #[serde(default)]
    pub memory_swap_bytes: Option<u64>,
    pub network: Option<Network>,
    pub pids_limit: Option<i64>,
    pub nofile: Option<u64>,
    pub privileged: bool,
}

/// What one benchmark runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BenchmarkKind {
    /// An external program, argv form, no shell.
    Command { argv: Vec<String> },
    /// A built-in probe of the calibench binary; `work` scales its fixed work.
    Probe { probe: ProbeKind, work: Option<u64> },
    /// A server driven with requests at a constant rate; one run is one load window.
    Service(Box<ServiceSpec>),
    /// A criterion bench (a built bench binary or `cargo bench ...`), run once per side
    /// with `CRITERION_HOME` pointed at a fresh directory; each criterion benchmark it
    /// writes becomes a result of its own, its per-iteration times the samples.
    Criterion { argv: Vec<String> },
}

/// One validated `[[benchmark]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benchmark {
    pub name: String,
    pub kind: BenchmarkKind,
    pub dimension: Dimension,
    pub env: BTreeMap<String, String>,
    pub workdir: Option<PathBuf>,
    pub settings: RunSettings,
}

impl Benchmark {
    /// The unit of this benchmark's samples.
    pub fn unit(&self) -> &'static str {
        match &self.kind {
            BenchmarkKind::Command { .. } => "s",
            BenchmarkKind::Probe { probe, .. } => probe.unit(),
            BenchmarkKind::Service(_) | BenchmarkKind::Criterion { .. } => "s",
        }
    }
}

/// `[build]`: the command that builds a worktree (argv, no shell), run in its root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildStep {
    pub command: Vec<String>,
    pub env: BTreeMap<String, String>,
}

/// A validated suite file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub name: String,
    pub path: PathBuf,
    pub settings: RunSettings,
    pub container: ContainerSettings,
    /// How `calibench ab` builds each ref (none: measure the checkout as it is).
    #[serde(default)]
    pub build: Option<BuildStep>,
    pub benchmarks: Vec<Benchmark>,
}

pub(crate) mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
