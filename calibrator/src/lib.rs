//! Pure statistics for calibench: summaries, bootstrap confidence intervals, container
//! overhead and release comparisons.
//!
//! Every function takes plain slices and returns `Result`/`Option`: nothing here does IO,
//! and no function returns a non-finite number as a value.

pub mod between;
pub mod bootstrap;
pub mod compare;
pub mod comparison;
pub mod dimension;
pub mod distributions;
pub mod error;
pub mod limits;
pub mod median_ci;
pub mod median_ratio;
pub mod mixture;
pub mod overhead;
pub mod paired;
pub mod placement;
pub mod pool;
pub mod rounds;
pub mod seed;
pub mod summary;

pub use bootstrap::{
    bootstrap_ci, bootstrap_median_ci, expanded_mean_ci, replicates, ConfidenceInterval,
    CONFIDENCE, DEFAULT_RESAMPLES,
};
pub use compare::{
    benjamini_hochberg, classify, compare_samples, judge_suite, mann_whitney_p, Change, Comparison,
    Judged, Noise, Replication, SamplePair,
};
pub use dimension::Dimension;
pub use error::StatsError;
pub use limits::{limit_free, LimitFree, LimitedRun};
pub use median_ci::median_ci;
pub use median_ratio::paired_median_overhead;
pub use mixture::mixed;
pub use overhead::{
    adjust, paired_overhead, pairs_needed, verdict, Adjusted, Overhead, OverheadInterval, Verdict,
};
pub use paired::judge_paired;
pub use placement::{placement, Placement};
pub use pool::{drift, pool, predict, Drift, LogEstimate, Pooled, MIN_BETWEEN_PROBE_SD};
pub use rounds::{AbbaOrder, Progress, StopReason, StoppingRule};
pub use summary::{median, quantile, Summary};
