//! Lower-level container work shared by calibration: long-lived sessions entered with
//! exec (each exec a fresh process), and one-shot containers timed from create to
//! first output to removal.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use bollard::query_parameters::{LogsOptionsBuilder, WaitContainerOptionsBuilder};
use futures_util::StreamExt;

use super::cleanup::remove;
use super::engine::Engine;
use super::spec::{current_user, ContainerSpec, CreateContext};
use crate::executor::ExecutorError;

/// Everything needed to create calibench containers on one engine.
#[derive(Debug, Clone)]
pub struct ContainerFactory {
    pub engine: Engine,
    pub image: String,
    pub mirror_binds: Vec<String>,
    pub exe: PathBuf,
    pub workdir: PathBuf,
    pub run_id: String,
    pub role: &'static str,
}

/// The container's environment: the host's benchmark environment, so both sides
/// see the same locale and settings, plus `CALIBENCH_RUNTIME=docker`.
pub fn container_environment() -> Vec<String> {
    crate::benchenv::benchmark_environment()
        .into_iter()
        .filter(|(k, _)| k != "CALIBENCH_RUNTIME")
        .map(|(k, v)| format!("{k}={v}"))
        .chain(std::iter::once("CALIBENCH_RUNTIME=docker".to_string()))
        .collect()
}

/// Output of a finished process.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: Option<i64>,
}

impl ContainerFactory {
    /// Creates (does not start) a container of `spec` running `cmd`.
    pub async fn create(
        &self,
        spec: &ContainerSpec,
        cmd: Vec<String>,
    ) -> Result<String, ExecutorError> {
        let ctx = CreateContext {
            image: &self.image,
            cmd,
            exe: &self.exe,
            workdir: &self.workdir,
            mirror_binds: self.mirror_binds.clone(),
            run_id: &self.run_id,
            role: self.role,
            user: current_user(),
            env: container_environment(),
        };
        self.engine
            .docker
            .create_container(None, spec.create_body(&ctx))
            .await
            .map(|r| r.id)
            .map_err(|e| ExecutorError::new(format!("creating a container failed: {e}")))
    }

    /// Starts a container that idles until removed; probes enter it with exec.
    pub async fn start_session(&self, spec: &ContainerSpec) -> Result<String, ExecutorError> {
        let id = self
            .create(spec, vec![self.exe.display().to_string(), "idle".into()])
            .await?;
        if let Err(e) = self
            .engine
            .docker
            .start_container(
                &id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
        {
            let _ = remove(&self.engine.docker, &id).await;
            return Err(ExecutorError::new(format!(
                "starting container {id} failed: {e}"
            )));
        }
        Ok(id)
    }

    /// Runs `cmd` as a fresh process inside a running session container.
    pub async fn exec(&self, id: &str, cmd: Vec<String>) -> Result<Captured, ExecutorError> {
        let docker = &self.engine.docker;
        let fail = |e: bollard::errors::Error| {
            ExecutorError::new(format!("exec in container {id} failed: {e}"))
        };
        let exec = docker
            .create_exec(
                id,
                ExecConfig {
                    cmd: Some(cmd),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    env: Some(vec!["CALIBENCH_RUNTIME=docker".into()]),
                    working_dir: Some(self.workdir.display().to_string()),
                    user: Some(current_user()),
                    ..Default::default()
                },
            )
            .await
            .map_err(fail)?;
        let mut captured = Captured::default();
        if let StartExecResults::Attached { mut output, .. } = docker
            .start_exec(
                &exec.id,
                Some(StartExecOptions {
                    detach: false,
                    ..Default::default()
                }),
            )
            .await
            .map_err(fail)?
        {
            while let Some(chunk) = output.next().await {
                collect(&mut captured, chunk.map_err(fail)?);
            }
        }
        captured.exit_code = docker.inspect_exec(&exec.id).await.map_err(fail)?.exit_code;
        Ok(captured)
    }

    /// Runs `cmd` as the main process of a fresh container, timing create → first
    /// output and create → removed. The container is removed whatever happens.
    pub async fn one_shot(
        &self,
        spec: &ContainerSpec,
        cmd: Vec<String>,
    ) -> Result<(Captured, OneShotTimes), ExecutorError> {
        let docker = &self.engine.docker;
        let t0 = Instant::now();
        let id = self.create(spec, cmd).await?;
        let result = async {
            let fail = |e: bollard::errors::Error| {
                ExecutorError::new(format!("container {id} failed: {e}"))
            };
            docker
                .start_container(
                    &id,
                    None::<bollard::query_parameters::StartContainerOptions>,
                )
                .await
                .map_err(fail)?;
            let mut logs = docker.logs(
                &id,
                Some(
                    LogsOptionsBuilder::new()
                        .follow(true)
                        .stdout(true)
                        .stderr(true)
                        .build(),
                ),
            );
            let mut captured = Captured::default();
            let mut first_output = None;
            while let Some(chunk) = logs.next().await {
                first_output.get_or_insert_with(|| t0.elapsed());
                collect(&mut captured, chunk.map_err(fail)?);
            }
            let mut waits =
                docker.wait_container(&id, Some(WaitContainerOptionsBuilder::new().build()));
            while let Some(w) = waits.next().await {
                captured.exit_code = Some(match w {
                    Ok(r) => r.status_code,
                    Err(bollard::errors::Error::DockerContainerWaitError { code, .. }) => code,
                    Err(e) => return Err(fail(e)),
                });
            }
            Ok((captured, first_output))
        }
        .await;
        let removed = remove(docker, &id).await;
        let (captured, first_output) = result?;
        removed.map_err(|e| ExecutorError::new(format!("removing container {id} failed: {e}")))?;
        let times = OneShotTimes {
            create_to_first_output: first_output.unwrap_or_else(|| t0.elapsed()),
            create_to_removed: t0.elapsed(),
        };
        Ok((captured, times))
    }

    /// Removes a session container.
    pub async fn stop_session(&self, id: &str) -> Result<(), ExecutorError> {
        remove(&self.engine.docker, id)
            .await
            .map_err(|e| ExecutorError::new(format!("removing container {id} failed: {e}")))
    }
}

/// Phases of a one-shot container.
#[derive(Debug, Clone, Copy)]
pub struct OneShotTimes {
    pub create_to_first_output: Duration,
    pub create_to_removed: Duration,
}

fn collect(captured: &mut Captured, chunk: LogOutput) {
    match chunk {
        LogOutput::StdOut { message } => {
            captured.stdout.push_str(&String::from_utf8_lossy(&message))
        }
        LogOutput::StdErr { message } => {
            captured.stderr.push_str(&String::from_utf8_lossy(&message))
        }
        _ => {}
    }
}

/// RSS (MiB) of the runtime shim serving container `id`, found by its command line.
pub fn shim_rss_mb(id: &str) -> Option<f64> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let pid_dir = entry.path();
        let Ok(cmdline) = std::fs::read(pid_dir.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("containerd-shim") && cmdline.contains(id) {
            let status = std::fs::read_to_string(pid_dir.join("status")).ok()?;
            let kib: f64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            return Some(kib / 1024.0);
        }
    }
    None
}
