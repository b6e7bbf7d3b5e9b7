//! The wire model: what `--json` prints, what the spool holds, what stores persist.
//! Versioned by `SCHEMA_VERSION`; documented field by field in `docs/json.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use calibench_calibrator::Dimension;

use crate::ids::RunId;

/// The current time at the precision every store keeps (microseconds), so that a run
/// read back from a store equals the run that was written.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// Version of the JSON documents calibench prints and spools.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a result was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Host,
    Docker,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Host => "host",
            Runtime::Docker => "docker",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "host" => Some(Runtime::Host),
            "docker" => Some(Runtime::Docker),
            _ => None,
        }
    }
}

/// Facts about the machine, the same on both runtimes of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostEnvironment {
    /// Stable hash of the facts below that decide comparability (not the hostname).
    pub fingerprint: String,
    pub hostname: String,
    pub cpu_model: String,
    pub logical_cores: u32,
    pub physical_cores: Option<u32>,
    pub memory_bytes: u64,
    pub kernel: String,
    pub os: String,
    pub cpu_governor: Option<String>,
    pub smt: Option<bool>,
    pub arch: String,
}

/// The Docker engine, as `info()` and `version()` describe it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineFacts {
    pub engine_version: String,
    pub api_version: String,
    pub cgroup_version: String,
    pub cgroup_driver: String,
    pub storage_driver: String,
    pub security_options: Vec<String>,
    pub kernel: String,
    pub default_runtime: String,
    pub cpu_cfs_quota: bool,
    pub cpu_cfs_period: bool,
    pub cpu_set: bool,
    pub memory_limit: bool,
    pub swap_limit: bool,
    pub pids_limit: bool,
}

/// Source tree state when the run was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    pub sha: String,
    pub dirty: bool,
}

/// Everything recorded about where a run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub host: HostEnvironment,
    pub harness_version: String,
    pub git: Option<GitState>,
    pub engine: Option<EngineFacts>,
}

/// Container resources as the engine applied them (read back with inspect).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppliedLimits {
    pub nano_cpus: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub memory_bytes: Option<i64>,
    pub memory_swap_bytes: Option<i64>,
    pub pids_limit: Option<i64>,
    pub nofile: Option<i64>,
    pub network_mode: Option<String>,
    pub readonly_rootfs: bool,
    pub privileged: bool,
    pub security_opt: Vec<String>,
}

/// What the container's cgroup counted while one benchmark ran in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupUsage {
    pub cpu_usage_ns: Option<u64>,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_ns: Option<u64>,
    pub memory_peak_bytes: Option<u64>,
    /// Times memory use hit the container's limit (reclaim forced by the limit).
    #[serde(default)]
    pub memory_limit_hits: Option<u64>,
    /// Major page faults.
    #[serde(default)]
    pub major_faults: Option<u64>,
    /// Microseconds some task stalled on memory (PSI; cgroup v2 only).
    #[serde(default)]
    pub memory_stall_us: Option<u64>,
}

impl CgroupUsage {
    /// Seconds the CPU quota held the work back (0 where not counted).
    pub fn throttled_s(&self) -> f64 {
        self.throttled_ns.unwrap_or(0) as f64 / 1e9
    }

    /// Whether the memory limit made the work reclaim (usage hit the limit) or stall on
    /// memory. Major faults alone are not evidence: a cold page cache faults without any
    /// limit; they are recorded for the reader.
    pub fn memory_pressed(&self) -> bool {
        self.memory_limit_hits.unwrap_or(0) > 0 || self.memory_stall_us.unwrap_or(0) > 0
    }
}

/// How one result was executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionEnvironment {
    pub runtime: Runtime,
    /// CPUs both sides were pinned to, if any.
    pub pinned_cpus: Option<String>,
    pub container_id: Option<String>,
    pub image: Option<String>,
    pub image_id: Option<String>,
    pub engine_version: Option<String>,
    pub limits: Option<AppliedLimits>,
    pub cgroup: Option<CgroupUsage>,
    /// Overhead of this result's dimension used for adjustment, percent.
    pub overhead_pct: Option<f64>,
    /// That overhead's 95 % interval, percent: its uncertainty is carried into
    /// comparisons made on adjusted values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead_ci_low_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead_ci_high_pct: Option<f64>,
    /// Docker results of an interleaved run: container against host over paired rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_with_host: Option<PairedRatio>,
    /// Adjusted docker results of an interleaved run: the adjusted value against the
    /// host over the same paired rounds, so whether the profile holds for this work is
    /// read where drift between rounds cancels (`crate::PairedRatio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_vs_host: Option<PairedRatio>,
    /// Why no adjusted value is given although a profile matched (e.g. the work
    /// reclaimed memory under the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_adjustable: Option<String>,
    /// Service benchmarks: the network path, load, failures and latency percentiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<crate::service::ServiceReport>,
    /// Service results adjusted by their network path's cost: the time subtracted from
    /// each request, µs (`overhead_pct` then holds the ratio it amounts to for this
    /// result, so comparisons carry its uncertainty the same way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_added_us: Option<f64>,
    /// Adjusted results of work the CPU quota throttled: the median of the time removed
    /// from each run (its throttled time) before the overhead was applied, seconds. The
    /// quota's effect on the work itself stays in unless `quota_effect` was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled_removed_s: Option<f64>,
    /// Command benchmarks run under a CPU quota: the quota's effect on the work itself,
    /// measured by pairing every block of runs with the same block in a twin container
    /// without the quota (same image, cpuset and memory limit), in ABBA order. The change
    /// is the limited runs' time less their throttled time against the twin's, over the
    /// paired blocks (`rounds`), with its 95 % interval. An adjusted value removes it
    /// after the throttled time and before the overhead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_effect: Option<PairedRatio>,
    /// IO results adjusted by their work's mixture of IO and CPU work: the share of the
    /// container runs' time off CPU (median over the runs, 0…1). `overhead_pct` weights
    /// the io ratio by it and the cpu ratio by the rest; its interval spans both
    /// dimensions' intervals, within which the ratio lies whatever the share
    /// (`calibench_calibrator::mixture`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_share: Option<f64>,
}

