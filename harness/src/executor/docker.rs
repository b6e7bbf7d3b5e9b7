//! Docker: each benchmark gets a fresh container of the run's spec that idles until
//! removed; every block of runs is a `calibench inner` process entered with exec, which
//! measures with the same launcher as the host and prints the block as JSON. A long-lived
//! container lets the runner alternate host and container blocks; one container per
//! benchmark keeps each benchmark's cgroup figures (memory peak, OOM kills) its own.
//! Under a CPU quota a run's executor may also pair each block, from a command's first
//! throttled block on, with the same block in a quota-free twin container, to measure the
//! quota's effect on the work (`quota_twin`).

use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::{Benchmark, BenchmarkKind};

use super::quota_twin::{throttled, QuotaTwin};
use super::{Block, Executor, ExecutorError, Runs};
use crate::docker::cleanup::remove;
use crate::docker::launch::ContainerFactory;
use crate::docker::spec::{applied_limits, ContainerSpec};
use crate::service::container::{check_alive, start as start_server};
use crate::service::ready::wait_ready;
use crate::service::{spec_of, ServiceRun};

/// Runs benchmarks in containers on one engine.
pub struct DockerExecutor {
    /// Creates the run's containers (image, mounts, labels).
    pub factory: ContainerFactory,
    pub handle: tokio::runtime::Handle,
    pub spec: ContainerSpec,
    pub image_id: String,
    /// The current benchmark's container.
    pub container: Option<String>,
    /// The current service benchmark's load generator (its server is `container`), or
    /// why the server did not get ready (a failure of the benchmark).
    service: Option<Result<ServiceRun, String>>,
    /// Whether command benchmarks under a CPU quota get a quota-free twin.
    measure_quota_effect: bool,
    /// The current benchmark's twin container, and whether it was started.
    twin: Option<QuotaTwin>,
    twin_tried: bool,
}

impl DockerExecutor {
    pub fn new(
        factory: ContainerFactory,
        handle: tokio::runtime::Handle,
        spec: ContainerSpec,
        image_id: String,
    ) -> Self {
        Self {
            factory,
            handle,
            spec,
            image_id,
            container: None,
            service: None,
            measure_quota_effect: false,
            twin: None,
            twin_tried: false,
        }
    }

    /// Pairs each block of a command benchmark, from its first throttled block on, with
    /// the same block in a twin container without the CPU quota, when the spec has one
    /// (`quota_twin`): the twin's blocks add to the container side's time, so only where
    /// the effect is wanted (`run`, not `ab`).
    pub fn measuring_quota_effect(mut self) -> Self {
        self.measure_quota_effect = self.spec.nano_cpus.is_some();
        self
    }

    /// Starts the quota-free twin of the current benchmark's container and warms it with
    /// one discarded run.
    fn begin_twin(&mut self, bench: &Benchmark, first: usize) -> Result<(), ExecutorError> {
        let mut spec = self.spec.clone();
        spec.nano_cpus = None;
        let id = self
            .handle
            .block_on(self.factory.start_session(&spec))
            .map_err(|e| {
                ExecutorError::new(format!(
                    "benchmark `{}`: the quota-free twin container: {e}",
                    bench.name
                ))
            })?;
        self.twin = Some(QuotaTwin::new(id.clone()));
        let warm = self.exec_block(&id, bench, first, Runs::warmup(1))?;
        if let (Some(t), Some(f)) = (self.twin.as_mut(), warm.failure) {
            t.stopped = Some(format!("its warm-up failed: {f}"));
        }
        Ok(())
    }

