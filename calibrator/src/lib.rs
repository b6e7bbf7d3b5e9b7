//! Pure statistics for calibench: summaries, bootstrap confidence intervals, container
//! overhead and release comparisons.
//!
//! Every function takes plain slices and returns `Result`/`Option`: nothing here does IO,
//! and no function returns a non-finite number as a value.

pub mod bootstrap;
pub mod compare;
pub mod error;
pub mod overhead;
pub mod summary;

pub use bootstrap::{bootstrap_ci, bootstrap_median_ci, ConfidenceInterval, DEFAULT_RESAMPLES};
pub use compare::{
    benjamini_hochberg, classify, compare_samples, mann_whitney_p, Change, Comparison,
};
pub use error::StatsError;
pub use overhead::{adjust, paired_overhead, pairs_needed, verdict, Adjusted, Overhead, Verdict};
pub use summary::{median, quantile, Summary};
