//! What a benchmark container looks like: resources asked for (suite `[container]` table
//! overridden by flags), checked against what the engine can enforce, then turned into
//! the Engine API's create body.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::models::{ContainerCreateBody, HostConfig, ResourcesUlimits};
use calibench_results::{AppliedLimits, EngineFacts};
use calibench_suites::{CpuSet, Network};

use super::{LABEL_ROLE, LABEL_RUN_ID};

/// Resources and isolation of the benchmark containers of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// An image the engine has; `None` means the host-mirror image.
    pub image: Option<String>,
    pub cpuset: Option<CpuSet>,
    /// CPUs as NanoCpus (1e9 = one CPU). Never combined with CpuQuota/CpuPeriod.
    pub nano_cpus: Option<i64>,
    /// Memory limit in bytes.
    pub memory_bytes: Option<i64>,
    /// Memory plus swap; unset means equal to the memory limit (no swap).
    pub memory_swap_bytes: Option<i64>,
    pub pids_limit: Option<i64>,
    /// Open-files limit (soft = hard); defaults to the host's, so both sides match.
    pub nofile: i64,
    pub network: Network,
    pub privileged: bool,
    /// Read-only root filesystem (benchmark containers); calibration sessions need a
    /// writable layer to measure it.
    pub readonly_rootfs: bool,
    /// Extra security options, e.g. `seccomp=unconfined` for a calibration variant.
    pub extra_security_opt: Vec<String>,
}

impl ContainerSpec {
    /// Limits the engine says it cannot enforce; empty when all can be.
    pub fn unenforceable(&self, facts: &EngineFacts) -> Vec<String> {
        let mut missing = Vec::new();
        if self.nano_cpus.is_some() && !(facts.cpu_cfs_quota && facts.cpu_cfs_period) {
            missing.push("cpus: the engine reports no CFS quota support (cpu_cfs_quota/cpu_cfs_period false)".to_string());
        }
        if self.cpuset.is_some() && !facts.cpu_set {
            missing.push("cpuset: the engine reports no cpuset support".to_string());
        }
        if self.memory_bytes.is_some() && !facts.memory_limit {
            missing.push("memory: the engine reports no memory limit support".to_string());
        }
        if self.memory_bytes.is_some() && !facts.swap_limit {
            missing.push("memory swap: the engine cannot limit swap, so `no swap` cannot be enforced (enable swap accounting: swapaccount=1)".to_string());
        }
        if self.pids_limit.is_some() && !facts.pids_limit {
            missing.push("pids_limit: the engine reports no pids limit support".to_string());
        }
        missing
    }

    /// What identifies this configuration in a calibration profile key: the resources
    /// and isolation that change what the container costs.
    pub fn key_json(&self) -> serde_json::Value {
        serde_json::json!({
            "image": self.image.as_deref().unwrap_or("host-mirror"),
            "cpuset": self.cpuset,
            "nano_cpus": self.nano_cpus,
            "memory_bytes": self.memory_bytes,
            "memory_swap_bytes": self.memory_swap_bytes,
            "pids_limit": self.pids_limit,
            "nofile": self.nofile,
            "network": self.network.as_str(),
            "privileged": self.privileged,
        })
    }

    /// Whether nothing pins or limits the container.
    pub fn is_unlimited(&self) -> bool {
        self.cpuset.is_none() && self.nano_cpus.is_none() && self.memory_bytes.is_none()
    }

    /// The create body for a container running `cmd` in `workdir`.
    pub fn create_body(&self, ctx: &CreateContext<'_>) -> ContainerCreateBody {
        let mounts = container_mounts(ctx, TmpStorage::like_host());
        let mut security_opt = vec!["no-new-privileges".to_string()];
        if self.privileged {
            security_opt.clear();
        }
        security_opt.extend(self.extra_security_opt.iter().cloned());
        let host_config = HostConfig {
            binds: Some(mounts.binds),
            nano_cpus: self.nano_cpus,
            cpuset_cpus: self.cpuset.as_ref().map(|c| c.as_str().to_string()),
            memory: self.memory_bytes,
            memory_swap: self.memory_swap_bytes.or(self.memory_bytes),
            pids_limit: self.pids_limit,
            ulimits: Some(vec![ResourcesUlimits {
                name: Some("nofile".into()),
                soft: Some(self.nofile),
                hard: Some(self.nofile),
            }]),
            network_mode: Some(self.network.as_str().to_string()),
            readonly_rootfs: Some(self.readonly_rootfs),
            tmpfs: Some(mounts.tmpfs),
            privileged: Some(self.privileged),
            security_opt: Some(security_opt),
            auto_remove: Some(false),
            ..Default::default()
        };
        ContainerCreateBody {
            image: Some(ctx.image.to_string()),
            cmd: Some(ctx.cmd.clone()),
            env: Some(ctx.env.clone()),
            user: Some(ctx.user.clone()),
            working_dir: Some(ctx.workdir.display().to_string()),
            labels: Some(HashMap::from([
                (LABEL_RUN_ID.to_string(), ctx.run_id.to_string()),
                (LABEL_ROLE.to_string(), ctx.role.to_string()),
            ])),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            // The `-v /tmp` form: an anonymous volume, which removing the container with
            // its volumes removes (one made through `Mounts` outlives it on engines
            // before 23.0).
            volumes: mounts.tmp_volume.map(|target| vec![target]),
            host_config: Some(host_config),
            ..Default::default()
        }
    }
}

