//! Host facts recorded with every run: CPU, cores, memory, kernel, OS, governor, SMT,
//! and the state of the source tree.

use std::path::Path;
use std::process::Command;

use calibench_results::{GitState, HostEnvironment};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

/// Reads the host's facts. Never fails: unreadable facts are recorded as unknown.
pub fn capture_host() -> HostEnvironment {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let cpu_model = sys
        .as_ref()
        .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let logical_cores = sys
        .as_ref()
        .map(|s| s.cpus().len())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        as u32;
    let physical_cores = System::physical_core_count().ok().map(|n| n as u32);
    let memory_bytes = sys.as_ref().map_or(0, System::total_memory);
    let kernel = System::kernel_version().unwrap_or_else(|_| "unknown".into());
    let os = System::long_os_version().unwrap_or_else(|_| "unknown".into());
    let cpu_governor = read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    let smt = read_trimmed("/sys/devices/system/cpu/smt/active").map(|s| s == "1");
    let arch = System::cpu_arch();
    let hostname = System::host_name().unwrap_or_else(|_| "unknown".into());
    let fingerprint = fingerprint(&[
        &cpu_model,
        &logical_cores.to_string(),
        &physical_cores.map(|n| n.to_string()).unwrap_or_default(),
        &memory_bytes.to_string(),
        &kernel,
        &os,
        cpu_governor.as_deref().unwrap_or(""),
        &smt.map(|s| s.to_string()).unwrap_or_default(),
        &arch,
    ]);
    HostEnvironment {
        fingerprint,
        hostname,
        cpu_model,
        logical_cores,
        physical_cores,
        memory_bytes,
        kernel,
        os,
        cpu_governor,
        smt,
        arch,
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// FNV-1a 64 over the facts, NUL-separated: stable across Rust versions and platforms
/// (std's `DefaultHasher` is not), which a key stored in a database must be.
pub fn fingerprint(parts: &[&str]) -> String {
    format!("{:016x}", calibench_calibrator::seed::fnv1a(parts))
}

/// The commit and dirty flag of the repository holding `dir`, when it is one.
pub fn capture_git(dir: &Path) -> Option<GitState> {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(GitState { sha, dirty })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_separates_fields() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
        assert_eq!(fingerprint(&[]).len(), 16);
    }

    #[test]
    fn host_facts_are_read() {
        let h = capture_host();
        assert!(h.logical_cores >= 1);
        assert!(h.memory_bytes > 0);
        assert_ne!(h.kernel, "unknown");
    }
}
