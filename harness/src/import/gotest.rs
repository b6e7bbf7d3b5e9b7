//! `go test -bench` output: `BenchmarkName-8  1000000  1234 ns/op ...`, one
//! line per benchmark and `-count`; each line is one sample of seconds per operation.
//! The `-N` GOMAXPROCS suffix is dropped from the name, so results of machines with
//! different core counts line up (their environments still tell them apart).

use std::path::Path;

use super::{unit_seconds, ImportError, Series};

pub fn parse(text: &str, path: &Path) -> Result<Vec<Series>, ImportError> {
    let mut series: Vec<Series> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = fields.first().filter(|f| f.starts_with("Benchmark")) else {
            continue;
        };
        let at = format!("line {}", n + 1);
        // A bare "BenchmarkX" line without figures is a heading (or a failure).
        if fields.len() < 4 {
            if line.contains("FAIL") || line.contains("panic") {
                return Err(ImportError::new(
                    path,
                    at,
                    format!("the benchmark failed: {}", line.trim()),
                ));
            }
            continue;
        }
        let name = match first.rsplit_once('-') {
            Some((base, procs)) if procs.chars().all(|c| c.is_ascii_digit()) => base,
            _ => first,
        };
        let per_op = fields
            .windows(2)
            .find_map(|w| w[1].strip_suffix("/op").map(|unit| (w[0], unit)))
            .ok_or_else(|| ImportError::new(path, &at, "no `<time> ns/op` figure"))?;
        let scale = unit_seconds(per_op.1).ok_or_else(|| {
            ImportError::new(path, &at, format!("unknown unit `{}/op`", per_op.1))
        })?;
        let value: f64 = per_op
            .0
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(|| {
                ImportError::new(path, &at, format!("`{}` is not a positive time", per_op.0))
            })?;
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.samples.push(value * scale),
            None => series.push(Series {
                name: name.to_string(),
                samples: vec![value * scale],
            }),
        }
    }
    Ok(series)
}
