//! Bare metal: each run is a fresh process on this machine; a service benchmark's
//! server runs here for the whole benchmark and each run is a load window against it.

use calibench_results::{ExecutionEnvironment, NetworkPath, Runtime};
use calibench_suites::Benchmark;

use super::block::run_block;
use super::{Block, Executor, ExecutorError, Runs};
use crate::launch::{HostLauncher, Launcher};
use crate::service::host::HostServer;
use crate::service::ready::wait_ready;
use crate::service::{side_port, spec_of, ServiceRun};

/// Runs benchmarks directly on the host, pinned to `launcher.cpus` when set. (Tests of
/// the scheduler give it a deterministic launcher instead.)
pub struct HostExecutor<L: Launcher = HostLauncher> {
    pub launcher: L,
    /// The CPU list as the user wrote it, recorded with results.
    pub cpuset: Option<String>,
    /// The current service benchmark's server and load generator, or why its server
    /// could not be started (a failure of the benchmark, reported by its blocks).
    service: Option<Result<(HostServer, ServiceRun), String>>,
}

impl<L: Launcher> HostExecutor<L> {
    pub fn new(launcher: L, cpuset: Option<String>) -> Self {
        Self {
            launcher,
            cpuset,
            service: None,
        }
    }
}

impl<L: Launcher> Executor for HostExecutor<L> {
    fn runtime(&self) -> Runtime {
        Runtime::Host
    }

    fn begin(&mut self, bench: &Benchmark) -> Result<(), ExecutorError> {
        let Some(spec) = spec_of(bench) else {
            return Ok(());
        };
        let rt = ServiceRun::runtime()?;
        let started = (|| {
            let port = side_port(spec, true)?;
            let mut server = HostServer::start(&mut self.launcher, bench, &spec.argv_for(port))
                .map_err(|e| e.to_string())?;
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            wait_ready(&rt, addr, &spec.ready, spec.ready_timeout, || {
                server.check_alive()
            })?;
            Ok((server, addr))
        })();
        self.service = Some(
            started
                .map(|(server, addr)| (server, ServiceRun::new(rt, addr, NetworkPath::Loopback))),
        );
        Ok(())
    }

    fn block(
        &mut self,
        bench: &Benchmark,
        first: usize,
        runs: Runs,
    ) -> Result<Block, ExecutorError> {
        match (spec_of(bench), self.service.as_mut()) {
            (Some(spec), Some(Ok((server, run)))) => {
                return Ok(run.windows(spec, first, runs.count, runs.warmup, || {
                    server.check_alive()
                }))
            }
            (Some(_), Some(Err(why))) => return Ok(Block::failed(why.clone())),
            _ => {}
        }
        Ok(run_block(&mut self.launcher, bench, first, runs, false))
    }

    fn end(&mut self, bench: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
        let mut env = ExecutionEnvironment::host(self.cpuset.clone());
        if let Some(Ok((mut server, run))) = self.service.take() {
            server.stop();
            env.service = spec_of(bench).map(|spec| run.report(spec));
        }
        Ok(env)
    }
}
