//! Pure statistics for calibench: summaries, bootstrap confidence intervals, container
//! overhead and release comparisons.
//!
//! Every function takes plain slices and returns `Result`/`Option`: nothing here does IO,
//! and no function returns a non-finite number as a value.

pub mod bootstrap;
pub mod error;
pub mod summary;

pub use bootstrap::{bootstrap_median_ci, ConfidenceInterval, DEFAULT_RESAMPLES};
pub use error::StatsError;
pub use summary::{median, quantile, Summary};