    /// Starts the server container of a service benchmark and waits until it is ready.
    fn begin_service(&mut self, bench: &Benchmark) -> Result<(), ExecutorError> {
        let Some(spec) = spec_of(bench) else {
            return Ok(());
        };
        let fail = |e: String| ExecutorError::new(format!("benchmark `{}`: {e}", bench.name));
        let server = match self
            .handle
            .block_on(start_server(&self.factory, &self.spec, bench, spec))
            .map_err(|e| fail(e.message))?
        {
            Ok(server) => server,
            Err(why) => {
                self.service = Some(Err(why));
                return Ok(());
            }
        };
        self.container = Some(server.id.clone());
        let rt = ServiceRun::runtime()?;
        let (handle, factory) = (&self.handle, &self.factory);
        let ready = wait_ready(&rt, server.addr, &spec.ready, spec.ready_timeout, || {
            handle.block_on(check_alive(factory, &server.id))
        });
        self.service = Some(ready.map(|_| ServiceRun::new(rt, server.addr, server.path)));
        Ok(())
    }

    fn command(
        &self,
        bench: &Benchmark,
        first: usize,
        runs: Runs,
    ) -> Result<Vec<String>, ExecutorError> {
        let json = serde_json::to_string(bench).map_err(|e| ExecutorError::new(e.to_string()))?;
        let mut cmd = vec![
            self.factory.exe.display().to_string(),
            "inner".into(),
            "--first".into(),
            first.to_string(),
            "--count".into(),
            runs.count.to_string(),
            "--settle".into(),
            runs.settle.to_string(),
            "--benchmark".into(),
            json,
        ];
        if runs.warmup {
            cmd.push("--warmup".into());
        }
        Ok(cmd)
    }

    /// One block of `calibench inner` runs in container `id`.
    fn exec_block(
        &self,
        id: &str,
        bench: &Benchmark,
        first: usize,
        runs: Runs,
    ) -> Result<Block, ExecutorError> {
        let cmd = self.command(bench, first, runs)?;
        let out = match self.handle.block_on(self.factory.exec(id, cmd)) {
            Ok(out) => out,
            Err(e) if crate::launch::interrupted() => {
                return Ok(Block {
                    failure: Some(format!("interrupted ({e})")),
                    ..Block::default()
                })
            }
            Err(e) => return Err(e),
        };
        if let Some(block) = out
            .stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Block>(l.trim()).ok())
        {
            return Ok(block);
        }
        // `calibench inner` itself did not finish: say why, from the engine if it knows.
        let why = self.died_because(id).unwrap_or_else(|| {
            format!(
                "calibench inner exited with {} before reporting",
                out.exit_code
                    .map_or("no status".into(), |c| format!("status {c}"))
            )
        });
        Ok(Block {
            failure: Some(format!("{why}; stderr: {}", out.stderr.trim())),
            ..Block::default()
        })
    }

    /// The CPUs the container is pinned to, as the environment records them.
    fn pinned_cpus(&self) -> Option<String> {
        self.spec.cpuset.as_ref().map(|c| c.as_str().to_string())
    }

    /// Why the container stopped answering, when the engine knows (the OOM killer).
    fn died_because(&self, id: &str) -> Option<String> {
        let inspected = self
            .handle
            .block_on(self.factory.engine.docker.inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            ))
            .ok()?;
        let state = inspected.state?;
        if state.oom_killed == Some(true) {
            return Some("OOM-killed: the container exceeded its memory limit".into());
        }
        (state.running == Some(false)).then(|| {
            format!(
                "the container stopped (exit code {})",
                state.exit_code.unwrap_or(-1)
            )
        })
    }
}

impl Executor for DockerExecutor {
    fn runtime(&self) -> Runtime {
        Runtime::Docker
    }

    fn begin(&mut self, bench: &Benchmark) -> Result<(), ExecutorError> {
        if crate::launch::interrupted() {
            return Err(ExecutorError::new("interrupted"));
        }
        if spec_of(bench).is_some() {
            return self.begin_service(bench);
        }
        let id = self
            .handle
            .block_on(self.factory.start_session(&self.spec))
            .map_err(|e| ExecutorError::new(format!("benchmark `{}`: {e}", bench.name)))?;
        self.container = Some(id);
        self.twin_tried = false;
        Ok(())
    }

