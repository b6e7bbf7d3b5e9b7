//! hyperfine `--export-json`: `{"results": [{"command": ..., "times": [s, ...]}]}`.

use std::path::Path;

use serde_json::Value;

use super::{positive, text, ImportError, Series};

pub fn parse(doc: &Value, path: &Path) -> Result<Vec<Series>, ImportError> {
    let results = doc
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::new(path, "results", "missing or not an array"))?;
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = text(r.get("command"), path, &format!("results[{i}].command"))?;
            let times = r.get("times").and_then(Value::as_array).ok_or_else(|| {
                ImportError::new(
                    path,
                    format!("results[{i}].times"),
                    "missing or not an array",
                )
            })?;
            let samples = times
                .iter()
                .enumerate()
                .map(|(j, t)| positive(Some(t), path, &format!("results[{i}].times[{j}]")))
                .collect::<Result<Vec<f64>, _>>()?;
            Ok(Series {
                name: name.to_string(),
                samples,
            })
        })
        .collect()
}
