//! Calibration profiles: what the container costs on one host, engine and container
//! configuration. Printed by `calibench calibrate --json`, stored, and used to adjust
//! container results of later runs with the same key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use calibench_calibrator::{Dimension, StopReason, Verdict};

use crate::model::EngineFacts;

/// Overhead measured by one probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOverhead {
    pub dimension: Dimension,
    /// Probe and variant, e.g. `io-fsync@bind` or `syscall@unconfined`.
    pub probe: String,
    /// Median of the host figures and of the container figures (seconds).
    pub host_median: f64,
    pub container_median: f64,
    pub overhead_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
    pub rounds: usize,
    /// `overhead`, `faster in container`, `indistinguishable`, `inconclusive` or
    /// `too few rounds`.
    pub verdict: Verdict,
    /// What ended the rounds: `target`, `time` or `round cap`.
    pub stopped_by: StopReason,
    pub seconds: f64,
    /// CFS periods in which the container was throttled during the rounds.
    pub throttled_periods: Option<u64>,
    /// Median of the container figures before each run's own throttled time was
    /// removed (single-threaded CPU probes under a CPU quota), seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_container_median: Option<f64>,
    /// Pairs needed for a 1 % effect at the noise observed (80 % power).
    pub pairs_for_1pct: Option<usize>,
}

/// The overhead that adjusts one dimension (from its representative probe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionOverhead {
    pub dimension: Dimension,
    pub probe: String,
    pub overhead_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
    pub verdict: Verdict,
    pub rounds: usize,
}

/// Memory the container costs beyond the workload itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryFootprint {
    /// Peak RSS of the probe on the host (MiB).
    pub host_peak_rss_mb: f64,
    /// Peak of the container's memory cgroup running the same probe (MiB).
    pub container_cgroup_peak_mb: f64,
    /// RSS of the container's runtime shim (MiB), when found.
    pub shim_rss_mb: Option<f64>,
}

/// Container create → first output → removed, against spawning the same command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartLatency {
    pub rounds: usize,
    pub host_spawn_ms: f64,
    pub create_to_first_output_ms: f64,
    pub create_to_removed_ms: f64,
    /// Mean of (container create→first output − host spawn→exit) and its 95 % CI.
    pub added_ms: f64,
    pub added_ci_low_ms: f64,
    pub added_ci_high_ms: f64,
}

/// One calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationProfile {
    pub schema_version: u32,
    pub profile_id: String,
    /// Host fingerprint + engine facts + container configuration, hashed.
    pub profile_key: String,
    pub created_at: DateTime<Utc>,
    /// Host against host: the method's own false-positive check, never used to adjust.
    pub aa: bool,
    pub host_fingerprint: String,
    pub engine: Option<EngineFacts>,
    /// The container configuration as calibrated (limits asked for, image, network).
    pub container: serde_json::Value,
    pub target_ci_pct: f64,
    pub max_time_s: f64,
    pub elapsed_s: f64,
    pub dimensions: Vec<DimensionOverhead>,
    pub probes: Vec<ProbeOverhead>,
    /// Container cgroup peak − host peak RSS + shim RSS, MiB.
    pub memory_overhead_mb: Option<f64>,
    pub memory: Option<MemoryFootprint>,
    pub start_latency: Option<StartLatency>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl CalibrationProfile {
    /// The overhead of a dimension, as a fraction with its interval.
    pub fn dimension(&self, dimension: Dimension) -> Option<&DimensionOverhead> {
        self.dimensions.iter().find(|d| d.dimension == dimension)
    }
}
