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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBenchmark {
    pub name: Spanned<String>,
    pub command: Option<Spanned<Vec<String>>>,
    pub probe: Option<Spanned<String>>,
    pub work: Option<Spanned<u64>>,
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
