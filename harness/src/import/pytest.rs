//! pytest-benchmark `--benchmark-json`: `benchmarks[].stats.data`, seconds per round,
//! present when the file was written with `--benchmark-save-data`. Without the rounds
//! only summaries remain, which cannot be compared as calibench compares samples.

use std::path::Path;

use serde_json::Value;

use super::{positive, text, ImportError, Series};

pub fn parse(doc: &Value, path: &Path) -> Result<Vec<Series>, ImportError> {
    let entries = doc
        .get("benchmarks")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::new(path, "benchmarks", "missing or not an array"))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let name = match e.get("fullname") {
                Some(_) => text(e.get("fullname"), path, &format!("benchmarks[{i}].fullname"))?,
                None => text(e.get("name"), path, &format!("benchmarks[{i}].name"))?,
            };
            let field = format!("benchmarks[{i}].stats.data");
            let data = e
                .get("stats")
                .and_then(|s| s.get("data"))
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ImportError::new(
                        path,
                        &field,
                        "missing: write the file with `pytest --benchmark-json=FILE --benchmark-save-data` so the rounds are in it",
                    )
                })?;
            let samples = data
                .iter()
                .enumerate()
                .map(|(j, t)| positive(Some(t), path, &format!("{field}[{j}]")))
                .collect::<Result<Vec<f64>, _>>()?;
            Ok(Series {
                name: name.to_string(),
                samples,
            })
        })
        .collect()
}
