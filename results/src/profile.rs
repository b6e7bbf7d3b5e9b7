//! Calibration profiles: what the container costs on one host, engine and container
//! configuration. Printed by `calibench calibrate --json`, stored, and used to adjust
//! container results of later runs with the same key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use calibench_calibrator::{
    pool, Dimension, LogEstimate, OverheadInterval, StopReason, Verdict, CONFIDENCE,
    MIN_BETWEEN_PROBE_SD,
};

use crate::model::EngineFacts;
use crate::service::NetworkPath;

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

/// The overhead that adjusts one dimension: its representative probe's, or for a
/// dimension measured by several probes of one kind of work (cpu: `cpu+cpu-threads`) the
/// interval where another program of that kind is expected to fall, the probes'
/// disagreement included (`calibench_calibrator::predict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionOverhead {
    pub dimension: Dimension,
    pub probe: String,
    pub overhead_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
    pub verdict: Verdict,
    /// Rounds of its probes, summed.
    pub rounds: usize,
    /// Between-probe standard deviation, percent (τ on the log scale × 100), when the
    /// interval is a prediction over several probes; it is then a normal interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between_probe_sd_pct: Option<f64>,
}

/// One dimension's overhead pooled over the newest calibrations of a key (random
/// effects: `calibench_calibrator::pool`), which adjusts results in place of a single
/// calibration's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledOverhead {
    pub dimension: Dimension,
    pub probe: String,
    pub overhead_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
    /// Calibrations pooled (this one and earlier ones of the same key).
    pub calibrations: usize,
    /// Between-calibration standard deviation, percent (τ on the log scale × 100).
    pub between_sd_pct: f64,
    /// The pooled profiles' ids, newest first.
    pub profile_ids: Vec<String>,
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

/// One CPU's figure in a placement check: the median of the runs pinned to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuFigure {
    pub cpu: usize,
    /// Seconds (a 4 KiB write + `fdatasync`'s median latency for the IO probe).
    pub median: f64,
    pub runs: usize,
}

/// Above this bound on how much slower one CPU's IO is than another's (the upper end of
/// the placement's 95 % interval, percent), IO results of a configuration whose runs may
/// land on several CPUs are declined: an interval widened by more would say less than
/// the remedy, pinning both sides to one CPU.
pub const IO_SPREAD_LIMIT_PCT: f64 = 5.0;

/// Whether the IO probe's figure depends on the CPU a run lands on, measured on the host
/// pinned to each CPU the container may use (`calibench_calibrator::placement`).
///
/// Each run of a command that may run on several CPUs takes its time from one of them,
/// so each side's median lies between the CPUs' medians (the median of a mixture lies
/// between its components' medians), and the container/host ratio of two such mixtures
/// lies within a factor (1 + d) either way of the ratio measured on one CPU, d being how
/// much slower the slowest CPU is. The IO ratio's interval is therefore widened by the
/// upper end of d's interval ([`Self::widening_pct`]); beyond [`IO_SPREAD_LIMIT_PCT`] the
/// configuration's IO results are not adjusted ([`Self::not_adjustable`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IoPlacement {
    pub probe: String,
    pub cpus: Vec<CpuFigure>,
    /// The slowest CPU's median over the fastest's, minus one, with its 95 % interval.
    pub spread_pct: f64,
    pub ci_low_pct: f64,
    pub ci_high_pct: f64,
    /// The interval lies above the ±1 % equivalence band: the CPUs are shown to differ.
    /// Kept as decided when measured (the band may change; a stored profile keeps its
    /// verdict).
    pub depends: bool,
}

impl IoPlacement {
    /// By how much (percent) the IO ratio's interval is widened either way for runs that
    /// may land on any of the CPUs compared; `None` when the spread is too large to adjust.
    pub fn widening_pct(&self) -> Option<f64> {
        (self.ci_high_pct <= IO_SPREAD_LIMIT_PCT).then_some(self.ci_high_pct.max(0.0))
    }

