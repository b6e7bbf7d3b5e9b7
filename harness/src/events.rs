//! Events between the runner and its outputs (progress, JSON lines, spool). Inside a
//! container the same events travel as JSON lines on stdout back to the host.

use calibench_results::{CgroupUsage, Runtime};
use serde::{Deserialize, Serialize};

/// What one benchmark produced on one runtime: samples and per-run resource use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub samples: Vec<f64>,
    pub user_s: Vec<f64>,
    pub system_s: Vec<f64>,
    pub max_rss_kib: Option<u64>,
    /// Set when a run failed or timed out; samples before it are kept.
    pub failure: Option<String>,
    /// Counted by the cgroup the benchmark ran in (containers).
    pub cgroup: Option<CgroupUsage>,
    /// What the cgroup counted during each measured run (containers).
    #[serde(default)]
    pub sample_cgroup: Vec<CgroupUsage>,
    /// Wall seconds of each measured run, beside `sample_cgroup`.
    #[serde(default)]
    pub sample_wall_s: Vec<f64>,
    /// The round each measured run belongs to (interleaved runs).
    #[serde(default)]
    pub sample_round: Vec<u32>,
}

/// A step of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        name: String,
        runtime: Runtime,
        min_runs: u32,
        max_runs: u32,
    },
    Sample {
        name: String,
        runtime: Runtime,
        index: usize,
        value: f64,
    },
    Finished {
        name: String,
        runtime: Runtime,
        measurement: Box<Measurement>,
    },
}

/// Consumes events.
pub trait EventSink {
    fn event(&mut self, event: &Event);
}

/// Discards events.
pub struct NullSink;

impl EventSink for NullSink {
    fn event(&mut self, _: &Event) {}
}

/// Writes each event as one JSON line (what calibench prints inside a container).
pub struct JsonLinesSink<W: std::io::Write>(pub W);

impl<W: std::io::Write> EventSink for JsonLinesSink<W> {
    fn event(&mut self, event: &Event) {
        if let Ok(line) = serde_json::to_string(event) {
            // A closed pipe means the reader went away; the run's result still exists.
            let _ = writeln!(self.0, "{line}");
            let _ = self.0.flush();
        }
    }
}
