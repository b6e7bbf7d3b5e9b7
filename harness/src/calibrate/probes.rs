//! The calibration probes per dimension, where each one runs, and which one stands for
//! its dimension when container results are adjusted.

use std::path::{Path, PathBuf};

use calibench_suites::{Dimension, ProbeKind};

/// Where on each side a probe runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The container as configured; IO in the bind-mounted work directory.
    Default,
    /// IO on the container's writable (overlay) layer.
    WritableLayer,
    /// IO on a tmpfs: `/dev/shm` on both sides (the container's `/tmp` is the work
    /// directory, not a tmpfs, when calibench runs from `/tmp`).
    Tmpfs,
    /// A second container with `seccomp=unconfined`.
    Unconfined,
}

/// One probe of a calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationProbe {
    pub kind: ProbeKind,
    pub variant: Variant,
    pub work: Option<u64>,
    pub label: String,
}

impl CalibrationProbe {
    pub fn new(kind: ProbeKind, variant: Variant, work: Option<u64>) -> Self {
        let suffix = match variant {
            Variant::Default if kind.dimension() == Dimension::Io => "@bind",
            Variant::Default => "",
            Variant::WritableLayer => "@layer",
            Variant::Tmpfs => "@tmpfs",
            Variant::Unconfined => "@unconfined",
        };
        Self {
            kind,
            variant,
            work,
            label: format!("{}{suffix}", kind.as_str()),
        }
    }

    pub fn dimension(&self) -> Dimension {
        self.kind.dimension()
    }

    /// Whether the probe is measured as the adjusted results are: a whole process,
    /// spawn to reap, rather than the figure it reports from inside. The CPU probe
    /// adjusts commands' wall times, so it is timed the same way; its in-process figure
    /// stays in `kernel_s`.
    pub fn measured_as_process(&self) -> bool {
        self.kind == ProbeKind::Cpu
    }

    /// Directory the probe works in on the host (`base` is the work directory).
    pub fn host_dir(&self, base: &Path) -> PathBuf {
        match self.variant {
            Variant::Tmpfs => PathBuf::from("/dev/shm/calibench-io"),
            _ => base.join(".calibench/io"),
        }
    }

    /// Directory the probe works in inside the container.
    pub fn container_dir(&self, base: &Path) -> PathBuf {
        match self.variant {
            Variant::WritableLayer => PathBuf::from("/var/tmp/calibench-io"),
            Variant::Tmpfs => PathBuf::from("/dev/shm/calibench-io"),
            _ => base.join(".calibench/io"),
        }
    }
}

/// CPU work for calibration: four times a suite's default, so one run spans several
/// CFS periods and a quota shows as throttling rather than fitting inside one period.
const CPU_CALIBRATION_WORK: u64 = 4 * 12_000_000;

/// The probes measured for `dimensions`, the representative of each dimension first.
pub fn catalogue(dimensions: &[Dimension]) -> Vec<CalibrationProbe> {
    let mut probes = Vec::new();
    for d in dimensions {
        let list: Vec<CalibrationProbe> = match d {
            Dimension::Cpu => vec![
                CalibrationProbe::new(ProbeKind::Cpu, Variant::Default, Some(CPU_CALIBRATION_WORK)),
                CalibrationProbe::new(ProbeKind::CpuThreads, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::CpuSort, Variant::Default, None),
            ],
            Dimension::Memory => vec![
                CalibrationProbe::new(ProbeKind::MemoryTriad, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::MemoryTouch, Variant::Default, None),
            ],
            Dimension::Io => vec![
                CalibrationProbe::new(ProbeKind::IoFsync, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::IoOverwrite, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::IoPrealloc, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::IoFsync, Variant::WritableLayer, None),
                CalibrationProbe::new(ProbeKind::IoFsync, Variant::Tmpfs, None),
                CalibrationProbe::new(ProbeKind::IoSeq, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::IoSeq, Variant::WritableLayer, None),
                CalibrationProbe::new(ProbeKind::IoSeq, Variant::Tmpfs, None),
            ],
            Dimension::Latency => vec![
                CalibrationProbe::new(ProbeKind::Spawn, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::Syscall, Variant::Default, None),
                CalibrationProbe::new(ProbeKind::Syscall, Variant::Unconfined, None),
                CalibrationProbe::new(ProbeKind::TcpPingpong, Variant::Default, None),
            ],
            // Measured per network path with a server on each side (`network`), not by
            // a probe process.
            Dimension::Network => vec![],
        };
        probes.extend(list);
    }
    probes
}

