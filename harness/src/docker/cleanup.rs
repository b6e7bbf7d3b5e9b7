//! Removing calibench's containers: after each benchmark, on interruption, and by
//! `calibench gc` for anything a killed run left behind.

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;

use super::LABEL_RUN_ID;

/// Force-removes one container (and its anonymous volumes); a missing one is fine.
pub async fn remove(docker: &Docker, id: &str) -> Result<(), bollard::errors::Error> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes every calibench container, or only those of `run_id`. Returns how many.
pub async fn remove_labelled(
    docker: &Docker,
    run_id: Option<&str>,
) -> Result<usize, bollard::errors::Error> {
    let label = match run_id {
        Some(id) => format!("{LABEL_RUN_ID}={id}"),
        None => LABEL_RUN_ID.to_string(),
    };
    let filters = HashMap::from([("label".to_string(), vec![label])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(options)).await?;
    let mut removed = 0;
    for c in containers {
        if let Some(id) = c.id {
            remove(docker, &id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
