//! Where benchmarks run. The runner drives every backend through `Executor` and does not
//! know which one it holds.

pub mod docker;
pub mod host;
pub mod inner;

use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;

use crate::events::{EventSink, Measurement};

/// A failure of the execution environment itself (not of a benchmark): exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExecutorError {
    pub message: String,
}

impl ExecutorError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Runs whole benchmarks on one runtime.
pub trait Executor {
    fn runtime(&self) -> Runtime;

    /// Measures one benchmark: warm-ups, runs, failure handling; reports progress to `sink`.
    fn measure(
        &mut self,
        bench: &Benchmark,
        sink: &mut dyn EventSink,
    ) -> Result<(Measurement, ExecutionEnvironment), ExecutorError>;
}