/// Whether `probe` stands for its dimension (the first of the dimension in the catalogue).
pub fn is_representative(probe: &CalibrationProbe) -> bool {
    catalogue(&[probe.dimension()]).first() == Some(probe)
}

/// Whether `probe` belongs to the family of work whose prediction adjusts its dimension:
/// the CPU probes, and the synced small writes in the work directory. Other IO probes
/// measure other storage (the writable layer, a tmpfs) or throughput, and are reported
/// on their own.
pub fn family_member(probe: &CalibrationProbe) -> bool {
    match probe.dimension() {
        Dimension::Cpu => true,
        Dimension::Io => {
            probe.variant == Variant::Default
                && matches!(
                    probe.kind,
                    ProbeKind::IoFsync | ProbeKind::IoOverwrite | ProbeKind::IoPrealloc
                )
        }
        _ => false,
    }
}

/// Whether `probe`'s figure adjusts container results: the representatives, and the
/// members of a family whose prediction adjusts its dimension. The others are reported
/// on their own.
pub fn adjusts_results(probe: &CalibrationProbe) -> bool {
    is_representative(probe) || family_member(probe)
}

/// Rounds at most for a probe that adjusts nothing: twice the minimum for an interval.
pub const REPORT_ONLY_ROUNDS: usize = 20;

/// A probe's weight in the split of the calibration's time: twice as much for one that
/// adjusts results as for one reported on its own. With an even split of 90 s over
/// `cpu,io`, the five probes reported on their own took five elevenths of it and the CPU
/// probe got 14–17 rounds.
pub fn time_weight(probe: &CalibrationProbe) -> u32 {
    if adjusts_results(probe) {
        2
    } else {
        1
    }
}

/// The order `probes` are measured in, as indices: those that adjust results first, in
/// the catalogue's order, then the others. A probe runs its minimum rounds even past its
/// share of the time, so the last ones are the ones a tight `--max-time` squeezes.
pub fn measuring_order(probes: &[CalibrationProbe]) -> Vec<usize> {
    let (adjusting, report_only): (Vec<usize>, Vec<usize>) =
        (0..probes.len()).partition(|&i| adjusts_results(&probes[i]));
    adjusting.into_iter().chain(report_only).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_representatives() {
        let all = catalogue(&Dimension::ALL);
        let labels: Vec<&str> = all.iter().map(|p| p.label.as_str()).collect();
        assert!(labels.contains(&"io-fsync@bind") && labels.contains(&"syscall@unconfined"));
        let reps: Vec<&str> = all
            .iter()
            .filter(|p| is_representative(p))
            .map(|p| p.label.as_str())
            .collect();
        assert_eq!(reps, vec!["cpu", "memory-triad", "io-fsync@bind", "spawn"]);
    }

    #[test]
    fn probes_that_adjust_results_are_measured_first_with_twice_the_time() {
        let probes = catalogue(&[Dimension::Cpu, Dimension::Io]);
        let order: Vec<&str> = measuring_order(&probes)
            .into_iter()
            .map(|i| probes[i].label.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "cpu",
                "cpu-threads",
                "cpu-sort",
                "io-fsync@bind",
                "io-overwrite@bind",
                "io-prealloc@bind",
                "io-fsync@layer",
                "io-fsync@tmpfs",
                "io-seq@bind",
                "io-seq@layer",
                "io-seq@tmpfs",
            ]
        );
        let weights: u32 = probes.iter().map(time_weight).sum();
        assert_eq!(weights, 6 * 2 + 5);
        let all = catalogue(&Dimension::ALL);
        let mut sorted = measuring_order(&all);
        sorted.sort_unstable();
        assert_eq!(sorted, (0..all.len()).collect::<Vec<_>>());
    }
}
