//! Bare metal: each run is a fresh process on this machine.

use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;

use super::{Executor, ExecutorError};
use crate::events::{EventSink, Measurement};
use crate::launch::HostLauncher;
use crate::sampler::measure;

/// Runs benchmarks directly on the host, pinned to `launcher.cpus` when set.
pub struct HostExecutor {
    pub launcher: HostLauncher,
    /// The CPU list as the user wrote it, recorded with results.
    pub cpuset: Option<String>,
}

impl Executor for HostExecutor {
    fn runtime(&self) -> Runtime {
        Runtime::Host
    }

    fn measure(
        &mut self,
        bench: &Benchmark,
        sink: &mut dyn EventSink,
    ) -> Result<(Measurement, ExecutionEnvironment), ExecutorError> {
        let m = measure(&mut self.launcher, bench, Runtime::Host, sink);
        Ok((m, ExecutionEnvironment::host(self.cpuset.clone())))
    }
}