/// Container against host over paired, interleaved rounds (ABBA): the geometric mean of
/// the per-round ratios of block medians, minus one, with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedRatio {
    pub rounds: usize,
    pub change_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
}

impl ExecutionEnvironment {
    /// A run on the host, nothing measured about it yet.
    pub fn host(pinned_cpus: Option<String>) -> Self {
        Self::bare(Runtime::Host, pinned_cpus)
    }

    /// A run on `runtime` with only its pinning known: every other field empty, for the
    /// executor to fill in.
    pub fn bare(runtime: Runtime, pinned_cpus: Option<String>) -> Self {
        Self {
            runtime,
            pinned_cpus,
            container_id: None,
            image: None,
            image_id: None,
            engine_version: None,
            limits: None,
            cgroup: None,
            overhead_pct: None,
            overhead_ci_low_pct: None,
            overhead_ci_high_pct: None,
            paired_with_host: None,
            adjusted_vs_host: None,
            not_adjustable: None,
            service: None,
            network_added_us: None,
            throttled_removed_s: None,
            quota_effect: None,
            io_share: None,
        }
    }
}

/// Measured or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ok" => Some(Status::Ok),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// Per-run resource use of the measured process (from wait4's rusage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// User CPU seconds per measured run.
    pub user_s: Vec<f64>,
    /// System CPU seconds per measured run.
    pub system_s: Vec<f64>,
    /// Largest peak RSS over the measured runs, KiB.
    pub max_rss_kib: Option<u64>,
    /// What the container's cgroup did during each measured run (docker results).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cgroup: Vec<CgroupUsage>,
    /// Wall seconds of each measured run, beside `cgroup` (docker results).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wall_s: Vec<f64>,
    /// The round (from 0) each measured run belongs to, in a run on both sides: the
    /// runs of one round on each side are a pair of blocks in the ABBA schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub round: Vec<u32>,
}

/// One benchmark on one runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkResult {
    pub name: String,
    pub runtime: Runtime,
    pub dimension: Dimension,
    pub unit: String,
    pub status: Status,
    /// Why it failed, with the tail of its stderr.
    pub failure: Option<String>,
    pub measured_at: DateTime<Utc>,
    pub n: usize,
    pub median: Option<f64>,
    pub mean: Option<f64>,
    pub stddev: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    pub mad: Option<f64>,
    /// Bootstrap 95 % CI of the median (needs n ≥ 2).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Container result with the measured overhead removed (docker only, with a profile).
    pub adjusted_median: Option<f64>,
    pub adjusted_ci_low: Option<f64>,
    pub adjusted_ci_high: Option<f64>,
    /// Every measured sample, in order (warm-up runs excluded).
    pub samples: Vec<f64>,
    pub usage: ProcessUsage,
    pub execution_environment: ExecutionEnvironment,
}

/// One `calibench run`: the document printed by `--json`, spooled and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub run_id: RunId,
    pub tag: Option<String>,
    pub suite: String,
    pub context: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub environment: Environment,
    pub calibration_profile_id: Option<String>,
    pub benchmarks: Vec<BenchmarkResult>,
    /// One-line notices shown to the user (engine absent, no calibration profile...).
    #[serde(default)]
    pub notices: Vec<String>,
    /// Free-form labels for tools; never interpreted by calibench.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl RunReport {
    /// Whether any benchmark failed.
    pub fn has_failures(&self) -> bool {
        self.benchmarks.iter().any(|b| b.status == Status::Failed)
    }

    /// Every numeric field is finite: the invariant stores rely on.
    pub fn check_finite(&self) -> Result<(), String> {
        for b in &self.benchmarks {
            let fields = [
                b.median,
                b.mean,
                b.stddev,
                b.min,
                b.max,
                b.q1,
                b.q3,
                b.mad,
                b.ci_low,
                b.ci_high,
                b.adjusted_median,
                b.adjusted_ci_low,
                b.adjusted_ci_high,
            ];
            let service = b
                .execution_environment
                .service
                .as_ref()
                .map_or(vec![], |s| {
                    let l = &s.latency;
                    let t = &s.service_time;
                    vec![
                        s.target_rate,
                        s.measured_s,
                        s.throughput,
                        l.p50,
                        l.p90,
                        l.p99,
                        l.p999,
                        l.max,
                        l.mean,
                        t.p50,
                        t.p99,
                        t.max,
                        t.mean,
                    ]
                });
            let bad_field = fields
                .iter()
                .flatten()
                .chain(&service)
                .any(|v| !v.is_finite());
            let bad_sample = b.samples.iter().any(|v| !v.is_finite());
            if bad_field || bad_sample {
                return Err(format!(
                    "benchmark `{}` ({}) holds a non-finite number",
                    b.name,
                    b.runtime.as_str()
                ));
            }
        }
        Ok(())
    }
}
