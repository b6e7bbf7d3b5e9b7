//! Bare metal: each run is a fresh process on this machine.

use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;

use super::block::run_block;
use super::{Block, Executor, ExecutorError};
use crate::launch::{HostLauncher, Launcher};

/// Runs benchmarks directly on the host, pinned to `launcher.cpus` when set. (Tests of
/// the scheduler give it a deterministic launcher instead.)
pub struct HostExecutor<L: Launcher = HostLauncher> {
    pub launcher: L,
    /// The CPU list as the user wrote it, recorded with results.
    pub cpuset: Option<String>,
}

impl<L: Launcher> Executor for HostExecutor<L> {
    fn runtime(&self) -> Runtime {
        Runtime::Host
    }

    fn begin(&mut self, _: &Benchmark) -> Result<(), ExecutorError> {
        Ok(())
    }

    fn block(
        &mut self,
        bench: &Benchmark,
        first: usize,
        count: usize,
        warmup: bool,
    ) -> Result<Block, ExecutorError> {
        Ok(run_block(
            &mut self.launcher,
            bench,
            first,
            count,
            warmup,
            false,
        ))
    }

    fn end(&mut self, _: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
        Ok(ExecutionEnvironment::host(self.cpuset.clone()))
    }
}
