//! A service benchmark's server in a container: the run's spec (limits, network, mounts)
//! with the server as the container's main process. On the bridge network its port is
//! published on the host's loopback (`via = "published"`) or reached at the container's
//! bridge address (`via = "address"`); on the host network it listens on the host's.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bollard::models::PortBinding;
use bollard::query_parameters::{InspectContainerOptions, StartContainerOptions};
use calibench_results::NetworkPath;
use calibench_suites::{Benchmark, Network, ServiceSpec, Via};

use super::side_port;
use crate::docker::cleanup::remove;
use crate::docker::launch::{container_environment, ContainerFactory};
use crate::docker::spec::{current_user, ContainerSpec, CreateContext};
use crate::executor::ExecutorError;

/// A started server container and how to reach it.
pub struct ServerContainer {
    pub id: String,
    pub addr: SocketAddr,
    pub path: NetworkPath,
}

/// Creates and starts the server container of `bench`; removed again if it cannot be
/// reached. The inner error is the server's own failure (it exited at once), a failure
/// of the benchmark; the outer one is the engine's.
pub async fn start(
    factory: &ContainerFactory,
    spec: &ContainerSpec,
    bench: &Benchmark,
    service: &ServiceSpec,
) -> Result<Result<ServerContainer, String>, ExecutorError> {
    let host_network = spec.network == Network::Host;
    let port = side_port(service, host_network).map_err(ExecutorError::new)?;
    let mut env = container_environment();
    env.extend(bench.env.iter().map(|(k, v)| format!("{k}={v}")));
    let workdir = bench
        .workdir
        .clone()
        .unwrap_or_else(|| factory.workdir.clone());
    let ctx = CreateContext {
        image: &factory.image,
        cmd: service.argv_for(port),
        exe: &factory.exe,
        workdir: &factory.workdir,
        mirror_binds: factory.mirror_binds.clone(),
        run_id: &factory.run_id,
        role: factory.role,
        user: current_user(),
        env,
    };
    let mut body = spec.create_body(&ctx);
    body.working_dir = Some(workdir.display().to_string());
    let port_key = format!("{port}/tcp");
    let published = !host_network && service.via == Via::Published;
    if published {
        body.exposed_ports = Some(vec![port_key.clone()]);
        if let Some(hc) = body.host_config.as_mut() {
            hc.port_bindings = Some(HashMap::from([(
                port_key.clone(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(String::new()),
                }]),
            )]));
        }
    }
    let docker = &factory.engine.docker;
    let id = docker
        .create_container(None, body)
        .await
        .map(|r| r.id)
        .map_err(|e| ExecutorError::new(format!("creating the server container failed: {e}")))?;
    let reached = async {
        docker
            .start_container(&id, None::<StartContainerOptions>)
            .await
            .map_err(|e| format!("starting the server container failed: {e}"))?;
        let inspected = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| format!("inspecting the server container failed: {e}"))?;
        let settings = inspected.network_settings.unwrap_or_default();
        if host_network {
            return Ok((
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                NetworkPath::HostNetwork,
            ));
        }
        if published {
            let host_port = settings
                .ports
                .as_ref()
                .and_then(|p| p.get(&port_key).cloned().flatten())
                .and_then(|b| b.into_iter().find_map(|b| b.host_port))
                .and_then(|p| p.parse::<u16>().ok())
                .ok_or_else(|| format!("the engine published no host port for {port_key}"))?;
            return Ok((
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), host_port),
                NetworkPath::PublishedPort,
            ));
        }
        let ip = settings
            .networks
            .as_ref()
            .and_then(|n| n.values().find_map(|e| e.ip_address.clone()))
            .filter(|ip| !ip.is_empty())
            .and_then(|ip| ip.parse::<IpAddr>().ok())
            .ok_or("the server container has no bridge address")?;
        Ok::<_, String>((SocketAddr::new(ip, port), NetworkPath::BridgeAddress))
    }
    .await;
    match reached {
        Ok((addr, path)) => Ok(Ok(ServerContainer { id, addr, path })),
        Err(e) => {
            let died = check_alive(factory, &id).await.err();
            let _ = remove(docker, &id).await;
            match died {
                Some(why) => Ok(Err(why)),
                None => Err(ExecutorError::new(e)),
            }
        }
    }
}

/// `Err` with the exit code and the log tail once the container's server has stopped.
pub async fn check_alive(factory: &ContainerFactory, id: &str) -> Result<(), String> {
    let docker = &factory.engine.docker;
    let inspected = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .map_err(|e| format!("inspecting the server container failed: {e}"))?;
    let state = inspected.state.unwrap_or_default();
    if state.running == Some(true) {
        return Ok(());
    }
    if state.oom_killed == Some(true) {
        return Err("the server was OOM-killed: it exceeded the container's memory limit".into());
    }
    let logs = crate::docker::logs_tail(docker, id).await;
    Err(format!(
        "the server exited (exit code {}); output: {}",
        state.exit_code.unwrap_or(-1),
        logs.trim()
    ))
}
