//! Docker: each benchmark runs in a fresh container of the run's spec, where the same
//! calibench binary (`calibench inner`) measures it with the same loop as the host and
//! streams events back on stdout. The container is removed whatever happens.

use bollard::container::LogOutput;
use bollard::query_parameters::{LogsOptionsBuilder, WaitContainerOptionsBuilder};
use calibench_results::{ExecutionEnvironment, Runtime};
use calibench_suites::Benchmark;
use futures_util::StreamExt;

use super::{Executor, ExecutorError};
use crate::docker::cleanup::remove;
use crate::docker::launch::ContainerFactory;
use crate::docker::spec::{applied_limits, ContainerSpec};
use crate::events::{Event, EventSink, Measurement};

const STDERR_TAIL: usize = 2048;

/// Runs benchmarks in containers on one engine.
pub struct DockerExecutor {
    /// Creates the run's containers (image, mounts, labels).
    pub factory: ContainerFactory,
    pub handle: tokio::runtime::Handle,
    pub spec: ContainerSpec,
    pub image_id: String,
}

/// What came back from one container.
struct ContainerRun {
    id: String,
    measurement: Option<Measurement>,
    stderr_tail: String,
    exit_code: Option<i64>,
    oom_killed: bool,
    env: ExecutionEnvironment,
}

impl DockerExecutor {
    fn command(&self, bench: &Benchmark) -> Result<Vec<String>, ExecutorError> {
        let json = serde_json::to_string(bench).map_err(|e| ExecutorError::new(e.to_string()))?;
        Ok(vec![
            self.factory.exe.display().to_string(),
            "inner".into(),
            "--benchmark".into(),
            json,
        ])
    }

    async fn run_container(
        &self,
        bench: &Benchmark,
        sink: &mut dyn EventSink,
    ) -> Result<ContainerRun, ExecutorError> {
        let docker = &self.factory.engine.docker;
        let id = self
            .factory
            .create(&self.spec, self.command(bench)?)
            .await
            .map_err(|e| ExecutorError::new(format!("benchmark `{}`: {e}", bench.name)))?;
        // An interruption between the runner's check and the create must not leave a
        // container that the interrupt handler's sweep has already missed.
        let result = if crate::launch::interrupted() {
            Err(ExecutorError::new("interrupted"))
        } else {
            self.drive(&id, sink).await
        };
        // Removal runs on success, failure and timeout alike; interruption is handled
        // by the run's signal handler, and `calibench gc` catches the rest.
        let removed = remove(docker, &id).await;
        let run = result?;
        removed.map_err(|e| ExecutorError::new(format!("removing container {id} failed: {e}")))?;
        Ok(run)
    }

    async fn drive(
        &self,
        id: &str,
        sink: &mut dyn EventSink,
    ) -> Result<ContainerRun, ExecutorError> {
        let docker = &self.factory.engine.docker;
        let engine_err = |what: &str, e: bollard::errors::Error| {
            ExecutorError::new(format!("{what} container {id} failed: {e}"))
        };
        docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
            .map_err(|e| engine_err("starting", e))?;
        let options = LogsOptionsBuilder::new()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = docker.logs(id, Some(options));
        let mut line = Vec::new();
        let mut stderr_tail = String::new();
        let mut measurement = None;
        while let Some(chunk) = logs.next().await {
            match chunk.map_err(|e| engine_err("reading the output of", e))? {
                LogOutput::StdOut { message } => {
                    for byte in message.iter() {
                        if *byte == b'\n' {
                            if let Ok(event) = serde_json::from_slice::<Event>(&line) {
                                match event {
                                    Event::Finished { measurement: m, .. } => measurement = Some(m),
                                    other => sink.event(&other),
                                }
                            }
                            line.clear();
                        } else {
                            line.push(*byte);
                        }
                    }
                }
                LogOutput::StdErr { message } => {
                    stderr_tail.push_str(&String::from_utf8_lossy(&message));
                    if stderr_tail.len() > STDERR_TAIL * 2 {
                        let cut = stderr_tail.len() - STDERR_TAIL;
                        let cut = (cut..stderr_tail.len())
                            .find(|i| stderr_tail.is_char_boundary(*i))
                            .unwrap_or(0);
                        stderr_tail = stderr_tail[cut..].to_string();
                    }
                }
                _ => {}
            }
        }
        let mut waits = docker.wait_container(id, Some(WaitContainerOptionsBuilder::new().build()));
        let mut exit_code = None;
        while let Some(w) = waits.next().await {
            match w {
                Ok(r) => exit_code = Some(r.status_code),
                Err(bollard::errors::Error::DockerContainerWaitError { code, .. }) => {
                    exit_code = Some(code)
                }
                Err(e) => return Err(engine_err("waiting for", e)),
            }
        }
        let inspected = docker
            .inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .map_err(|e| engine_err("inspecting", e))?;
        let oom_killed = inspected
            .state
            .as_ref()
            .and_then(|s| s.oom_killed)
            .unwrap_or(false);
        let env = ExecutionEnvironment {
            runtime: Runtime::Docker,
            pinned_cpus: self.spec.cpuset.clone(),
            container_id: Some(id.to_string()),
            image: Some(self.factory.image.clone()),
            image_id: inspected
                .image
                .clone()
                .or_else(|| Some(self.image_id.clone())),
            engine_version: Some(self.factory.engine.facts.engine_version.clone()),
            limits: inspected.host_config.as_ref().map(applied_limits),
            cgroup: None,
            overhead_pct: None,
        };
        Ok(ContainerRun {
            id: id.to_string(),
            measurement,
            stderr_tail,
            exit_code,
            oom_killed,
            env,
        })
    }
}

impl Executor for DockerExecutor {
    fn runtime(&self) -> Runtime {
        Runtime::Docker
    }

    fn measure(
        &mut self,
        bench: &Benchmark,
        sink: &mut dyn EventSink,
    ) -> Result<(Measurement, ExecutionEnvironment), ExecutorError> {
        let handle = self.handle.clone();
        let run = handle.block_on(self.run_container(bench, sink))?;
        let mut m = run.measurement.unwrap_or_else(|| Measurement {
            failure: Some(format!(
                "container {} exited with status {} before reporting a result; stderr: {}",
                &run.id[..12.min(run.id.len())],
                run.exit_code.map_or("unknown".into(), |c| c.to_string()),
                run.stderr_tail.trim()
            )),
            ..Measurement::default()
        });
        if run.oom_killed && !m.failure.as_deref().unwrap_or("").starts_with("OOM-killed") {
            let reason = m.failure.take().unwrap_or_default();
            m.failure = Some(format!(
                "OOM-killed: the container exceeded its memory limit; {reason}"
            ));
        }
        sink.event(&Event::Finished {
            name: bench.name.clone(),
            runtime: Runtime::Docker,
            measurement: m.clone(),
        });
        Ok((m, run.env))
    }
}
