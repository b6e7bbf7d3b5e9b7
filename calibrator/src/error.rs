use thiserror::Error;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatsError {
    /// Too few observations for the statistic.
    #[error("need at least {needed} samples, got {got}")]
    TooFewSamples { needed: usize, got: usize },
    /// An observation is NaN or infinite.
    #[error("sample {index} is not a finite number")]
    NotFinite { index: usize },
    /// A ratio or logarithm needs strictly positive values.
    #[error("sample {index} is not strictly positive")]
    NotPositive { index: usize },
    /// A parameter is outside its range (confidence level, resample count...).
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
}

/// Checks that every value is finite and that there are at least `needed` of them.
pub fn check_samples(samples: &[f64], needed: usize) -> Result<(), StatsError> {
    if samples.len() < needed {
        return Err(StatsError::TooFewSamples {
            needed,
            got: samples.len(),
        });
    }
    match samples.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite { index }),
        None => Ok(()),
    }
}

/// Checks that every value is finite and strictly positive.
pub fn check_positive(samples: &[f64], needed: usize) -> Result<(), StatsError> {
    check_samples(samples, needed)?;
    match samples.iter().position(|v| *v <= 0.0) {
        Some(index) => Err(StatsError::NotPositive { index }),
        None => Ok(()),
    }
}