/// What backs the container's `/tmp`: storage of the kind the host's `/tmp` is on, so a
/// program that touches `/tmp` costs the same on both sides. With a tmpfs `/tmp` in the
/// container and the host's `/tmp` on ext4, fio's 16 MiB job of 4 KiB writes with
/// `fdatasync` on the same bind-mounted work directory spent about 50 ms less system
/// time a run (0.25 against 0.30 s) and read 4-6 % faster than the host (docs/truth.md,
/// 2026-12-07 10:00 UTC); an anonymous volume (the engine's disk) read as the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TmpStorage {
    /// A tmpfs (the host's `/tmp` is one).
    Tmpfs,
    /// An anonymous volume on the engine's disk, removed with the container.
    Volume,
}

impl TmpStorage {
    /// The kind of the host's `/tmp`; a volume where it cannot be told.
    pub fn like_host() -> Self {
        // SAFETY: statfs is plain data filled by the kernel.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: the path is NUL-terminated and the buffer valid for writes.
        let rc = unsafe { libc::statfs(c"/tmp".as_ptr(), &mut fs) };
        if rc == 0 && fs.f_type == libc::TMPFS_MAGIC {
            Self::Tmpfs
        } else {
            Self::Volume
        }
    }
}

/// Binds, tmpfs mounts and the `/tmp` volume of a container, one per target.
pub struct Mounts {
    pub binds: Vec<String>,
    pub tmpfs: HashMap<String, String>,
    /// Where an anonymous volume is mounted (`/tmp` on a disk-backed host).
    pub tmp_volume: Option<String>,
}

fn bind_target(bind: &str) -> &str {
    bind.split(':').nth(1).unwrap_or(bind)
}

/// The mounts of a container: the host-mirror directories read-only, the calibench
/// binary read-only at its own path, the work directory read-write, and an empty `/tmp`
/// of the host's kind (`TmpStorage`). Every target is mounted once (the engine refuses a
/// duplicate mount point): the work directory takes the place of a mirror directory or
/// of `/tmp` at the same path, so calibench runs from `/tmp` too.
pub fn container_mounts(ctx: &CreateContext<'_>, tmp: TmpStorage) -> Mounts {
    let workdir = ctx.workdir.display().to_string();
    let exe = ctx.exe.display().to_string();
    let mut binds: Vec<String> = ctx
        .mirror_binds
        .iter()
        .filter(|b| bind_target(b) != workdir && bind_target(b) != exe)
        .cloned()
        .collect();
    if exe != workdir {
        binds.push(format!("{exe}:{exe}:ro"));
    }
    binds.push(format!("{workdir}:{workdir}"));
    let mut tmpfs = HashMap::new();
    let mut tmp_volume = None;
    if workdir != "/tmp" {
        match tmp {
            TmpStorage::Tmpfs => {
                tmpfs.insert("/tmp".to_string(), "rw,exec,nosuid,size=1g".to_string());
            }
            TmpStorage::Volume => tmp_volume = Some("/tmp".to_string()),
        }
    }
    Mounts {
        binds,
        tmpfs,
        tmp_volume,
    }
}

/// The per-container parts of a create body.
pub struct CreateContext<'a> {
    pub image: &'a str,
    pub cmd: Vec<String>,
    pub exe: &'a Path,
    pub workdir: &'a Path,
    pub mirror_binds: Vec<String>,
    pub run_id: &'a str,
    pub role: &'a str,
    pub user: String,
    /// `NAME=value` pairs: the host's benchmark environment plus `CALIBENCH_RUNTIME`.
    pub env: Vec<String>,
}

/// The applied limits, read back from an inspected container's host config.
pub fn applied_limits(hc: &HostConfig) -> AppliedLimits {
    AppliedLimits {
        nano_cpus: hc.nano_cpus.filter(|v| *v > 0),
        cpu_quota: hc.cpu_quota.filter(|v| *v > 0),
        cpu_period: hc.cpu_period.filter(|v| *v > 0),
        cpuset_cpus: hc.cpuset_cpus.clone().filter(|s| !s.is_empty()),
        memory_bytes: hc.memory.filter(|v| *v > 0),
        memory_swap_bytes: hc.memory_swap.filter(|v| *v > 0),
        pids_limit: hc.pids_limit.filter(|v| *v > 0),
        nofile: hc
            .ulimits
            .as_ref()
            .and_then(|u| u.iter().find(|l| l.name.as_deref() == Some("nofile")))
            .and_then(|l| l.hard),
        network_mode: hc.network_mode.clone(),
        readonly_rootfs: hc.readonly_rootfs.unwrap_or(false),
        privileged: hc.privileged.unwrap_or(false),
        security_opt: hc.security_opt.clone().unwrap_or_default(),
    }
}