    /// Why a container IO result of this configuration is not adjusted, when it is not.
    pub fn not_adjustable(&self) -> Option<String> {
        if self.widening_pct().is_some() {
            return None;
        }
        let figures: Vec<String> = self
            .cpus
            .iter()
            .map(|c| format!("CPU {} {:.0} µs", c.cpu, c.median * 1e6))
            .collect();
        Some(format!(
            "IO latency on this machine {} on the CPU a run lands on ({}: {}; the slowest {:+.1} %, 95 % CI {:+.1} … {:+.1}, beyond the {IO_SPREAD_LIMIT_PCT} % an interval is widened for), and this container's runs may land on any of them: each run's time depends on where it ran, so no ratio adjusts it; pin both sides with --cpuset to one CPU to adjust IO results",
            if self.depends { "depends" } else { "may depend" },
            self.probe,
            figures.join(", "),
            self.spread_pct,
            self.ci_low_pct,
            self.ci_high_pct
        ))
    }
}

/// What one network path adds to a request, for one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCost {
    /// How long the server takes to answer, ms.
    pub delay_ms: f64,
    /// Median over rounds of the host windows' and the path windows' p50, µs.
    pub host_p50_us: f64,
    pub container_p50_us: f64,
    /// Median of the per-round differences (path − host), µs, with its
    /// distribution-free 95 % interval (order statistics).
    pub added_us: f64,
    pub ci_low_us: f64,
    pub ci_high_us: f64,
}

/// What one network path adds to a request: HTTP servers that answer at once and after
/// 1 ms, each on the host (loopback) and in a container reached over `path`, one load
/// window per server per round in random order; a window's sample is its median latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkCost {
    pub path: NetworkPath,
    pub rounds: usize,
    /// Per server.
    pub servers: Vec<ServerCost>,
    /// Over both servers' rounds: the added µs and its interval, which adjust results.
    pub added_us: f64,
    pub ci_low_us: f64,
    pub ci_high_us: f64,
    /// Per round, the slow server's added µs minus the fast one's, with its interval.
    pub delay_effect_us: f64,
    pub delay_effect_ci_low_us: f64,
    pub delay_effect_ci_high_us: f64,
    /// Whether that interval covers zero: the cost is the same addition whatever the
    /// server does. Service results are adjusted only when it is.
    pub additive: bool,
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
    /// Per dimension, this calibration pooled with the key's earlier ones (absent when
    /// there were none); results are adjusted by these where present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pooled: Vec<PooledOverhead>,
    /// Per network path, the latency it adds to a request (the network dimension);
    /// service results over that path are adjusted by subtracting it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NetworkCost>,
    /// The IO probe pinned to each CPU the container may use (calibrations of the io
    /// dimension in a configuration not pinned to one CPU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_placement: Option<IoPlacement>,
}

impl CalibrationProfile {
    /// The overhead of a dimension, as a fraction with its interval.
    pub fn dimension(&self, dimension: Dimension) -> Option<&DimensionOverhead> {
        self.dimensions.iter().find(|d| d.dimension == dimension)
    }

    /// What `path` adds to a request, when this calibration measured it.
    pub fn network_cost(&self, path: NetworkPath) -> Option<&NetworkCost> {
        self.network.iter().find(|n| n.path == path)
    }

    /// Why container results of `dimension` in this configuration are not adjusted at
    /// all, when the calibration found a reason (IO that depends on the CPU a run lands on).
    pub fn declines(&self, dimension: Dimension) -> Option<String> {
        match dimension {
            Dimension::Io => self.io_placement.as_ref()?.not_adjustable(),
            _ => None,
        }
    }

    /// By how much (percent) the interval of `dimension`'s ratio is widened either way
    /// when results are adjusted: IO runs that may land on CPUs whose IO differs.
    pub fn widening_pct(&self, dimension: Dimension) -> Option<f64> {
        match dimension {
            Dimension::Io => self.io_placement.as_ref()?.widening_pct(),
            _ => None,
        }
    }

    /// The overhead that adjusts a dimension: pooled over calibrations where there were
    /// several, else this calibration's own (never one with too few rounds).
    pub fn adjusting(&self, dimension: Dimension) -> Option<DimensionOverhead> {
        let own = self
            .dimension(dimension)
            .filter(|d| d.verdict != Verdict::TooFewRounds)?;
        Some(
            match self.pooled.iter().find(|p| p.dimension == dimension) {
                Some(p) => DimensionOverhead {
                    dimension,
                    probe: p.probe.clone(),
                    overhead_pct: p.overhead_pct,
                    ci_low_pct: p.ci_low_pct,
                    ci_high_pct: p.ci_high_pct,
                    verdict: calibench_calibrator::verdict(
                        p.ci_low_pct / 100.0,
                        p.ci_high_pct / 100.0,
                    ),
                    rounds: own.rounds,
                    between_probe_sd_pct: own.between_probe_sd_pct,
                },
                None => own.clone(),
            },
        )
    }

