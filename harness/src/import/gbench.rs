//! Google Benchmark JSON: `benchmarks[]` entries of `run_type` `iteration` (each
//! repetition one sample of `real_time` per iteration, in `time_unit`); aggregates
//! (mean, median, stddev) are skipped, since the repetitions they summarise are here.

use std::path::Path;

use serde_json::Value;

use super::{positive, text, unit_seconds, ImportError, Series};

pub fn parse(doc: &Value, path: &Path) -> Result<Vec<Series>, ImportError> {
    let entries = doc
        .get("benchmarks")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::new(path, "benchmarks", "missing or not an array"))?;
    let mut series: Vec<Series> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let field = |k: &str| format!("benchmarks[{i}].{k}");
        if e.get("run_type").and_then(Value::as_str) == Some("aggregate") {
            continue;
        }
        if let Some(msg) = e.get("error_message").and_then(Value::as_str) {
            return Err(ImportError::new(
                path,
                field("error_message"),
                format!("the benchmark failed: {msg}"),
            ));
        }
        let name = match e.get("run_name") {
            Some(_) => text(e.get("run_name"), path, &field("run_name"))?,
            None => text(e.get("name"), path, &field("name"))?,
        };
        let unit = text(e.get("time_unit"), path, &field("time_unit"))?;
        let scale = unit_seconds(unit).ok_or_else(|| {
            ImportError::new(path, field("time_unit"), format!("unknown unit `{unit}`"))
        })?;
        let value = positive(e.get("real_time"), path, &field("real_time"))? * scale;
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.samples.push(value),
            None => series.push(Series {
                name: name.to_string(),
                samples: vec![value],
            }),
        }
    }
    Ok(series)
}
