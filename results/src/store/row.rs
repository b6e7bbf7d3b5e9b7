//! One mapping from a stored result row to the wire model, for both backends. The
//! columns whose storage differs (time, sample count, samples) are decoded by the
//! backend and passed in; everything else is read here, by name.

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::error::StoreError;
use crate::model::{BenchmarkResult, Dimension, Runtime, Status};

/// The columns each backend stores its own way.
pub(crate) struct BackendColumns {
    pub measured_at: DateTime<Utc>,
    pub n: i64,
    pub samples: Vec<f64>,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("bad {what} `{value}`"))
}

/// Builds a result from a row of `result JOIN benchmark`.
pub(crate) fn result_from_row<'r, R>(
    row: &'r R,
    own: BackendColumns,
) -> Result<BenchmarkResult, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |name: &'static str| row.try_get::<String, _>(name);
    let num = |name: &'static str| row.try_get::<Option<f64>, _>(name);
    let runtime = text("runtime")?;
    let status = text("status")?;
    let dimension = text("dimension")?;
    Ok(BenchmarkResult {
        name: text("name")?,
        runtime: Runtime::parse(&runtime).ok_or_else(|| corrupt("runtime", &runtime))?,
        dimension: Dimension::parse(&dimension).ok_or_else(|| corrupt("dimension", &dimension))?,
        unit: text("unit")?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        failure: row.try_get("failure")?,
        measured_at: own.measured_at,
        n: usize::try_from(own.n).map_err(|_| corrupt("n", &own.n.to_string()))?,
        median: num("median")?,
        mean: num("mean")?,
        stddev: num("stddev")?,
        min: num("min")?,
        max: num("max")?,
        q1: num("q1")?,
        q3: num("q3")?,
        mad: num("mad")?,
        ci_low: num("ci_low")?,
        ci_high: num("ci_high")?,
        adjusted_median: num("adjusted_median")?,
        adjusted_ci_low: num("adjusted_ci_low")?,
        adjusted_ci_high: num("adjusted_ci_high")?,
        samples: own.samples,
        usage: serde_json::from_str(&text("usage")?)?,
        execution_environment: serde_json::from_str(&text("execution_environment")?)?,
    })
}
