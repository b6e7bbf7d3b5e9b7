//! Stores: one interface, a SQLite and a PostgreSQL implementation behind `Store`.
//!
//! `sqlx::Any` cannot carry PostgreSQL arrays or timestamptz, so each backend has its own
//! runtime-checked queries and its own migrations under `migrations/<backend>/`.

mod postgres;
mod row;
pub mod selector;
mod sqlite;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use self::selector::Selector;
use crate::error::StoreError;
use crate::ids::RunId;
use crate::model::RunReport;
use crate::profile::CalibrationProfile;
pub use crate::redact::redact_url;

/// Default store when neither `--db` nor `CALIBENCH_DATABASE_URL` is given.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://.calibench/results.db";

/// What saving a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Inserted,
    /// The run id was already stored; nothing was written.
    AlreadyStored,
}

/// One line of `calibench runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunListing {
    pub run_id: RunId,
    pub tag: Option<String>,
    pub suite: String,
    pub context: String,
    pub started_at: DateTime<Utc>,
    pub results: i64,
    pub failed: i64,
}

/// `calibench db status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreStatus {
    pub backend: String,
    /// `embedded`, `plain` or `timescale`.
    pub mode: String,
    pub schema_version: i64,
    pub runs: i64,
    pub results: i64,
    pub samples: i64,
    pub calibration_profiles: i64,
}

/// Which runs a backend query selects (oldest first, but for `Latest`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RunFilter<'a> {
    Latest,
    Tag(&'a str),
    IdPrefix(&'a str),
}

/// An open store.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens (and migrates) the store at `url`.
pub async fn open_store(url: &str) -> Result<Store, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Store::Sqlite(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Store::Postgres(PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl {
            url: redact_url(url),
        })
    }
}

impl Store {
    /// Stores a run in one transaction; the run id makes this idempotent.
    pub async fn save_run(&self, run: &RunReport) -> Result<SaveOutcome, StoreError> {
        run.check_finite().map_err(StoreError::Invalid)?;
        match self {
            Store::Sqlite(s) => s.save_run(run).await,
            Store::Postgres(s) => s.save_run(run).await,
        }
    }

    pub async fn load_run(&self, id: RunId) -> Result<Option<RunReport>, StoreError> {
        match self {
            Store::Sqlite(s) => s.load_run(id).await,
            Store::Postgres(s) => s.load_run(id).await,
        }
    }

    pub async fn list_runs(&self, limit: i64) -> Result<Vec<RunListing>, StoreError> {
        match self {
            Store::Sqlite(s) => s.list_runs(limit).await,
            Store::Postgres(s) => s.list_runs(limit).await,
        }
    }

    /// Run ids named by a selector: a run id (or a unique prefix of 8+ characters),
    /// `latest`, or a tag (all its runs, oldest first).
    pub async fn resolve(&self, selector: &str) -> Result<Vec<RunId>, StoreError> {
        match Selector::parse(selector) {
            Selector::Latest => self.runs_where(RunFilter::Latest).await,
            Selector::Named { tag, id_prefix } => {
                let tagged = self.runs_where(RunFilter::Tag(&tag)).await?;
                match id_prefix {
                    Some(prefix) if tagged.is_empty() => {
                        self.runs_where(RunFilter::IdPrefix(&prefix)).await
                    }
                    _ => Ok(tagged),
                }
            }
        }
    }

    async fn runs_where(&self, filter: RunFilter<'_>) -> Result<Vec<RunId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.runs_where(filter).await,
            Store::Postgres(s) => s.runs_where(filter).await,
        }
    }

    pub async fn status(&self) -> Result<StoreStatus, StoreError> {
        match self {
            Store::Sqlite(s) => s.status().await,
            Store::Postgres(s) => s.status().await,
        }
    }

    /// Runs holding a result of benchmark `name`, oldest first.
    pub async fn runs_with_benchmark(&self, name: &str) -> Result<Vec<RunId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.runs_with_benchmark(name).await,
            Store::Postgres(s) => s.runs_with_benchmark(name).await,
        }
    }

    /// Stores a calibration profile (replacing one with the same id).
    pub async fn save_profile(&self, p: &CalibrationProfile) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.save_profile(p).await,
            Store::Postgres(s) => s.save_profile(p).await,
        }
    }

    /// The newest non-A/A profile with this key.
    pub async fn find_profile(&self, key: &str) -> Result<Option<CalibrationProfile>, StoreError> {
        Ok(self.profile_history(key, 1).await?.into_iter().next())
    }

    /// The newest `limit` non-A/A profiles with this key, newest first.
    pub async fn profile_history(
        &self,
        key: &str,
        limit: usize,
    ) -> Result<Vec<CalibrationProfile>, StoreError> {
        match self {
            Store::Sqlite(s) => s.profile_history(key, limit).await,
            Store::Postgres(s) => s.profile_history(key, limit).await,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(s) => s.describe(),
            Store::Postgres(s) => s.describe(),
        }
    }
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Corrupt(format!("bad timestamp {us}")))
}
