//! Docker: each benchmark gets a fresh container of the run's spec that idles until
//! removed; every block of runs is a `calibench inner` process entered with exec, which
//! measures with the same launcher as the host and prints the block as JSON. A long-lived
//! container lets the runner alternate host and container blocks; one container per
//! benchmark keeps each benchmark's cgroup figures (memory peak, OOM kills) its own.

use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;

use super::{Block, Executor, ExecutorError};
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
        }
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
        count: usize,
        warmup: bool,
    ) -> Result<Vec<String>, ExecutorError> {
        let json = serde_json::to_string(bench).map_err(|e| ExecutorError::new(e.to_string()))?;
        let mut cmd = vec![
            self.factory.exe.display().to_string(),
            "inner".into(),
            "--first".into(),
            first.to_string(),
            "--count".into(),
            count.to_string(),
            "--benchmark".into(),
            json,
        ];
        if warmup {
            cmd.push("--warmup".into());
        }
        Ok(cmd)
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
        Ok(())
    }

    fn block(
        &mut self,
        bench: &Benchmark,
        first: usize,
        count: usize,
        warmup: bool,
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
            return Ok(run.windows(spec, first, count, warmup, || {
                handle.block_on(check_alive(factory, &id))
            }));
        }
        let cmd = self.command(bench, first, count, warmup)?;
        let out = match self.handle.block_on(self.factory.exec(&id, cmd)) {
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
        let why = self.died_because(&id).unwrap_or_else(|| {
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

    fn end(&mut self, bench: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
        let service = self.service.take();
        if let (Some(Err(_)), None) = (&service, &self.container) {
            // The server exited at once and its container is gone already.
            let mut env = ExecutionEnvironment::host(
                self.spec.cpuset.as_ref().map(|c| c.as_str().to_string()),
            );
            env.runtime = Runtime::Docker;
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
        Ok(ExecutionEnvironment {
            runtime: Runtime::Docker,
            pinned_cpus: self.spec.cpuset.as_ref().map(|c| c.as_str().to_string()),
            container_id: Some(id),
            image: Some(self.factory.image.clone()),
            image_id: inspected
                .image
                .clone()
                .or_else(|| Some(self.image_id.clone())),
            engine_version: Some(self.factory.engine.facts.engine_version.clone()),
            limits: inspected.host_config.as_ref().map(applied_limits),
            cgroup: None,
            overhead_pct: None,
            overhead_ci_low_pct: None,
            overhead_ci_high_pct: None,
            paired_with_host: None,
            not_adjustable: None,
            service: service
                .and_then(Result::ok)
                .zip(spec_of(bench))
                .map(|(run, spec)| run.report(spec)),
            network_added_us: None,
        })
    }
}