    /// The overhead that adjusts a dimension (see [`Self::adjusting`]) on the log scale
    /// with its standard error: both read as normal intervals (z).
    pub fn adjusting_estimate(&self, dimension: Dimension) -> Option<LogEstimate> {
        match self.pooled.iter().find(|p| p.dimension == dimension) {
            Some(p) => LogEstimate::from_interval(
                OverheadInterval::from_pct(p.overhead_pct, p.ci_low_pct, p.ci_high_pct),
                f64::INFINITY,
                CONFIDENCE,
            )
            .ok()
            .filter(|e| e.se > 0.0),
            None => self.log_estimate(dimension),
        }
    }

    /// Each dimension's overhead on the log scale with its standard error, read off its
    /// interval as a normal one: a probe's is a bootstrap of the ratio of medians
    /// ([`LogEstimate::from_probe_interval`]), a prediction over several probes normal.
    pub fn log_estimate(&self, dimension: Dimension) -> Option<LogEstimate> {
        let d = self
            .dimension(dimension)
            .filter(|d| d.verdict != Verdict::TooFewRounds)?;
        let o = OverheadInterval::from_pct(d.overhead_pct, d.ci_low_pct, d.ci_high_pct);
        LogEstimate::from_probe_interval(o, CONFIDENCE).ok()
    }
}

/// Pools `newest` with earlier calibrations of its key (`earlier`, any order): one
/// [`PooledOverhead`] per dimension that at least two calibrations measured with an
/// interval. Profiles of another key or A/A profiles are ignored.
pub fn pool_history(
    newest: &CalibrationProfile,
    earlier: &[CalibrationProfile],
) -> Vec<PooledOverhead> {
    let mut earlier: Vec<&CalibrationProfile> = earlier
        .iter()
        .filter(|p| {
            p.profile_key == newest.profile_key && !p.aa && p.profile_id != newest.profile_id
        })
        .collect();
    earlier.sort_by_key(|p| std::cmp::Reverse(p.created_at));
    earlier.truncate(POOLED_CALIBRATIONS - 1);
    let mut out = Vec::new();
    for d in &newest.dimensions {
        let mut ids = Vec::new();
        let mut estimates = Vec::new();
        let mut probe_variances = Vec::new();
        // A prediction over several probes carries their τ, which more calibrations do
        // not shrink: the calibrations' means are pooled, and the probes' variance,
        // averaged over the calibrations (each one's τ² is a noisy estimate of it), is
        // added back.
        let probe_tau = |p: &CalibrationProfile| {
            p.dimension(d.dimension)
                .and_then(|x| x.between_probe_sd_pct)
                .map(|t| t / 100.0)
        };
        for p in std::iter::once(newest).chain(earlier.iter().copied()) {
            let same_probe = p.dimension(d.dimension).is_some_and(|x| x.probe == d.probe);
            if let (true, Some(mut e)) = (same_probe, p.log_estimate(d.dimension)) {
                if let Some(t) = probe_tau(p) {
                    e.se = (e.se * e.se - t * t).max(1e-12).sqrt();
                    // Profiles stored before the floor carry the probes' τ below it.
                    probe_variances.push(t.max(MIN_BETWEEN_PROBE_SD).powi(2));
                }
                ids.push(p.profile_id.clone());
                estimates.push(e);
            }
        }
        if estimates.len() < 2 {
            continue;
        }
        if let Ok(p) = pool(&estimates, CONFIDENCE) {
            let p = match (probe_tau(newest), probe_variances.len()) {
                (Some(_), k) if k > 0 => {
                    let mean = probe_variances.iter().sum::<f64>() / k as f64;
                    p.with_extra_sd(mean.sqrt(), CONFIDENCE)
                }
                _ => p,
            };
            out.push(PooledOverhead {
                dimension: d.dimension,
                probe: d.probe.clone(),
                overhead_pct: p.estimate * 100.0,
                ci_low_pct: p.low * 100.0,
                ci_high_pct: p.high * 100.0,
                calibrations: p.calibrations,
                between_sd_pct: p.tau * 100.0,
                profile_ids: ids,
            });
        }
    }
    out
}

