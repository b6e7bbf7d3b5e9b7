//! The embedded default store: one SQLite file, WAL mode, migrations applied on open.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
use sqlx::{Row, SqlitePool};

use super::row::{self, BackendColumns};
use super::{from_micros, micros, RunFilter, RunListing, SaveOutcome, StoreStatus};
use crate::error::StoreError;
use crate::ids::RunId;
use crate::model::*;
use crate::profile::CalibrationProfile;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    url: String,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let unreachable = |e: &dyn std::fmt::Display| StoreError::Unreachable {
            url: url.to_string(),
            message: e.to_string(),
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| unreachable(&e))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| unreachable(&e))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| unreachable(&e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(Self {
            pool,
            url: url.to_string(),
        })
    }

    pub fn describe(&self) -> String {
        self.url.clone()
    }

    pub async fn save_run(&self, run: &RunReport) -> Result<SaveOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        let host = &run.environment.host;
        sqlx::query(
            "INSERT INTO environment (fingerprint, cpu_model, logical_cores, physical_cores, memory_bytes, kernel, os, cpu_governor, smt, facts)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(&host.fingerprint)
        .bind(&host.cpu_model)
        .bind(host.logical_cores)
        .bind(host.physical_cores)
        .bind(host.memory_bytes as i64)
        .bind(&host.kernel)
        .bind(&host.os)
        .bind(&host.cpu_governor)
        .bind(host.smt)
        .bind(serde_json::to_string(host)?)
        .execute(&mut *tx)
        .await?;
        let environment_id: i64 =
            sqlx::query_scalar("SELECT id FROM environment WHERE fingerprint = ?")
                .bind(&host.fingerprint)
                .fetch_one(&mut *tx)
                .await?;
        let inserted = sqlx::query(
            "INSERT INTO run (id, tag, git_sha, git_dirty, suite, context, started_at, finished_at, harness_version, environment_id, calibration_profile_id, environment, notices, labels)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(run.run_id.to_string())
        .bind(&run.tag)
        .bind(run.environment.git.as_ref().map(|g| g.sha.clone()))
        .bind(run.environment.git.as_ref().map(|g| g.dirty))
        .bind(&run.suite)
        .bind(&run.context)
        .bind(micros(run.started_at))
        .bind(micros(run.finished_at))
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
        for (position, b) in run.benchmarks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO benchmark (suite, name, unit, dimension) VALUES (?, ?, ?, ?) ON CONFLICT (suite, name, unit) DO NOTHING",
            )
            .bind(&run.suite)
            .bind(&b.name)
            .bind(&b.unit)
            .bind(b.dimension.as_str())
            .execute(&mut *tx)
            .await?;
            let benchmark_id: i64 = sqlx::query_scalar(
                "SELECT id FROM benchmark WHERE suite = ? AND name = ? AND unit = ?",
            )
            .bind(&run.suite)
            .bind(&b.name)
            .bind(&b.unit)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO result (run_id, benchmark_id, runtime, position, environment_id, measured_at, status, failure, n,
                    median, mean, stddev, min, max, q1, q3, mad, ci_low, ci_high, adjusted_median, adjusted_ci_low, adjusted_ci_high,
                    samples, usage, execution_environment)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(run.run_id.to_string())
            .bind(benchmark_id)
            .bind(b.runtime.as_str())
            .bind(position as i64)
            .bind(environment_id)
            .bind(micros(b.measured_at))
            .bind(b.status.as_str())
            .bind(&b.failure)
            .bind(b.n as i64)
            .bind(b.median)
            .bind(b.mean)
            .bind(b.stddev)
            .bind(b.min)
            .bind(b.max)
            .bind(b.q1)
            .bind(b.q3)
            .bind(b.mad)
            .bind(b.ci_low)
            .bind(b.ci_high)
            .bind(b.adjusted_median)
            .bind(b.adjusted_ci_low)
            .bind(b.adjusted_ci_high)
            .bind(serde_json::to_string(&b.samples)?)
            .bind(serde_json::to_string(&b.usage)?)
            .bind(serde_json::to_string(&b.execution_environment)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SaveOutcome::Inserted)
    }

    pub async fn load_run(&self, id: RunId) -> Result<Option<RunReport>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT id, tag, suite, context, started_at, finished_at, calibration_profile_id, environment, notices, labels FROM run WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT b.name, b.unit, b.dimension, r.runtime, r.measured_at, r.status, r.failure, r.n,
                    r.median, r.mean, r.stddev, r.min, r.max, r.q1, r.q3, r.mad, r.ci_low, r.ci_high,
                    r.adjusted_median, r.adjusted_ci_low, r.adjusted_ci_high, r.samples, r.usage, r.execution_environment
             FROM result r JOIN benchmark b ON b.id = r.benchmark_id WHERE r.run_id = ? ORDER BY r.position",
        )
        .bind(id.to_string())
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
            started_at: from_micros(row.try_get("started_at")?)?,
            finished_at: from_micros(row.try_get("finished_at")?)?,
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
             FROM run r ORDER BY r.started_at DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(RunListing {
                    run_id: parse_id(row.try_get("id")?)?,
                    tag: row.try_get("tag")?,
                    suite: row.try_get("suite")?,
                    context: row.try_get("context")?,
                    started_at: from_micros(row.try_get("started_at")?)?,
                    results: row.try_get("results")?,
                    failed: row.try_get("failed")?,
                })
            })
            .collect()
    }

    pub(crate) async fn runs_where(&self, filter: RunFilter<'_>) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<String> = match filter {
            RunFilter::Latest => {
                sqlx::query_scalar("SELECT id FROM run ORDER BY started_at DESC LIMIT 1")
                    .fetch_all(&self.pool)
                    .await?
            }
            RunFilter::Tag(tag) => {
                sqlx::query_scalar("SELECT id FROM run WHERE tag = ? ORDER BY started_at")
                    .bind(tag)
                    .fetch_all(&self.pool)
                    .await?
            }
            RunFilter::IdPrefix(prefix) => {
                sqlx::query_scalar("SELECT id FROM run WHERE id LIKE ? || '%' ORDER BY started_at")
                    .bind(prefix)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        ids.into_iter().map(parse_id).collect()
    }

    pub async fn runs_with_benchmark(&self, name: &str) -> Result<Vec<RunId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT r.id FROM run r WHERE EXISTS (SELECT 1 FROM result x JOIN benchmark b ON b.id = x.benchmark_id
                                                  WHERE x.run_id = r.id AND b.name = ?) ORDER BY r.started_at",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        ids.into_iter().map(parse_id).collect()
    }

    pub async fn save_profile(&self, p: &CalibrationProfile) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO calibration_profile (id, profile_key, created_at, host_fingerprint, engine, container, profile)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET profile = excluded.profile",
        )
        .bind(&p.profile_id)
        .bind(if p.aa { format!("aa:{}", p.profile_key) } else { p.profile_key.clone() })
        .bind(micros(p.created_at))
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
            "SELECT profile FROM calibration_profile WHERE profile_key = ? ORDER BY created_at DESC LIMIT ?",
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
        let samples: Option<i64> = sqlx::query_scalar("SELECT SUM(n) FROM result")
            .fetch_one(&self.pool)
            .await?;
        Ok(StoreStatus {
            backend: "sqlite".into(),
            mode: "embedded".into(),
            schema_version: count("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations").await?,
            runs: count("SELECT COUNT(*) FROM run").await?,
            results: count("SELECT COUNT(*) FROM result").await?,
            samples: samples.unwrap_or(0),
            calibration_profiles: count("SELECT COUNT(*) FROM calibration_profile").await?,
        })
    }
}

fn parse_id(s: String) -> Result<RunId, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad run id `{s}`")))
}

fn result_from_row(row: &SqliteRow) -> Result<BenchmarkResult, StoreError> {
    let samples: String = row.try_get("samples")?;
    let own = BackendColumns {
        measured_at: from_micros(row.try_get("measured_at")?)?,
        n: row.try_get("n")?,
        samples: serde_json::from_str(&samples)?,
    };
    row::result_from_row(row, own)
}
