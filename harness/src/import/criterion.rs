//! A criterion output directory (`target/criterion`): every `<id>/new/sample.json`
//! (`iters` and `times`, nanoseconds per sample) gives one series of per-iteration
//! times, `times[i] / iters[i]`; its name is `full_id` from `new/benchmark.json`, else
//! the directory path below the root.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{ImportError, Series};

/// Every benchmark under `root`, sorted by name.
pub fn read_criterion_dir(root: &Path) -> Result<Vec<Series>, ImportError> {
    if !root.is_dir() {
        return Err(ImportError::new(root, "(directory)", "not a directory"));
    }
    let mut found = Vec::new();
    walk(root, &mut found).map_err(|e| ImportError::new(root, "(directory)", e.to_string()))?;
    let mut series = found
        .iter()
        .map(|dir| read_one(root, dir))
        .collect::<Result<Vec<Series>, _>>()?;
    series.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(series)
}

/// Directories holding `new/sample.json`.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.join("new").join("sample.json").is_file() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "report") {
            walk(&path, found)?;
        }
    }
    Ok(())
}

fn read_one(root: &Path, dir: &Path) -> Result<Series, ImportError> {
    let file = dir.join("new").join("sample.json");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| ImportError::new(&file, "(file)", e.to_string()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        ImportError::new(
            &file,
            format!("line {} column {}", e.line(), e.column()),
            format!("not valid JSON: {e}"),
        )
    })?;
    let numbers = |key: &str| -> Result<Vec<f64>, ImportError> {
        doc.get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| ImportError::new(&file, key, "missing or not an array"))?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_f64()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| {
                        ImportError::new(&file, format!("{key}[{i}]"), "not a positive number")
                    })
            })
            .collect()
    };
    let (iters, times) = (numbers("iters")?, numbers("times")?);
    if iters.len() != times.len() || iters.is_empty() {
        return Err(ImportError::new(
            &file,
            "times",
            format!("{} times for {} iteration counts", times.len(), iters.len()),
        ));
    }
    let name = std::fs::read_to_string(dir.join("new").join("benchmark.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|b| b.get("full_id").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| dir.strip_prefix(root).unwrap_or(dir).display().to_string());
    Ok(Series {
        name,
        samples: iters
            .iter()
            .zip(&times)
            .map(|(n, t)| t / n * 1e-9)
            .collect(),
    })
}
