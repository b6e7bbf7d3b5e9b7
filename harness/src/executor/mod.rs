//! Where benchmarks run. The runner drives every backend through `Executor`, one block
//! of runs at a time, and does not know which backend it holds: that is what lets it
//! interleave the host and the container in ABBA rounds.

pub mod block;
pub mod docker;
pub mod host;
pub mod quota_twin;

use std::collections::BTreeMap;

use calibench_results::{CgroupUsage, ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;
use serde::{Deserialize, Serialize};

/// A failure of the execution environment itself (not of a benchmark): exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExecutorError {
    pub message: String,
}

impl ExecutorError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// One measured run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The benchmark's figure: wall seconds for commands, the probe's own report for
    /// probes.
    pub value: f64,
    /// Wall seconds, spawn to reap.
    pub wall_s: f64,
    pub user_s: f64,
    pub system_s: f64,
    pub max_rss_kib: u64,
    /// What the cgroup counted during this run (inside a container).
    #[serde(default)]
    pub cgroup: Option<CgroupUsage>,
    /// A probe's own extra figures (its in-loop throttled time, mean, p99), passed
    /// through from its report; empty for commands.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub probe_extra: BTreeMap<String, f64>,
}

/// What a block of runs produced: its samples, and the failure that ended it early.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub samples: Vec<Sample>,
    pub failure: Option<String>,
    /// Wall seconds of the block's runs, warm-ups included, settling runs not.
    #[serde(default)]
    pub wall_s: f64,
    /// What the cgroup counted over the whole block, warm-ups and settling runs
    /// included (containers).
    #[serde(default)]
    pub cgroup: Option<CgroupUsage>,
}

impl Block {
    /// A block that ended before its first run, for `reason`.
    pub fn failed(reason: String) -> Self {
        Self {
            failure: Some(reason),
            ..Self::default()
        }
    }
}

/// The runs of one block: `settle` runs that are discarded, then `count` runs whose
/// samples are kept unless the block is a warm-up. Why blocks of short runs settle:
/// `crate::sampler::SETTLE_S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runs {
    pub settle: usize,
    pub count: usize,
    pub warmup: bool,
}

impl Runs {
    /// `count` runs whose samples are kept.
    pub fn measured(count: usize) -> Self {
        Self {
            settle: 0,
            count,
            warmup: false,
        }
    }

    /// `count` warm-up runs: run, no samples kept.
    pub fn warmup(count: usize) -> Self {
        Self {
            settle: 0,
            count,
            warmup: true,
        }
    }

    /// The same runs after `settle` discarded ones.
    pub fn settled(self, settle: usize) -> Self {
        Self { settle, ..self }
    }
}

/// Runs blocks of one benchmark on one runtime.
pub trait Executor {
    fn runtime(&self) -> Runtime;

    /// Prepares one benchmark (a container is created and started for it).
    fn begin(&mut self, bench: &Benchmark) -> Result<(), ExecutorError>;

    /// Runs `runs` of `bench`, stopping at the first failed run; `first` runs came
    /// before (failure messages count from it). A service benchmark's runs are load
    /// windows, which take no settling runs.
    fn block(
        &mut self,
        bench: &Benchmark,
        first: usize,
        runs: Runs,
    ) -> Result<Block, ExecutorError>;

    /// Ends the benchmark (its container is inspected and removed) and says how it was
    /// executed.
    fn end(&mut self, bench: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError>;
}
