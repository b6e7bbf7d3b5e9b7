//! The team store: PostgreSQL, upgraded to TimescaleDB when the extension is there.
//! A run is ingested in one transaction with `INSERT … SELECT … FROM UNNEST(…)`, and
//! the run id is the idempotency key (`ON CONFLICT DO NOTHING`).

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::row::{self, BackendColumns};
use super::{redact_url, RunFilter, RunListing, SaveOutcome, StoreStatus};
use crate::error::StoreError;
use crate::ids::RunId;
use crate::model::*;
use crate::profile::CalibrationProfile;
use crate::redact::redact_text;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The URL with its password redacted: the only form ever shown.
    redacted_url: String,
    /// `plain` or `timescale`, as the upgrade function found it.
    mode: String,
}

/// A float array literal (`{1.5,2}`): Rust's shortest round-trip formatting, which
/// PostgreSQL's float8 input reads back to the same bits.
fn float_array_literal(values: &[f64]) -> String {
    let body: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("{{{}}}", body.join(","))
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let redacted_url = redact_url(url);
        let unreachable = |e: &dyn std::fmt::Display| StoreError::Unreachable {
            url: redacted_url.clone(),
            message: redact_text(&e.to_string()),
        };
        let options: PgConnectOptions = url.parse().map_err(|e| unreachable(&e))?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| unreachable(&e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(redact_text(&e.to_string())))?;
        let mode: String = sqlx::query_scalar("SELECT calibench_timescale_upgrade()")
            .fetch_one(&pool)
            .await?;
        Ok(Self {
            pool,
            redacted_url,
            mode,
        })
    }

    pub fn describe(&self) -> String {
        self.redacted_url.clone()
    }

    pub fn mode(&self) -> &str {
        &self.mode
    }

    pub async fn save_run(&self, run: &RunReport) -> Result<SaveOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let host = &run.environment.host;
        sqlx::query(
            "INSERT INTO environment (fingerprint, cpu_model, logical_cores, physical_cores, memory_bytes, kernel, os, cpu_governor, smt, facts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(&host.fingerprint)
        .bind(&host.cpu_model)
        .bind(host.logical_cores as i32)
        .bind(host.physical_cores.map(|n| n as i32))
        .bind(host.memory_bytes as i64)
        .bind(&host.kernel)
        .bind(&host.os)
        .bind(&host.cpu_governor)
        .bind(host.smt)
        .bind(serde_json::to_string(host)?)
        .execute(&mut *tx)
        .await?;
        let environment_id: i64 =
            sqlx::query_scalar("SELECT id FROM environment WHERE fingerprint = $1")
                .bind(&host.fingerprint)
                .fetch_one(&mut *tx)
                .await?;
        let inserted = sqlx::query(
            "INSERT INTO run (id, tag, git_sha, git_dirty, suite, context, started_at, finished_at, harness_version,
                              environment_id, calibration_profile_id, environment, notices, labels)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14::jsonb)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(run.run_id.as_uuid())
        .bind(&run.tag)
        .bind(run.environment.git.as_ref().map(|g| g.sha.clone()))
        .bind(run.environment.git.as_ref().map(|g| g.dirty))
        .bind(&run.suite)
        .bind(&run.context)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(&run.environment.harness_version)
        .bind(environment_id)
        .bind(&run.calibration_profile_id)
        .bind(serde_json::to_string(&run.environment)?)
        .bind(serde_json::to_string(&run.notices)?)
        .bind(serde_json::to_string(&run.labels)?)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(SaveOutcome::AlreadyStored);
        }
        if run.benchmarks.is_empty() {
            tx.commit().await?;
            return Ok(SaveOutcome::Inserted);
        }
        let b = &run.benchmarks;
        let names: Vec<String> = b.iter().map(|x| x.name.clone()).collect();
        let units: Vec<String> = b.iter().map(|x| x.unit.clone()).collect();
        let dimensions: Vec<String> = b.iter().map(|x| x.dimension.as_str().to_string()).collect();
        sqlx::query(
            "INSERT INTO benchmark (suite, name, unit, dimension)
             SELECT $1, n, u, d FROM UNNEST($2::text[], $3::text[], $4::text[]) AS t(n, u, d)
             ON CONFLICT (suite, name, unit) DO NOTHING",
        )
        .bind(&run.suite)
        .bind(&names)
        .bind(&units)
        .bind(&dimensions)
        .execute(&mut *tx)
        .await?;
        let col = |f: fn(&BenchmarkResult) -> Option<f64>| -> Vec<Option<f64>> {
            b.iter().map(f).collect()
        };
        let samples: Vec<String> = b.iter().map(|x| float_array_literal(&x.samples)).collect();
        let mut usage = Vec::with_capacity(b.len());
        let mut exec_env = Vec::with_capacity(b.len());
        for x in b {
            usage.push(serde_json::to_string(&x.usage)?);
            exec_env.push(serde_json::to_string(&x.execution_environment)?);
        }
        sqlx::query(
            "INSERT INTO result (run_id, benchmark_id, runtime, position, environment_id, measured_at, status, failure, n,
                                 median, mean, stddev, min, max, q1, q3, mad, ci_low, ci_high,
                                 adjusted_median, adjusted_ci_low, adjusted_ci_high, samples, usage, execution_environment)
             SELECT $1, bm.id, t.runtime, t.position, $2, t.measured_at, t.status, t.failure, t.n,
                    t.median, t.mean, t.stddev, t.min, t.max, t.q1, t.q3, t.mad, t.ci_low, t.ci_high,
                    t.adjusted_median, t.adjusted_ci_low, t.adjusted_ci_high,
                    t.samples::float8[], t.usage::jsonb, t.exec_env::jsonb
             FROM UNNEST($3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::text[], $9::text[], $10::int[],
                         $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::float8[], $17::float8[],
                         $18::float8[], $19::float8[], $20::float8[], $21::float8[], $22::float8[], $23::float8[],
                         $24::text[], $25::text[], $26::text[])
                  AS t(name, unit, runtime, position, measured_at, status, failure, n,
                       median, mean, stddev, min, max, q1, q3, mad, ci_low, ci_high,
                       adjusted_median, adjusted_ci_low, adjusted_ci_high, samples, usage, exec_env)
             JOIN benchmark bm ON bm.suite = $27 AND bm.name = t.name AND bm.unit = t.unit
             ON CONFLICT DO NOTHING",
        )
        .bind(run.run_id.as_uuid())
        .bind(environment_id)
        .bind(&names)
        .bind(&units)
        .bind(b.iter().map(|x| x.runtime.as_str().to_string()).collect::<Vec<_>>())
        .bind((0..b.len() as i32).collect::<Vec<i32>>())
        .bind(b.iter().map(|x| x.measured_at).collect::<Vec<_>>())
        .bind(b.iter().map(|x| x.status.as_str().to_string()).collect::<Vec<_>>())
        .bind(b.iter().map(|x| x.failure.clone()).collect::<Vec<_>>())
        .bind(b.iter().map(|x| x.n as i32).collect::<Vec<i32>>())
        .bind(col(|x| x.median))
        .bind(col(|x| x.mean))
        .bind(col(|x| x.stddev))
        .bind(col(|x| x.min))
        .bind(col(|x| x.max))
        .bind(col(|x| x.q1))
        .bind(col(|x| x.q3))
        .bind(col(|x| x.mad))
        .bind(col(|x| x.ci_low))
        .bind(col(|x| x.ci_high))
        .bind(col(|x| x.adjusted_median))
        .bind(col(|x| x.adjusted_ci_low))
        .bind(col(|x| x.adjusted_ci_high))
        .bind(&samples)
        .bind(&usage)
        .bind(&exec_env)
        .bind(&run.suite)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SaveOutcome::Inserted)
    }

    pub async fn load_run(&self, id: RunId) -> Result<Option<RunReport>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT tag, suite, context, started_at, finished_at, calibration_profile_id,
                    environment::text AS environment, notices::text AS notices, labels::text AS labels
             FROM run WHERE id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT b.name, b.unit, b.dimension, r.runtime, r.measured_at, r.status, r.failure, r.n,
                    r.median, r.mean, r.stddev, r.min, r.max, r.q1, r.q3, r.mad, r.ci_low, r.ci_high,
                    r.adjusted_median, r.adjusted_ci_low, r.adjusted_ci_high, r.samples,
                    r.usage::text AS usage, r.execution_environment::text AS execution_environment
             FROM result r JOIN benchmark b ON b.id = r.benchmark_id WHERE r.run_id = $1 ORDER BY r.position",
        )
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await?;
        let benchmarks = rows
            .iter()
            .map(result_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(RunReport {
            schema_version: SCHEMA_VERSION,
            run_id: id,
            tag: row.try_get("tag")?,
            suite: row.try_get("suite")?,
            context: row.try_get("context")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            environment: serde_json::from_str(row.try_get("environment")?)?,
            calibration_profile_id: row.try_get("calibration_profile_id")?,
            benchmarks,
            notices: serde_json::from_str(row.try_get("notices")?)?,
            labels: serde_json::from_str(row.try_get("labels")?)?,
        }))
    }

    pub async fn list_runs(&self, limit: i64) -> Result<Vec<RunListing>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.tag, r.suite, r.context, r.started_at,
                    (SELECT COUNT(*) FROM result x WHERE x.run_id = r.id) AS results,
                    (SELECT COUNT(*) FROM result x WHERE x.run_id = r.id AND x.status = 'failed') AS failed
             FROM run r ORDER BY r.started_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RunListing {
                    run_id: RunId::from(row.try_get::<Uuid, _>("id")?),
                    tag: row.try_get("tag")?,
                    suite: row.try_get("suite")?,
                    context: row.try_get("context")?,
                    started_at: row.try_get("started_at")?,
                    results: row.try_get("results")?,
                    failed: row.try_get("failed")?,
                })
            })
            .collect()
    }

    pub(crate) async fn runs_where(&self, filter: RunFilter<'_>) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<Uuid> = match filter {
            RunFilter::Latest => {
                sqlx::query_scalar("SELECT id FROM run ORDER BY started_at DESC LIMIT 1")
                    .fetch_all(&self.pool)
                    .await?
            }
            RunFilter::Tag(tag) => {
                sqlx::query_scalar("SELECT id FROM run WHERE tag = $1 ORDER BY started_at")
                    .bind(tag)
                    .fetch_all(&self.pool)
                    .await?
            }
            RunFilter::IdPrefix(prefix) => {
                sqlx::query_scalar(
                    "SELECT id FROM run WHERE id::text LIKE $1 || '%' ORDER BY started_at",
                )
                .bind(prefix)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(ids.into_iter().map(RunId::from).collect())
    }

    pub async fn runs_with_benchmark(&self, name: &str) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT r.id FROM run r WHERE EXISTS (SELECT 1 FROM result x JOIN benchmark b ON b.id = x.benchmark_id
                                                  WHERE x.run_id = r.id AND b.name = $1) ORDER BY r.started_at",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(RunId::from).collect())
    }

    pub async fn save_profile(&self, p: &CalibrationProfile) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO calibration_profile (id, profile_key, created_at, host_fingerprint, engine, container, profile)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb)
             ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
        )
        .bind(&p.profile_id)
        .bind(if p.aa { format!("aa:{}", p.profile_key) } else { p.profile_key.clone() })
        .bind(p.created_at)
        .bind(&p.host_fingerprint)
        .bind(serde_json::to_string(&p.engine)?)
        .bind(serde_json::to_string(&p.container)?)
        .bind(serde_json::to_string(p)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn profile_history(
        &self,
        key: &str,
        limit: usize,
    ) -> Result<Vec<CalibrationProfile>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT profile::text FROM calibration_profile WHERE profile_key = $1 ORDER BY created_at DESC LIMIT $2",
        )
        .bind(key)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(StoreError::from))
            .collect()
    }

    pub async fn status(&self) -> Result<StoreStatus, StoreError> {
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool);
        Ok(StoreStatus {
            backend: "postgres".into(),
            mode: self.mode.clone(),
            schema_version: count("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations").await?,
            runs: count("SELECT COUNT(*) FROM run").await?,
            results: count("SELECT COUNT(*) FROM result").await?,
            samples: count("SELECT COALESCE(SUM(n), 0)::bigint FROM result").await?,
            calibration_profiles: count("SELECT COUNT(*) FROM calibration_profile").await?,
        })
    }
}

fn result_from_row(row: &PgRow) -> Result<BenchmarkResult, StoreError> {
    let own = BackendColumns {
        measured_at: row.try_get("measured_at")?,
        n: i64::from(row.try_get::<i32, _>("n")?),
        samples: row.try_get("samples")?,
    };
    row::result_from_row(row, own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_literals_round_trip() {
        let v = [0.1, 1.0 / 3.0, 1e-300, 123456.789];
        let lit = float_array_literal(&v);
        let parsed: Vec<f64> = lit
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect();
        assert_eq!(parsed.len(), v.len());
        for (a, b) in v.iter().zip(parsed) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(float_array_literal(&[]), "{}");
    }
}