    fn block(
        &mut self,
        bench: &Benchmark,
        first: usize,
        runs: Runs,
    ) -> Result<Block, ExecutorError> {
        if let (Some(_), Some(Err(why))) = (spec_of(bench), self.service.as_ref()) {
            return Ok(Block::failed(why.clone()));
        }
        let id = self
            .container
            .clone()
            .ok_or_else(|| ExecutorError::new("no container: begin() was not called"))?;
        if let (Some(spec), Some(Ok(run))) = (spec_of(bench), self.service.as_mut()) {
            let (handle, factory) = (&self.handle, &self.factory);
            return Ok(run.windows(spec, first, runs.count, runs.warmup, || {
                handle.block_on(check_alive(factory, &id))
            }));
        }
        let twin = self
            .twin
            .as_ref()
            .filter(|t| t.stopped.is_none())
            .map(|t| (t.id.clone(), t.twin_first()));
        let Some((twin_id, twin_first)) = twin else {
            let block = self.exec_block(&id, bench, first, runs)?;
            // The twin starts at the first measured block the quota throttled. Only
            // commands: a throttled probe is not adjusted, and a criterion benchmark
            // reports its own statistics.
            if self.measure_quota_effect
                && !self.twin_tried
                && !runs.warmup
                && matches!(bench.kind, BenchmarkKind::Command { .. })
                && throttled(&block)
            {
                self.twin_tried = true;
                self.begin_twin(bench, first + block.samples.len())?;
            }
            return Ok(block);
        };
        let (limited, free) = if twin_first {
            let free = self.exec_block(&twin_id, bench, first, runs)?;
            (self.exec_block(&id, bench, first, runs)?, free)
        } else {
            let limited = self.exec_block(&id, bench, first, runs)?;
            (limited, self.exec_block(&twin_id, bench, first, runs)?)
        };
        if !runs.warmup {
            if let Some(t) = self.twin.as_mut() {
                t.record(&limited, &free);
            }
        }
        Ok(limited)
    }

    fn end(&mut self, bench: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
        let service = self.service.take();
        let twin = self.twin.take();
        let quota_effect = twin.as_ref().and_then(QuotaTwin::effect);
        let twin_removed = twin.as_ref().map_or(Ok(()), |t| {
            self.handle
                .block_on(remove(&self.factory.engine.docker, &t.id))
                .map_err(|e| ExecutorError::new(format!("removing container {} failed: {e}", t.id)))
        });
        if let (Some(Err(_)), None) = (&service, &self.container) {
            // The server exited at once and its container is gone already.
            let mut env = ExecutionEnvironment::bare(Runtime::Docker, self.pinned_cpus());
            env.image = Some(self.factory.image.clone());
            env.engine_version = Some(self.factory.engine.facts.engine_version.clone());
            return Ok(env);
        }
        let Some(id) = self.container.take() else {
            return Err(ExecutorError::new("no container: begin() was not called"));
        };
        let docker = &self.factory.engine.docker;
        let inspected = self.handle.block_on(docker.inspect_container(
            &id,
            None::<bollard::query_parameters::InspectContainerOptions>,
        ));
        // Removal runs on success, failure and timeout alike; an interruption is handled
        // by the run's signal handler, and `calibench gc` catches the rest.
        let removed = self.handle.block_on(remove(docker, &id));
        let inspected = inspected
            .map_err(|e| ExecutorError::new(format!("inspecting container {id} failed: {e}")))?;
        removed.map_err(|e| ExecutorError::new(format!("removing container {id} failed: {e}")))?;
        twin_removed?;
        Ok(ExecutionEnvironment {
            container_id: Some(id),
            image: Some(self.factory.image.clone()),
            image_id: inspected
                .image
                .clone()
                .or_else(|| Some(self.image_id.clone())),
            engine_version: Some(self.factory.engine.facts.engine_version.clone()),
            limits: inspected.host_config.as_ref().map(applied_limits),
            service: service
                .and_then(Result::ok)
                .zip(spec_of(bench))
                .map(|(run, spec)| run.report(spec)),
            quota_effect,
            ..ExecutionEnvironment::bare(Runtime::Docker, self.pinned_cpus())
        })
    }
}
