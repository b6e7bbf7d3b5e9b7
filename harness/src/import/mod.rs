//! `calibench import`: results of other harnesses into the store, so that they compare
//! and gate like calibench's own runs. Each reader turns a file (or criterion's
//! directory) into named series of per-iteration seconds; a malformed file is an error
//! naming the file and the field, and nothing is stored unless the whole file reads.

mod criterion;
mod gbench;
mod gotest;
mod hyperfine;
mod pytest;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use criterion::read_criterion_dir;

/// The formats `calibench import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// `hyperfine --export-json`: `results[].times`, seconds per run.
    Hyperfine,
    /// A `target/criterion` directory: `<id>/new/sample.json`, per-iteration times.
    Criterion,
    /// Google Benchmark `--benchmark_format=json`: `benchmarks[]` of `run_type`
    /// iteration, `real_time` in `time_unit`.
    Gbench,
    /// pytest-benchmark `--benchmark-json` written with `--benchmark-save-data`:
    /// `benchmarks[].stats.data`, seconds per round.
    Pytest,
    /// `go test -bench` text: `BenchmarkX-8  N  T ns/op` lines (one per `-count`).
    Go,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Hyperfine => "hyperfine",
            ImportFormat::Criterion => "criterion",
            ImportFormat::Gbench => "gbench",
            ImportFormat::Pytest => "pytest",
            ImportFormat::Go => "go",
        }
    }
}

/// One imported benchmark: its name and samples in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub samples: Vec<f64>,
}

/// Why a file could not be imported: the file, the field, what was wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}: {field}: {message}", path.display())]
pub struct ImportError {
    pub path: PathBuf,
    pub field: String,
    pub message: String,
}

impl ImportError {
    pub fn new(path: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Reads every series of `path` (a file read once, or criterion's directory) in
/// `format`, or in the format its content tells when none is given.
pub fn read_import(
    path: &Path,
    format: Option<ImportFormat>,
) -> Result<(ImportFormat, Vec<Series>), ImportError> {
    let series = if path.is_dir() || format == Some(ImportFormat::Criterion) {
        (ImportFormat::Criterion, read_criterion_dir(path)?)
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ImportError::new(path, "(file)", e.to_string()))?;
        let doc = if text.trim_start().starts_with(['{', '[']) {
            Some(serde_json::from_str::<Value>(&text).map_err(|e| {
                ImportError::new(
                    path,
                    format!("line {} column {}", e.line(), e.column()),
                    format!("not valid JSON: {e}"),
                )
            })?)
        } else {
            None
        };
        let format = match format {
            Some(f) => f,
            None => detect(doc.as_ref(), &text, path)?,
        };
        let json = || {
            doc.as_ref()
                .ok_or_else(|| ImportError::new(path, "(document)", "not JSON"))
        };
        let series = match format {
            ImportFormat::Criterion => read_criterion_dir(path)?,
            ImportFormat::Go => gotest::parse(&text, path)?,
            ImportFormat::Hyperfine => hyperfine::parse(json()?, path)?,
            ImportFormat::Gbench => gbench::parse(json()?, path)?,
            ImportFormat::Pytest => pytest::parse(json()?, path)?,
        };
        (format, series)
    };
    if series.1.is_empty() {
        return Err(ImportError::new(path, "(document)", "no benchmarks found"));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &series.1 {
        if !seen.insert(&s.name) {
            return Err(ImportError::new(
                path,
                &s.name,
                "the same benchmark appears twice",
            ));
        }
    }
    Ok(series)
}

/// The format a file's content tells: its JSON keys, or Go's `Benchmark` lines.
fn detect(doc: Option<&Value>, text: &str, path: &Path) -> Result<ImportFormat, ImportError> {
    if let Some(v) = doc {
        if v.get("results").is_some() {
            return Ok(ImportFormat::Hyperfine);
        }
        if v.get("machine_info").is_some() {
            return Ok(ImportFormat::Pytest);
        }
        if v.get("context").is_some() && v.get("benchmarks").is_some() {
            return Ok(ImportFormat::Gbench);
        }
        return Err(ImportError::new(
            path,
            "(document)",
            "JSON of an unknown harness: give --format (hyperfine, criterion, gbench, pytest, go)",
        ));
    }
    if text.lines().any(|l| l.starts_with("Benchmark")) {
        return Ok(ImportFormat::Go);
    }
    Err(ImportError::new(
        path,
        "(document)",
        "neither JSON nor `go test -bench` output: give --format",
    ))
}

/// A positive, finite number at `field`.
fn positive(v: Option<&Value>, path: &Path, field: &str) -> Result<f64, ImportError> {
    match v.and_then(Value::as_f64) {
        Some(x) if x.is_finite() && x > 0.0 => Ok(x),
        Some(x) => Err(ImportError::new(
            path,
            field,
            format!("{x} is not a positive time"),
        )),
        None => Err(ImportError::new(path, field, "missing or not a number")),
    }
}

/// A string at `field`.
fn text<'a>(v: Option<&'a Value>, path: &Path, field: &str) -> Result<&'a str, ImportError> {
    v.and_then(Value::as_str)
        .ok_or_else(|| ImportError::new(path, field, "missing or not a string"))
}

/// Seconds per unit of Google Benchmark's and Go's time units.
fn unit_seconds(unit: &str) -> Option<f64> {
    match unit {
        "ns" => Some(1e-9),
        "us" | "µs" => Some(1e-6),
        "ms" => Some(1e-3),
        "s" => Some(1.0),
        _ => None,
    }
}

/// What an import is labelled with.
pub struct ImportIdentity {
    pub tag: Option<String>,
    pub context: String,
    pub suite: Option<String>,
}

/// The run an import stores: one host result per series, the environment of this
/// machine captured now, and labels saying where the figures came from (calibench did
/// not measure them, so it cannot vouch for how).
pub fn imported_run(
    series: Vec<Series>,
    format: ImportFormat,
    path: &Path,
    identity: ImportIdentity,
) -> calibench_results::RunReport {
    use calibench_results::{
        now, Environment, ExecutionEnvironment, RunId, RunReport, SCHEMA_VERSION,
    };
    let started_at = now();
    let benchmarks = series
        .into_iter()
        .map(|s| {
            crate::summarize::from_samples(
                &s.name,
                calibench_suites::Dimension::Cpu,
                "s",
                s.samples,
                ExecutionEnvironment::host(None),
            )
        })
        .collect();
    RunReport {
        schema_version: SCHEMA_VERSION,
        run_id: RunId::new_random(),
        tag: identity.tag,
        suite: identity
            .suite
            .unwrap_or_else(|| format!("imported-{}", format.as_str())),
        context: identity.context,
        started_at,
        finished_at: now(),
        environment: Environment {
            host: crate::environment::capture_host(),
            harness_version: env!("CARGO_PKG_VERSION").to_string(),
            git: None,
            engine: None,
        },
        calibration_profile_id: None,
        benchmarks,
        notices: vec![format!(
            "imported from {} ({}); the environment is this machine's at import time",
            path.display(),
            format.as_str()
        )],
        labels: [
            ("imported_from".to_string(), format.as_str().to_string()),
            ("imported_file".to_string(), path.display().to_string()),
        ]
        .into_iter()
        .collect(),
    }
}
