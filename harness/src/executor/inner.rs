//! The container side of the Docker executor: `calibench inner` runs inside the
//! container, measures one benchmark with the same sampling loop and launcher as the
//! host, and streams events back as JSON lines, ending with the measurement and what
//! the container's cgroup counted.

use calibench_results::{CgroupUsage, Runtime};
use calibench_suites::probes::cgroup::{self, CgroupFacts};
use calibench_suites::Benchmark;

use crate::events::{Event, EventSink, JsonLinesSink, Measurement};
use crate::launch::HostLauncher;
use crate::sampler::measure;

/// Forwards progress events but not the sampler's own `Finished`, which is re-emitted
/// once the cgroup figures are attached.
struct ProgressOnly<'a>(&'a mut dyn EventSink);

impl EventSink for ProgressOnly<'_> {
    fn event(&mut self, event: &Event) {
        if !matches!(event, Event::Finished { .. }) {
            self.0.event(event);
        }
    }
}

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
    }
}

/// Measures `bench` in this (containerised) process and writes events to `out`.
pub fn run_inner(
    bench: &Benchmark,
    launcher: &mut HostLauncher,
    out: impl std::io::Write,
) -> Measurement {
    let mut sink = JsonLinesSink(out);
    let before = cgroup::current();
    let mut m = measure(
        launcher,
        bench,
        Runtime::Docker,
        &mut ProgressOnly(&mut sink),
    );
    let after = cgroup::current();
    m.cgroup = Some(usage_between(&before, &after));
    let oom = match (before.oom_kills, after.oom_kills) {
        (Some(b), Some(a)) => a > b,
        _ => false,
    };
    if let (true, Some(reason)) = (oom, m.failure.as_mut()) {
        let limit = after
            .memory_limit_bytes
            .map_or("the container's memory limit".to_string(), |l| {
                format!("the container's {} MiB memory limit", l >> 20)
            });
        *reason = format!("OOM-killed: exceeded {limit}; {reason}");
    }
    sink.event(&Event::Finished {
        name: bench.name.clone(),
        runtime: Runtime::Docker,
        measurement: m.clone(),
    });
    m
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
            ..Default::default()
        };
        let after = CgroupFacts {
            cpu_usage_ns: Some(350),
            nr_throttled: Some(5),
            memory_peak_bytes: Some(99),
            ..Default::default()
        };
        let u = usage_between(&before, &after);
        assert_eq!(u.cpu_usage_ns, Some(250));
        assert_eq!(u.nr_throttled, Some(3));
        assert_eq!(u.memory_peak_bytes, Some(99));
        assert_eq!(u.nr_periods, None);
    }
}
