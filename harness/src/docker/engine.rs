//! Connecting to the engine (local defaults or DOCKER_HOST, API version negotiated, ping
//! first) and reading what it is and what it can enforce.

use std::time::Duration;

use bollard::Docker;
use calibench_results::EngineFacts;

/// Why no engine could be used.
#[derive(Debug, thiserror::Error)]
#[error("no Docker engine answers at {socket}: {message}\n  hint: start the engine (e.g. `systemctl start docker`), point DOCKER_HOST at its socket, or run with --runtime host")]
pub struct EngineUnreachable {
    pub socket: String,
    pub message: String,
}

/// A connected engine and its facts.
#[derive(Debug, Clone)]
pub struct Engine {
    pub docker: Docker,
    pub facts: EngineFacts,
}

/// Where the client will connect, for messages.
pub fn socket_description() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

/// Connects, negotiates the API version, pings, and reads `info()` and `version()`.
pub async fn connect() -> Result<Engine, EngineUnreachable> {
    let socket = socket_description();
    let fail = |message: String| EngineUnreachable {
        socket: socket.clone(),
        message,
    };
    let docker = Docker::connect_with_defaults().map_err(|e| fail(e.to_string()))?;
    let docker = tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
        .await
        .map_err(|_| fail("no answer within 10 s".into()))?
        .map_err(|e| fail(e.to_string()))?;
    docker.ping().await.map_err(|e| fail(e.to_string()))?;
    let info = docker.info().await.map_err(|e| fail(e.to_string()))?;
    let version = docker.version().await.map_err(|e| fail(e.to_string()))?;
    let text = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    let facts = EngineFacts {
        engine_version: text(version.version),
        api_version: text(version.api_version),
        cgroup_version: info
            .cgroup_version
            .map_or("unknown".into(), |v| v.to_string()),
        cgroup_driver: info
            .cgroup_driver
            .map_or("unknown".into(), |v| v.to_string()),
        storage_driver: text(info.driver),
        security_options: info.security_options.unwrap_or_default(),
        kernel: text(info.kernel_version),
        default_runtime: text(info.default_runtime),
        cpu_cfs_quota: info.cpu_cfs_quota.unwrap_or(false),
        cpu_cfs_period: info.cpu_cfs_period.unwrap_or(false),
        cpu_set: info.cpu_set.unwrap_or(false),
        memory_limit: info.memory_limit.unwrap_or(false),
        swap_limit: info.swap_limit.unwrap_or(false),
        pids_limit: info.pids_limit.unwrap_or(false),
    };
    Ok(Engine { docker, facts })
}
