//! The host-mirror image: made without any registry by importing a tiny root filesystem
//! (the Engine API's image create with `fromSrc=-`), then run with the host's `/usr`,
//! `/etc` and library directories bind-mounted read-only, so the container executes the
//! very same binaries as the host. Merged-/usr systems keep `/bin -> usr/bin` style
//! links: those are recreated as links in the image instead of being mounted.

use std::path::Path;

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::{body_full, Docker};
use futures_util::StreamExt;

use crate::environment::fingerprint;

/// Repository of the host-mirror image.
pub const MIRROR_REPO: &str = "calibench-host-mirror";

const TOP_LEVEL: [&str; 8] = [
    "bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc",
];

/// How one top-level host directory enters the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorEntry {
    /// A symlink on the host (merged /usr): the same link in the image.
    Link { name: String, target: String },
    /// A real directory: an empty mount point in the image, bind-mounted read-only.
    Mount { name: String },
}

/// The host's top-level layout that the image mirrors.
pub fn host_layout(root: &Path) -> Vec<MirrorEntry> {
    TOP_LEVEL
        .iter()
        .filter_map(|name| {
            let path = root.join(name);
            let meta = path.symlink_metadata().ok()?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).ok()?;
                Some(MirrorEntry::Link {
                    name: (*name).to_string(),
                    target: target.to_string_lossy().into_owned(),
                })
            } else if meta.is_dir() {
                Some(MirrorEntry::Mount {
                    name: (*name).to_string(),
                })
            } else {
                None
            }
        })
        .collect()
}

/// Read-only binds for the mounted entries.
pub fn mirror_binds(layout: &[MirrorEntry]) -> Vec<String> {
    layout
        .iter()
        .filter_map(|e| match e {
            MirrorEntry::Mount { name } => Some(format!("/{name}:/{name}:ro")),
            MirrorEntry::Link { .. } => None,
        })
        .collect()
}

/// The image tag: calibench version plus a hash of the layout, so a changed host layout
/// or a new calibench gets a fresh image and an unchanged one is reused.
pub fn mirror_tag(layout: &[MirrorEntry]) -> String {
    let parts: Vec<String> = layout.iter().map(|e| format!("{e:?}")).collect();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    format!(
        "{}-{}",
        env!("CARGO_PKG_VERSION"),
        &fingerprint(&refs)[..12]
    )
}

/// The root filesystem tarball: the links, empty mount points, and the directories a
/// Linux process expects.
pub fn rootfs_tar(layout: &[MirrorEntry]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let dir = |b: &mut tar::Builder<Vec<u8>>, name: &str, mode: u32| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(mode);
        h.set_size(0);
        h.set_mtime(0);
        b.append_data(&mut h, format!("{name}/"), std::io::empty())
    };
    for name in [
        "proc", "sys", "dev", "tmp", "run", "var", "var/tmp", "root", "home", "opt", "work",
    ] {
        dir(
            &mut builder,
            name,
            if name.ends_with("tmp") { 0o1777 } else { 0o755 },
        )?;
    }
    for entry in layout {
        match entry {
            MirrorEntry::Mount { name } => dir(&mut builder, name, 0o755)?,
            MirrorEntry::Link { name, target } => {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                h.set_mtime(0);
                builder.append_link(&mut h, name, target)?;
            }
        }
    }
    builder.into_inner()
}

/// Errors making the image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("image `{image}` is not on this engine and no registry can be assumed: {message}\n  hint: load it first (`docker load`), or omit --image to use the host-mirror image")]
    Missing { image: String, message: String },
    #[error("making the host-mirror image `{image}` failed: {message}")]
    Create { image: String, message: String },
}

/// Ensures the image a run needs exists; returns its reference and id.
pub async fn ensure_image(
    docker: &Docker,
    requested: Option<&str>,
) -> Result<(String, String), ImageError> {
    if let Some(image) = requested {
        return docker
            .inspect_image(image)
            .await
            .map(|i| (image.to_string(), i.id.unwrap_or_default()))
            .map_err(|e| ImageError::Missing {
                image: image.to_string(),
                message: e.to_string(),
            });
    }
    let layout = host_layout(Path::new("/"));
    let tag = mirror_tag(&layout);
    let image = format!("{MIRROR_REPO}:{tag}");
    if let Ok(found) = docker.inspect_image(&image).await {
        return Ok((image, found.id.unwrap_or_default()));
    }
    let create = |message: String| ImageError::Create {
        image: image.clone(),
        message,
    };
    let tarball = rootfs_tar(&layout).map_err(|e| create(e.to_string()))?;
    let options = CreateImageOptionsBuilder::new()
        .from_src("-")
        .repo(MIRROR_REPO)
        .tag(&tag)
        .build();
    let mut progress = docker.create_image(Some(options), Some(body_full(tarball.into())), None);
    while let Some(step) = progress.next().await {
        step.map_err(|e| create(e.to_string()))?;
    }
    let found = docker
        .inspect_image(&image)
        .await
        .map_err(|e| create(e.to_string()))?;
    Ok((image, found.id.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_resolves_links_and_mounts() {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("usr/bin")).expect("usr");
        std::fs::create_dir_all(root.path().join("etc")).expect("etc");
        std::os::unix::fs::symlink("usr/bin", root.path().join("bin")).expect("link");
        let layout = host_layout(root.path());
        assert!(layout.contains(&MirrorEntry::Link {
            name: "bin".into(),
            target: "usr/bin".into()
        }));
        assert!(layout.contains(&MirrorEntry::Mount { name: "usr".into() }));
        assert_eq!(
            mirror_binds(&layout),
            vec!["/usr:/usr:ro".to_string(), "/etc:/etc:ro".to_string()]
        );
        let tar = rootfs_tar(&layout).expect("tar");
        let mut archive = tar::Archive::new(tar.as_slice());
        let names: Vec<String> = archive
            .entries()
            .expect("entries")
            .filter_map(Result::ok)
            .filter_map(|e| e.path().ok().map(|p| p.display().to_string()))
            .collect();
        assert!(
            names.contains(&"bin".to_string()) && names.contains(&"usr/".to_string()),
            "{names:?}"
        );
        assert_eq!(mirror_tag(&layout), mirror_tag(&layout));
    }
}
