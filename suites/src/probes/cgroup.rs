//! What the cgroup this process runs in enforces and has used, read from cgroupfs
//! (v1 controllers or the v2 unified hierarchy). Used inside containers to confirm the
//! limits asked for and to record usage per benchmark.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Limits and usage of the current cgroup. `None` where the file is absent or unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupFacts {
    /// 1 or 2.
    pub version: u8,
    pub cpu_quota_us: Option<i64>,
    pub cpu_period_us: Option<i64>,
    pub cpuset: Option<String>,
    pub memory_limit_bytes: Option<u64>,
    pub memory_swap_limit_bytes: Option<u64>,
    pub pids_limit: Option<u64>,
    pub cpu_usage_ns: Option<u64>,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_ns: Option<u64>,
    pub memory_peak_bytes: Option<u64>,
    /// Processes the OOM killer has killed in this cgroup.
    pub oom_kills: Option<u64>,
    /// Times memory use hit the limit (v1 `memory.failcnt`, v2 `memory.events` max).
    #[serde(default)]
    pub memory_limit_hits: Option<u64>,
    /// Major page faults of the cgroup (`memory.stat`).
    #[serde(default)]
    pub major_faults: Option<u64>,
    /// Microseconds some task stalled on memory (v2 PSI `memory.pressure`; v1 has none).
    #[serde(default)]
    pub memory_stall_us: Option<u64>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn read_num(path: &str) -> Option<u64> {
    read(path)?.parse().ok()
}

/// Numbers above this are "no limit" in cgroup v1 (the kernel writes PAGE_COUNTER_MAX).
const V1_UNLIMITED: u64 = 1 << 60;

fn stat_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The `total=` stall time of the `some` line of a PSI file.
fn psi_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("some"))?;
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix("total="))
        .and_then(|v| v.parse().ok())
}

/// Reads the facts of the cgroup of this process.
pub fn current() -> CgroupFacts {
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        v2()
    } else {
        v1()
    }
}

fn v1() -> CgroupFacts {
    let limited = |v: Option<u64>| v.filter(|v| *v < V1_UNLIMITED);
    let cpu_stat = read("/sys/fs/cgroup/cpu/cpu.stat").unwrap_or_default();
    CgroupFacts {
        version: 1,
        cpu_quota_us: read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
            .and_then(|s| s.parse().ok())
            .filter(|q: &i64| *q > 0),
        cpu_period_us: read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").and_then(|s| s.parse().ok()),
        cpuset: read("/sys/fs/cgroup/cpuset/cpuset.cpus"),
        memory_limit_bytes: limited(read_num("/sys/fs/cgroup/memory/memory.limit_in_bytes")),
        memory_swap_limit_bytes: limited(read_num(
            "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
        )),
        pids_limit: read_num("/sys/fs/cgroup/pids/pids.max"),
        cpu_usage_ns: read_num("/sys/fs/cgroup/cpuacct/cpuacct.usage"),
        nr_periods: stat_field(&cpu_stat, "nr_periods"),
        nr_throttled: stat_field(&cpu_stat, "nr_throttled"),
        throttled_ns: stat_field(&cpu_stat, "throttled_time"),
        memory_peak_bytes: read_num("/sys/fs/cgroup/memory/memory.max_usage_in_bytes"),
        oom_kills: read("/sys/fs/cgroup/memory/memory.oom_control")
            .and_then(|t| stat_field(&t, "oom_kill")),
        memory_limit_hits: read_num("/sys/fs/cgroup/memory/memory.failcnt"),
        major_faults: read("/sys/fs/cgroup/memory/memory.stat").and_then(|t| {
            stat_field(&t, "total_pgmajfault").or_else(|| stat_field(&t, "pgmajfault"))
        }),
        memory_stall_us: None,
    }
}

fn v2() -> CgroupFacts {
    let base = "/sys/fs/cgroup";
    let cpu_max = read(&format!("{base}/cpu.max")).unwrap_or_default();
    let mut parts = cpu_max.split_whitespace();
    let quota = parts.next().and_then(|q| q.parse().ok());
    let period = parts.next().and_then(|p| p.parse().ok());
    let cpu_stat = read(&format!("{base}/cpu.stat")).unwrap_or_default();
    let mem_max = read_num(&format!("{base}/memory.max"));
    let swap_max = read_num(&format!("{base}/memory.swap.max"));
    CgroupFacts {
        version: 2,
        cpu_quota_us: quota,
        cpu_period_us: period,
        cpuset: read(&format!("{base}/cpuset.cpus.effective")),
        memory_limit_bytes: mem_max,
        // v2 limits swap separately; report memory + swap to compare with v1's memsw.
        memory_swap_limit_bytes: match (mem_max, swap_max) {
            (Some(m), Some(s)) => Some(m + s),
            _ => None,
        },
        pids_limit: read_num(&format!("{base}/pids.max")),
        cpu_usage_ns: stat_field(&cpu_stat, "usage_usec").map(|u| u * 1000),
        nr_periods: stat_field(&cpu_stat, "nr_periods"),
        nr_throttled: stat_field(&cpu_stat, "nr_throttled"),
        throttled_ns: stat_field(&cpu_stat, "throttled_usec").map(|u| u * 1000),
        memory_peak_bytes: read_num(&format!("{base}/memory.peak")),
        oom_kills: read(&format!("{base}/memory.events")).and_then(|t| stat_field(&t, "oom_kill")),
        memory_limit_hits: read(&format!("{base}/memory.events"))
            .and_then(|t| stat_field(&t, "max")),
        major_faults: read(&format!("{base}/memory.stat"))
            .and_then(|t| stat_field(&t, "pgmajfault")),
        memory_stall_us: read(&format!("{base}/memory.pressure")).and_then(|t| psi_total(&t)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_fields() {
        let text = "nr_periods 10\nnr_throttled 3\nthrottled_time 4500\n";
        assert_eq!(stat_field(text, "nr_throttled"), Some(3));
        assert_eq!(stat_field(text, "missing"), None);
    }

    #[test]
    fn parses_psi() {
        let text = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=99\n";
        assert_eq!(psi_total(text), Some(1234));
    }

    #[test]
    fn reads_something_on_linux() {
        let facts = current();
        assert!(facts.version == 1 || facts.version == 2);
    }
}
