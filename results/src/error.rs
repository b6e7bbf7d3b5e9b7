use std::path::PathBuf;

use thiserror::Error;

use crate::redact::redact_text;

/// Failures of a store or the spool. Database URLs in messages are always redacted.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot reach the database at {url}: {message}\n  hint: check that the server runs and the URL is right (--db or CALIBENCH_DATABASE_URL)")]
    Unreachable { url: String, message: String },
    #[error("unsupported database URL `{url}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl { url: String },
    #[error("database error: {message}")]
    Database {
        /// The driver's message, redacted.
        message: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("applying migrations failed: {0}")]
    Migration(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{path}: {message}")]
    Spool { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// Whether the failure is about reaching the database (exit 3) rather than its data.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable { .. } | StoreError::Database { .. } | StoreError::Migration(_)
        )
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database {
            message: redact_text(&e.to_string()),
            source: e,
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
