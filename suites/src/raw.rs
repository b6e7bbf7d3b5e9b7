//! The suite file exactly as written: serde types with spans, no defaults applied.
//!
//! `deny_unknown_fields` does not combine with `#[serde(flatten)]`, so the run settings
//! shared by `[suite]` and `[[benchmark]]` are spelled out in both and gathered by
//! `settings()`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub suite: Spanned<RawSuite>,
    pub container: Option<RawContainer>,
    pub build: Option<RawBuild>,
    #[serde(default)]
    pub benchmark: Vec<Spanned<RawBenchmark>>,
}

/// `[build]`: how `calibench ab` builds each ref's worktree before measuring.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuild {
    pub command: Spanned<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSuite {
    pub name: Spanned<String>,
    pub warmup: Option<u32>,
    pub min_runs: Option<Spanned<u32>>,
    pub max_runs: Option<Spanned<u32>>,
    pub time_budget: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub target_ci: Option<Spanned<String>>,
}

/// Run settings as written in one table.
pub struct RawSettings<'a> {
    pub warmup: Option<u32>,
    pub min_runs: Option<&'a Spanned<u32>>,
    pub max_runs: Option<&'a Spanned<u32>>,
    pub time_budget: Option<&'a Spanned<String>>,
    pub timeout: Option<&'a Spanned<String>>,
    pub target_ci: Option<&'a Spanned<String>>,
}

impl RawSuite {
    pub fn settings(&self) -> RawSettings<'_> {
        RawSettings {
            warmup: self.warmup,
            min_runs: self.min_runs.as_ref(),
            max_runs: self.max_runs.as_ref(),
            time_budget: self.time_budget.as_ref(),
            timeout: self.timeout.as_ref(),
            target_ci: self.target_ci.as_ref(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContainer {
    pub image: Option<String>,
    pub cpuset: Option<Spanned<String>>,
    pub cpus: Option<Spanned<f64>>,
    pub memory: Option<Spanned<String>>,
    pub network: Option<Spanned<String>>,
    pub pids_limit: Option<Spanned<i64>>,
    pub nofile: Option<u64>,
    #[serde(default)]
    pub privileged: bool,
    /// A docker-compose file (relative to the suite file) whose service's limits apply.
    pub compose: Option<Spanned<String>>,
    /// The compose service whose limits apply.
    pub service: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBenchmark {
    pub name: Spanned<String>,
    pub command: Option<Spanned<Vec<String>>>,
    pub probe: Option<Spanned<String>>,
    pub work: Option<Spanned<u64>>,
    pub service: Option<Spanned<RawService>>,
    pub criterion: Option<Spanned<RawCriterion>>,
    pub load: Option<Spanned<RawLoad>>,
    pub dimension: Option<Spanned<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub workdir: Option<Spanned<String>>,
    pub warmup: Option<u32>,
    pub min_runs: Option<Spanned<u32>>,
    pub max_runs: Option<Spanned<u32>>,
    pub time_budget: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub target_ci: Option<Spanned<String>>,
}

impl RawBenchmark {
    pub fn settings(&self) -> RawSettings<'_> {
        RawSettings {
            warmup: self.warmup,
            min_runs: self.min_runs.as_ref(),
            max_runs: self.max_runs.as_ref(),
            time_budget: self.time_budget.as_ref(),
            timeout: self.timeout.as_ref(),
            target_ci: self.target_ci.as_ref(),
        }
    }
}

/// `[benchmark.criterion]`: a criterion bench to run on each side.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCriterion {
    pub command: Spanned<Vec<String>>,
    /// Appended to the command: criterion's benchmark-name filter.
    pub filter: Option<String>,
}

/// `[benchmark.service]`: the server to start on each side.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub command: Spanned<Vec<String>>,
    pub port: Option<Spanned<i64>>,
    pub ready: Option<Spanned<String>>,
    pub ready_timeout: Option<Spanned<String>>,
    pub via: Option<Spanned<String>>,
}

/// `[benchmark.load]`: the constant-rate load of each window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    pub method: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub body: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub connections: Option<Spanned<i64>>,
    pub rate: Option<Spanned<f64>>,
    pub duration: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub max_error_fraction: Option<Spanned<f64>>,
}
