//! Built-in probes: fixed work, run as `calibench probe NAME` in a fresh process of the
//! same binary on either side, each printing one JSON line (`ProbeReport`) with its own
//! figure. Because the host and the container run the very same code, any difference
//! between the two is the container's.

pub mod cgroup;
mod cpu;
mod io;
mod latency;
pub mod memory;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use calibench_calibrator::Dimension;

/// The probes a suite may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// Integer and floating-point kernel on one thread (seconds).
    Cpu,
    /// The same kernel on every CPU the process may use (seconds).
    CpuThreads,
    /// Sort of pseudo-random integers on one thread (seconds).
    CpuSort,
    /// STREAM-style triad over arrays spanning ≥ 4× the last-level cache (seconds).
    MemoryTriad,
    /// First touch of a large buffer (seconds).
    MemoryTouch,
    /// 4 KiB write appended to a new file + fdatasync, median latency (seconds).
    IoFsync,
    /// 4 KiB write over a laid-out file + fdatasync, median latency (seconds).
    IoOverwrite,
    /// 4 KiB write into a preallocated file + fdatasync, median latency (seconds).
    IoPrealloc,
    /// Sequential write, sync, cache drop, read (seconds).
    IoSeq,
    /// Raw `getppid` syscall, mean latency (seconds).
    Syscall,
    /// Loopback TCP ping-pong, median round trip (seconds).
    TcpPingpong,
    /// fork+exec+reap of `true`, mean (seconds).
    Spawn,
}

impl ProbeKind {
    pub const ALL: [ProbeKind; 12] = [
        ProbeKind::Cpu,
        ProbeKind::CpuThreads,
        ProbeKind::CpuSort,
        ProbeKind::MemoryTriad,
        ProbeKind::MemoryTouch,
        ProbeKind::IoFsync,
        ProbeKind::IoOverwrite,
        ProbeKind::IoPrealloc,
        ProbeKind::IoSeq,
        ProbeKind::Syscall,
        ProbeKind::TcpPingpong,
        ProbeKind::Spawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Cpu => "cpu",
            ProbeKind::CpuThreads => "cpu-threads",
            ProbeKind::CpuSort => "cpu-sort",
            ProbeKind::MemoryTriad => "memory-triad",
            ProbeKind::MemoryTouch => "memory-touch",
            ProbeKind::IoFsync => "io-fsync",
            ProbeKind::IoOverwrite => "io-overwrite",
            ProbeKind::IoPrealloc => "io-prealloc",
            ProbeKind::IoSeq => "io-seq",
            ProbeKind::Syscall => "syscall",
            ProbeKind::TcpPingpong => "tcp-pingpong",
            ProbeKind::Spawn => "spawn",
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
            ProbeKind::Cpu | ProbeKind::CpuThreads | ProbeKind::CpuSort => Dimension::Cpu,
            ProbeKind::MemoryTriad | ProbeKind::MemoryTouch => Dimension::Memory,
            ProbeKind::IoFsync
            | ProbeKind::IoOverwrite
            | ProbeKind::IoPrealloc
            | ProbeKind::IoSeq => Dimension::Io,
            ProbeKind::Syscall | ProbeKind::TcpPingpong | ProbeKind::Spawn => Dimension::Latency,
        }
    }

    /// Unit of the probe's figure: every probe reports seconds, so container/host
    /// ratios of any probe read the same way (above 1: slower in the container).
    pub fn unit(self) -> &'static str {
        "s"
    }

    /// Work done when a suite does not say (units per probe: iterations, passes, MiB,
    /// operations).
    pub fn default_work(self) -> u64 {
        match self {
            ProbeKind::Cpu | ProbeKind::CpuThreads => cpu::DEFAULT_WORK,
            ProbeKind::CpuSort => cpu::DEFAULT_SORT_ELEMENTS,
            ProbeKind::MemoryTriad => 3,
            ProbeKind::MemoryTouch => 128,
            ProbeKind::IoFsync | ProbeKind::IoOverwrite | ProbeKind::IoPrealloc => 64,
            ProbeKind::IoSeq => 32,
            ProbeKind::Syscall => 200_000,
            ProbeKind::TcpPingpong => 2_000,
            ProbeKind::Spawn => 20,
        }
    }

    /// Whether the probe's figure is the time of one thread's CPU-bound loop, so that a
    /// CPU quota's throttling during it can be subtracted from it.
    pub fn single_threaded_time(self) -> bool {
        matches!(self, ProbeKind::Cpu | ProbeKind::Syscall)
    }

    /// Runs the probe in this process and reports its figure. IO probes work in `dir`.
    pub fn run(self, work: Option<u64>, dir: &Path) -> Result<ProbeReport, String> {
        let work = work.unwrap_or_else(|| self.default_work());
        let before = cgroup::current();
        let (value, mut extra) = match self {
            ProbeKind::Cpu => (cpu::single(work), BTreeMap::new()),
            ProbeKind::CpuThreads => cpu::threads(work),
            ProbeKind::CpuSort => (cpu::sort(work), BTreeMap::new()),
            ProbeKind::MemoryTriad => memory::triad(work),
            ProbeKind::MemoryTouch => memory::first_touch(work),
            ProbeKind::IoFsync => io::fsync_latency(dir, work)?,
            ProbeKind::IoOverwrite => io::overwrite_latency(dir, work)?,
            ProbeKind::IoPrealloc => io::prealloc_latency(dir, work)?,
            ProbeKind::IoSeq => io::sequential(dir, work)?,
            ProbeKind::Syscall => (latency::syscall_loop(work), BTreeMap::new()),
            ProbeKind::TcpPingpong => latency::tcp_pingpong(work)?,
            ProbeKind::Spawn => (latency::spawn(work)?, BTreeMap::new()),
        };
        let after = cgroup::current();
        if let (Some(b), Some(a)) = (before.nr_throttled, after.nr_throttled) {
            extra.insert("throttled_periods".to_string(), a.saturating_sub(b) as f64);
        }
        if let (Some(b), Some(a)) = (before.throttled_ns, after.throttled_ns) {
            extra.insert("throttled_ns".to_string(), a.saturating_sub(b) as f64);
        }
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
    /// Secondary figures (threads used, percentiles, throttled periods...).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_runs_and_reports_a_positive_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        for kind in ProbeKind::ALL {
            let work = match kind {
                ProbeKind::Cpu | ProbeKind::CpuThreads => 100_000,
                ProbeKind::CpuSort => 10_000,
                ProbeKind::MemoryTriad => 1,
                ProbeKind::MemoryTouch => 8,
                ProbeKind::IoFsync | ProbeKind::IoOverwrite | ProbeKind::IoPrealloc => 4,
                ProbeKind::IoSeq => 2,
                ProbeKind::Syscall => 1_000,
                ProbeKind::TcpPingpong => 50,
                ProbeKind::Spawn => 2,
            };
            let r = kind
                .run(Some(work), dir.path())
                .unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
            assert!(r.value > 0.0, "{}: {}", kind.as_str(), r.value);
            assert_eq!(ProbeKind::parse(&r.probe), Some(kind));
        }
    }

    #[test]
    fn reports_are_found_in_stdout() {
        let line = r#"{"probe":"cpu","value":0.5,"unit":"s","work":3}"#;
        let r = ProbeReport::from_stdout(&format!("noise\n{line}\n"));
        assert_eq!(r.map(|r| r.work), Some(3));
    }
}
