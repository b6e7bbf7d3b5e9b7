//! Whether the engine sees this machine's files. The host-mirror image bind-mounts
//! calibench's binary, the work directory and the system directories by path; when
//! calibench itself runs in a container that talks to an engine through a mounted
//! socket (GitLab's Docker executor, Docker-in-Docker), those paths name the engine
//! host's files, and the "container" side would run something else. Inside a container
//! calibench therefore checks, with a one-shot container, that the engine finds a
//! marker written to the work directory just now, and stops otherwise.

use std::path::Path;

use super::launch::ContainerFactory;
use super::spec::ContainerSpec;
use crate::executor::ExecutorError;

/// Signs that this process runs inside a container.
pub fn in_container() -> bool {
    if Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists() {
        return true;
    }
    std::fs::read_to_string("/proc/1/cgroup").is_ok_and(|c| {
        ["docker", "kubepods", "containerd", "libpod"]
            .iter()
            .any(|k| c.contains(k))
    })
}

/// `Ok(())` when a container of `factory` reads the marker calibench wrote in its work
/// directory, through calibench's own binary at its own path; else why not.
pub async fn check_same_view(
    factory: &ContainerFactory,
    spec: &ContainerSpec,
) -> Result<(), ExecutorError> {
    let token = uuid::Uuid::new_v4().to_string();
    let marker = factory.workdir.join(format!(".calibench-view-{token}"));
    std::fs::write(&marker, &token)
        .map_err(|e| ExecutorError::new(format!("cannot write {}: {e}", marker.display())))?;
    let probe = factory
        .one_shot(
            spec,
            vec![
                factory.exe.display().to_string(),
                "probe".into(),
                "read-file".into(),
                "--dir".into(),
                marker.display().to_string(),
                "--expect".into(),
                token.clone(),
            ],
        )
        .await;
    let _ = std::fs::remove_file(&marker);
    let saw = match probe {
        Ok((out, _)) if out.exit_code == Some(0) => return Ok(()),
        Ok((out, _)) => format!(
            "exit code {}, output: {}",
            out.exit_code.unwrap_or(-1),
            format!("{} {}", out.stdout.trim(), out.stderr.trim()).trim()
        ),
        Err(e) => e.message,
    };
    Err(ExecutorError::new(format!(
        "calibench runs inside a container, and the Docker engine does not see its files at their paths (a container of the engine could not read {} through {}: {saw}): the host-mirror image would run the engine host's files instead\n  hint: give an image with the programs to measure (--image, or `image` in [container]), or run calibench on the runner's host",
        marker.display(),
        factory.exe.display()
    )))
}
