//! Why a calibration could not finish.

use calibench_calibrator::StatsError;
use thiserror::Error;

use crate::executor::ExecutorError;
use crate::launch::LaunchError;

/// A calibration failure, naming the probe and side it is about.
#[derive(Debug, Error)]
pub enum CalibrationError {
    #[error("{probe} {side} failed: {reason}")]
    ProbeFailed {
        probe: String,
        /// `on the host` or `in the container`.
        side: &'static str,
        reason: String,
    },
    #[error("{probe} printed no report {side}")]
    NoReport { probe: String, side: &'static str },
    #[error("{what}: {source}")]
    Container {
        what: String,
        #[source]
        source: ExecutorError,
    },
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error("statistics: {0}")]
    Stats(#[from] StatsError),
    #[error("{0}")]
    Missing(String),
}

impl CalibrationError {
    pub fn container(what: impl Into<String>, source: ExecutorError) -> Self {
        CalibrationError::Container {
            what: what.into(),
            source,
        }
    }
}