/// The soft open-files limit of this process (so the container gets the same).
pub fn host_nofile() -> i64 {
    // SAFETY: rlimit is plain data filled by the kernel.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to an rlimit.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) };
    if rc == 0 {
        i64::try_from(rl.rlim_cur).unwrap_or(1_048_576)
    } else {
        1024
    }
}

/// `uid:gid` of this process, so files written in the work directory match both sides.
pub fn current_user() -> String {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    format!("{uid}:{gid}")
}

/// Canonical form of the work directory and binary (bind mounts need real paths).
pub fn real_path(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(workdir: &'a Path, exe: &'a Path) -> CreateContext<'a> {
        CreateContext {
            image: "img",
            cmd: vec![],
            exe,
            workdir,
            mirror_binds: vec!["/usr:/usr:ro".into(), "/etc:/etc:ro".into()],
            run_id: "r",
            role: "benchmark",
            user: "0:0".into(),
            env: vec![],
        }
    }

    #[test]
    fn no_duplicate_mount_point_from_any_working_directory() {
        let exe = Path::new("/opt/calibench");
        for tmp in [TmpStorage::Tmpfs, TmpStorage::Volume] {
            for dir in ["/tmp", "/usr", "/etc", "/home/me/project", "/tmp/sub"] {
                let m = container_mounts(&ctx(Path::new(dir), exe), tmp);
                let mut targets: Vec<&str> = m.binds.iter().map(|b| bind_target(b)).collect();
                targets.extend(m.tmpfs.keys().map(String::as_str));
                targets.extend(m.tmp_volume.as_deref());
                let mut unique = targets.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(targets.len(), unique.len(), "{dir}: {targets:?}");
                assert!(
                    m.binds.contains(&format!("{dir}:{dir}")),
                    "{dir}: {:?}",
                    m.binds
                );
                // `/tmp` is always mounted, by the work directory or as the host's kind.
                assert!(targets.contains(&"/tmp"), "{dir}: {targets:?}");
                let kind = (m.tmpfs.contains_key("/tmp"), m.tmp_volume.is_some());
                let expected = match (dir, tmp) {
                    ("/tmp", _) => (false, false),
                    (_, TmpStorage::Tmpfs) => (true, false),
                    (_, TmpStorage::Volume) => (false, true),
                };
                assert_eq!(kind, expected, "{dir} {tmp:?}");
            }
        }
    }

    fn spec() -> ContainerSpec {
        ContainerSpec {
            image: None,
            cpuset: CpuSet::parse("0").ok(),
            nano_cpus: Some(1_000_000_000),
            memory_bytes: Some(512 << 20),
            memory_swap_bytes: None,
            pids_limit: None,
            nofile: 1024,
            network: Network::Host,
            privileged: false,
            readonly_rootfs: true,
            extra_security_opt: Vec::new(),
        }
    }

    #[test]
    fn unenforceable_limits_are_named() {
        let mut facts = EngineFacts {
            cpu_cfs_quota: true,
            cpu_cfs_period: true,
            cpu_set: true,
            memory_limit: true,
            swap_limit: false,
            pids_limit: true,
            ..Default::default()
        };
        let missing = spec().unenforceable(&facts);
        assert_eq!(missing.len(), 1);
        assert!(missing[0].starts_with("memory swap"));
        facts.swap_limit = true;
        assert!(spec().unenforceable(&facts).is_empty());
    }

    #[test]
    fn body_sets_swap_equal_to_memory_and_no_quota() {
        let ctx = CreateContext {
            image: "img",
            cmd: vec!["x".into()],
            exe: Path::new("/bin/calibench"),
            workdir: Path::new("/work"),
            mirror_binds: vec![],
            run_id: "r",
            role: "benchmark",
            user: "0:0".into(),
            env: vec!["CALIBENCH_RUNTIME=docker".into()],
        };
        let body = spec().create_body(&ctx);
        let expected_volume =
            (TmpStorage::like_host() == TmpStorage::Volume).then(|| vec!["/tmp".to_string()]);
        assert_eq!(body.volumes, expected_volume);
        let hc = body.host_config.unwrap_or_default();
        assert_eq!(hc.memory, hc.memory_swap);
        assert_eq!(hc.cpu_quota, None);
        assert_eq!(hc.cpu_period, None);
        assert_eq!(hc.readonly_rootfs, Some(true));
        assert_eq!(hc.security_opt, Some(vec!["no-new-privileges".to_string()]));
        assert_eq!(
            body.labels
                .unwrap_or_default()
                .get(LABEL_RUN_ID)
                .map(String::as_str),
            Some("r")
        );
    }
}
