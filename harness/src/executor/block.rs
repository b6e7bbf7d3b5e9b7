//! A block of runs with one launcher: the loop the host executor runs in place and
//! `calibench inner` runs inside a container, where it also reads the container's cgroup
//! around every run so that what a CPU quota or a memory limit did to each sample is
//! known per sample.

use calibench_results::CgroupUsage;
use calibench_suites::probes::cgroup::{self, CgroupFacts};
use calibench_suites::Benchmark;

use super::{Block, Runs, Sample};
use crate::launch::{interrupted, sample_value, Launcher};

/// What the cgroup counted between two readings.
pub fn usage_between(before: &CgroupFacts, after: &CgroupFacts) -> CgroupUsage {
    let delta = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    CgroupUsage {
        cpu_usage_ns: delta(before.cpu_usage_ns, after.cpu_usage_ns),
        nr_periods: delta(before.nr_periods, after.nr_periods),
        nr_throttled: delta(before.nr_throttled, after.nr_throttled),
        throttled_ns: delta(before.throttled_ns, after.throttled_ns),
        memory_peak_bytes: after.memory_peak_bytes,
        memory_limit_hits: delta(before.memory_limit_hits, after.memory_limit_hits),
        major_faults: delta(before.major_faults, after.major_faults),
        memory_stall_us: delta(before.memory_stall_us, after.memory_stall_us),
    }
}

fn oom_reason(before: &CgroupFacts, after: &CgroupFacts) -> Option<String> {
    match (before.oom_kills, after.oom_kills) {
        (Some(b), Some(a)) if a > b => Some(after.memory_limit_bytes.map_or(
            "OOM-killed: exceeded the container's memory limit".to_string(),
            |l| {
                format!(
                    "OOM-killed: exceeded the container's {} MiB memory limit",
                    l >> 20
                )
            },
        )),
        _ => None,
    }
}

/// Runs `runs` of `bench`: the settling runs, then the block's runs, numbered from
/// `first + 1` in failure messages; with `read_cgroup` each run is bracketed by readings
/// of this process's cgroup.
pub fn run_block(
    launcher: &mut dyn Launcher,
    bench: &Benchmark,
    first: usize,
    runs: Runs,
    read_cgroup: bool,
) -> Block {
    let mut block = Block::default();
    let start = read_cgroup.then(cgroup::current);
    for j in 0..runs.settle + runs.count {
        let settling = j < runs.settle;
        let i = j.saturating_sub(runs.settle);
        if interrupted() {
            block.failure = Some("interrupted".into());
            break;
        }
        let before = read_cgroup.then(cgroup::current);
        let outcome = match launcher.launch(bench) {
            Ok(o) => o,
            Err(e) => {
                block.failure = Some(e.to_string());
                break;
            }
        };
        let after = read_cgroup.then(cgroup::current);
        if !settling {
            block.wall_s += outcome.wall_s;
        }
        let oom = match (&before, &after) {
            (Some(b), Some(a)) => oom_reason(b, a),
            _ => None,
        };
        if !outcome.succeeded() {
            let reason = if settling {
                format!(
                    "settling run {} before run {} {}",
                    j + 1,
                    first + 1,
                    outcome.failure_reason(bench.settings.timeout)
                )
            } else {
                let phase = if runs.warmup { "warm-up run" } else { "run" };
                format!(
                    "{phase} {} {}",
                    first + i + 1,
                    outcome.failure_reason(bench.settings.timeout)
                )
            };
            block.failure = Some(match oom {
                Some(o) => format!("{o}; {reason}"),
                None => reason,
            });
            break;
        }
        let (value, probe_extra) = match sample_value(bench, &outcome) {
            Ok(v) => v,
            Err(e) => {
                block.failure = Some(e);
                break;
            }
        };
        if settling || runs.warmup {
            continue;
        }
        block.samples.push(Sample {
            value,
            wall_s: outcome.wall_s,
            user_s: outcome.user_s,
            system_s: outcome.system_s,
            max_rss_kib: outcome.max_rss_kib,
            cgroup: match (&before, &after) {
                (Some(b), Some(a)) => Some(usage_between(b, a)),
                _ => None,
            },
            probe_extra,
        });
    }
    if let Some(start) = start {
        block.cgroup = Some(usage_between(&start, &cgroup::current()));
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_a_difference_and_peak_is_the_last_reading() {
        let before = CgroupFacts {
            cpu_usage_ns: Some(100),
            nr_throttled: Some(2),
            memory_peak_bytes: Some(10),
            memory_limit_hits: Some(4),
            ..Default::default()
        };
        let after = CgroupFacts {
            cpu_usage_ns: Some(350),
            nr_throttled: Some(5),
            memory_peak_bytes: Some(99),
            memory_limit_hits: Some(4),
            ..Default::default()
        };
        let u = usage_between(&before, &after);
        assert_eq!(u.cpu_usage_ns, Some(250));
        assert_eq!(u.nr_throttled, Some(3));
        assert_eq!(u.memory_peak_bytes, Some(99));
        assert_eq!(u.nr_periods, None);
        assert_eq!(u.memory_limit_hits, Some(0));
        assert!(!u.memory_pressed());
    }
}
