//! The Docker side, through the Engine API (bollard): engine facts and what it can
//! enforce, the host-mirror image, container specs, and cleanup.

pub mod cleanup;
pub mod engine;
pub mod image;
pub mod launch;
pub mod sameview;
pub mod spec;

/// Label on every container calibench creates: the run it belongs to.
pub const LABEL_RUN_ID: &str = "calibench.run_id";
/// Label on every container calibench creates: what it is for (`benchmark`, `calibrate`).
pub const LABEL_ROLE: &str = "calibench.role";

/// The last lines a container printed (stdout and stderr), for failure messages.
pub async fn logs_tail(docker: &bollard::Docker, id: &str) -> String {
    use futures_util::StreamExt;
    let options = bollard::query_parameters::LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .tail("20")
        .build();
    let mut logs = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = logs.next().await {
        text.push_str(&chunk.to_string());
    }
    text
}