/// How many calibrations of a key are pooled at most (the newest ones): enough to see
/// the between-calibration variance, few enough that an old engine state ages out.
pub const POOLED_CALIBRATIONS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fixture_profile;

    fn cal(pct: f64, low: f64, high: f64, seconds_ago: i64) -> CalibrationProfile {
        let mut p = fixture_profile(Dimension::Cpu, pct, low, high, Verdict::Overhead);
        p.created_at -= chrono::Duration::seconds(seconds_ago);
        p
    }

    #[test]
    fn history_pools_calibrations_of_the_same_key_and_adjusts_with_them() {
        let newest = cal(0.0, -0.5, 0.5, 0);
        let mut other_key = cal(9.0, 8.5, 9.5, 10);
        other_key.profile_key = "another".into();
        let earlier = vec![cal(3.0, 2.5, 3.5, 20), other_key, newest.clone()];
        let pooled = pool_history(&newest, &earlier);
        assert_eq!(pooled.len(), 1);
        let p = &pooled[0];
        assert_eq!(
            p.calibrations, 2,
            "the other key and the newest's own copy are left out"
        );
        assert!(
            p.between_sd_pct > 1.0,
            "0 % and 3 % apart, each ±0.5: {p:?}"
        );
        assert!(p.ci_low_pct < 0.0 && p.ci_high_pct > 3.0, "{p:?}");
        let mut adjusted = newest.clone();
        adjusted.pooled = pooled;
        let d = adjusted.adjusting(Dimension::Cpu).expect("a value");
        assert!((d.overhead_pct - 1.5).abs() < 0.1, "{d:?}");
        assert!(
            newest
                .adjusting(Dimension::Cpu)
                .expect("a value")
                .overhead_pct
                .abs()
                < 1e-12
        );
    }

    #[test]
    fn the_probes_spread_stays_in_a_pooled_prediction() {
        // Two identical predictions: their means (±0.5 % each, read off after the
        // probes' τ of 2 % is taken out) pool to a narrower mean, but the 2 % between
        // probes is added back, so the pooled interval is never narrower than z·τ.
        let pred = |seconds_ago| {
            let half = 1.959964 * (0.005f64.powi(2) + 0.02f64.powi(2)).sqrt();
            let mut p = cal(
                0.0,
                (-half).exp_m1() * 100.0,
                half.exp_m1() * 100.0,
                seconds_ago,
            );
            p.dimensions[0].between_probe_sd_pct = Some(2.0);
            p
        };
        let newest = pred(0);
        let pooled = pool_history(&newest, &[pred(10)]);
        let p = &pooled[0];
        let expected = 1.959964 * (0.005f64.powi(2) / 2.0 + 0.02f64.powi(2)).sqrt();
        assert!(
            (p.ci_high_pct / 100.0 - expected.exp_m1()).abs() < 1e-4,
            "{p:?} against ±{expected}"
        );
        assert!(p.ci_high_pct > 3.9, "{p:?}");
        // One calibration whose probes disagreed (τ 2 %) and one stored before the floor
        // whose agreed (τ 0, read as the floor's 0.5 %): the probes' variance is their
        // average, (0.0004 + 0.000025)/2, not the newest's alone.
        let mut calm = pred(10);
        let half: f64 = 1.959964 * 0.005;
        calm.dimensions[0].ci_low_pct = (-half).exp_m1() * 100.0;
        calm.dimensions[0].ci_high_pct = half.exp_m1() * 100.0;
        calm.dimensions[0].between_probe_sd_pct = Some(0.0);
        let p = &pool_history(&newest, &[calm])[0];
        let expected = 1.959964 * (0.005f64.powi(2) / 2.0 + 0.000425 / 2.0).sqrt();
        assert!(
            (p.ci_high_pct / 100.0 - expected.exp_m1()).abs() < 1e-4,
            "{p:?} against ±{expected}"
        );
    }

    #[test]
    fn one_calibration_alone_is_not_pooled_and_too_few_rounds_never_adjusts() {
        let newest = cal(1.0, 0.5, 1.5, 0);
        assert!(pool_history(&newest, &[]).is_empty());
        let short = fixture_profile(Dimension::Cpu, 1.0, 0.0, 2.0, Verdict::TooFewRounds);
        assert!(short.adjusting(Dimension::Cpu).is_none());
        assert!(pool_history(&newest, &[short]).is_empty());
    }
}
