//! Checks made before anything runs: limits the machine cannot meet, and command
//! arguments naming host paths a host-mirror container would not see. Both are bad
//! input (exit 2), caught before the host side measures anything.

use std::path::{Path, PathBuf};

use calibench_suites::{BenchmarkKind, CpuSet, Suite};

use crate::docker::image::MirrorEntry;
use crate::docker::spec::ContainerSpec;
use crate::exit::CliError;

/// What this machine has.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineLimits {
    pub online_cpus: Vec<usize>,
    pub memory_bytes: u64,
}

impl MachineLimits {
    /// Read from `/sys/devices/system/cpu/online` and `/proc/meminfo`.
    pub fn of_this_machine() -> Self {
        let online = std::fs::read_to_string("/sys/devices/system/cpu/online")
            .ok()
            .and_then(|t| CpuSet::parse(t.trim()).ok())
            .map(|c| c.cpus().to_vec())
            .unwrap_or_else(|| {
                (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
            });
        let memory_kib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(u64::MAX / 1024);
        Self {
            online_cpus: online,
            memory_bytes: memory_kib.saturating_mul(1024),
        }
    }

    /// The CPUs a container with `cpuset` may run on: those of the set, else all online.
    pub fn cpus_for(&self, cpuset: Option<&CpuSet>) -> Vec<usize> {
        cpuset.map_or_else(|| self.online_cpus.clone(), |s| s.cpus().to_vec())
    }

    fn describe_cpus(&self) -> String {
        let list: Vec<String> = self.online_cpus.iter().map(usize::to_string).collect();
        format!(
            "{} online CPU(s): {}",
            self.online_cpus.len(),
            list.join(",")
        )
    }
}

/// Exit 2 when the spec asks for CPUs or memory this machine does not have.
pub fn check_limits(spec: &ContainerSpec, machine: &MachineLimits) -> Result<(), CliError> {
    let mut problems = Vec::new();
    if let Some(set) = &spec.cpuset {
        let missing = set.missing_from(&machine.online_cpus);
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(usize::to_string).collect();
            problems.push(format!(
                "--cpuset {set}: CPU {} is not online; this machine has {}",
                names.join(","),
                machine.describe_cpus()
            ));
        }
    }
    if let Some(nano) = spec.nano_cpus {
        let available = machine.cpus_for(spec.cpuset.as_ref()).len();
        if nano as f64 / 1e9 > available as f64 {
            problems.push(format!(
                "--cpus {}: more than the {available} CPU(s) the container can run on ({})",
                nano as f64 / 1e9,
                machine.describe_cpus()
            ));
        }
    }
    if let Some(mem) = spec.memory_bytes {
        if mem as u64 > machine.memory_bytes {
            problems.push(format!(
                "--memory {} MiB: more than this machine's {} MiB",
                mem >> 20,
                machine.memory_bytes >> 20
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::bad_input(anyhow::anyhow!(
        "the machine cannot meet these limits:\n  - {}\n  hint: ask for what the machine has (nproc, free -m)",
        problems.join("\n  - ")
    )))
}

/// Host directories a host-mirror container sees at the same path.
pub fn visible_roots(layout: &[MirrorEntry], exe: &Path, workdir: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = ["/proc", "/sys", "/dev"]
        .iter()
        .map(PathBuf::from)
        .collect();
    for entry in layout {
        match entry {
            MirrorEntry::Mount { name } => roots.push(Path::new("/").join(name)),
            MirrorEntry::Link { name, .. } => roots.push(Path::new("/").join(name)),
        }
    }
    roots.push(exe.to_path_buf());
    roots.push(workdir.to_path_buf());
    roots
}

/// Exit 2 naming every path in a command benchmark (program, arguments or `workdir`)
/// that exists on the host but lies outside `roots`: the container would not find it (its
/// `/tmp` is an empty one of its own, and only the work directory is mounted from the rest), so
/// the container side would fail after the host side had run. Relative arguments are
/// read from the benchmark's directory (`base_dir` unless it names a `workdir`), so
/// `../data` and a link out of the work directory are caught as well.
pub fn check_visible(suite: &Suite, roots: &[PathBuf], base_dir: &Path) -> Result<(), CliError> {
    // Where the path really is: `/etc/../root/x` starts with `/etc` but is not there, and
    // a link inside a visible directory may point out of it. A path with no real
    // location (`/dev/stdin` of a pipe) is judged as written.
    let seen = |p: &Path| {
        let real = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        roots.iter().any(|r| real.starts_with(r))
    };
    let mut problems = Vec::new();
    for b in &suite.benchmarks {
        let argv = match &b.kind {
            BenchmarkKind::Command { argv } | BenchmarkKind::Criterion { argv } => argv,
            BenchmarkKind::Service(service) => &service.argv,
            BenchmarkKind::Probe { .. } => continue,
        };
        let dir = base_dir.join(b.workdir.as_deref().unwrap_or(Path::new("")));
        let mut named: Vec<(&Path, PathBuf)> = argv
            .iter()
            .map(|a| (Path::new(a), dir.join(a)))
            .filter(|(_, full)| full.exists())
            .collect();
        if let Some(w) = b.workdir.as_deref() {
            named.push((w, dir.clone()));
        }
        for (written, _) in named.into_iter().filter(|(_, full)| !seen(full)) {
            problems.push(format!("benchmark `{}`: {}", b.name, written.display()));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::bad_input(anyhow::anyhow!(
        "these paths exist on the host but not in the container, which sees only {}:\n  - {}\n  hint: move the files under the working directory (calibench mounts it read-write) and name them relative to it, run calibench from a directory that contains them, or use --runtime host",
        roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        problems.join("\n  - ")
    )))
}

#[cfg(test)]
mod tests {
    use calibench_suites::Network;

    use super::*;

    fn spec(cpuset: Option<&str>, cpus: Option<f64>, memory: Option<i64>) -> ContainerSpec {
        ContainerSpec {
            image: None,
            cpuset: cpuset.and_then(|c| CpuSet::parse(c).ok()),
            nano_cpus: cpus.map(|c| (c * 1e9) as i64),
            memory_bytes: memory,
            memory_swap_bytes: None,
            pids_limit: None,
            nofile: 1024,
            network: Network::Host,
            privileged: false,
            readonly_rootfs: true,
            extra_security_opt: vec![],
        }
    }

    fn two_cpus() -> MachineLimits {
        MachineLimits {
            online_cpus: vec![0, 1],
            memory_bytes: 8 << 30,
        }
    }

    #[test]
    fn limits_the_machine_cannot_meet_are_refused_with_what_it_has() {
        let m = two_cpus();
        assert!(check_limits(&spec(Some("0"), Some(0.5), Some(256 << 20)), &m).is_ok());
        let err = |s: ContainerSpec| match check_limits(&s, &m) {
            Err(e) => format!("{e:#}"),
            Ok(()) => panic!("accepted {s:?}"),
        };
        let cpuset = err(spec(Some("99"), None, None));
        assert!(cpuset.contains("99") && cpuset.contains("0,1"), "{cpuset}");
        assert!(err(spec(None, Some(64.0), None)).contains("--cpus 64"));
        assert!(err(spec(Some("0"), Some(1.5), None)).contains("1 CPU(s)"));
        assert!(err(spec(None, None, Some(64 << 30))).contains("--memory"));
    }

    fn suite_naming(argv: &[&Path]) -> Suite {
        Suite {
            name: "s".into(),
            path: "s.toml".into(),
            settings: Default::default(),
            container: Default::default(),
            build: None,
            benchmarks: vec![calibench_suites::Benchmark {
                name: "b".into(),
                kind: BenchmarkKind::Command {
                    argv: argv.iter().map(|p| p.display().to_string()).collect(),
                },
                dimension: calibench_suites::Dimension::Cpu,
                env: Default::default(),
                workdir: None,
                settings: Default::default(),
            }],
        }
    }

    #[test]
    fn paths_are_judged_where_they_really_are() {
        let dir = tempfile::tempdir().expect("a directory");
        let (work, outside) = (dir.path().join("work"), dir.path().join("outside"));
        std::fs::create_dir_all(&work).expect("work");
        std::fs::create_dir_all(&outside).expect("outside");
        std::fs::write(work.join("in.txt"), "").expect("in");
        std::fs::write(outside.join("out.txt"), "").expect("out");
        std::os::unix::fs::symlink(outside.join("out.txt"), work.join("link.txt")).expect("ln");
        let work = work.canonicalize().expect("real");
        let roots = [work.clone(), PathBuf::from("/dev")];
        let inside = [
            work.join("in.txt"),
            work.join("missing"),
            PathBuf::from("/dev/null"),
        ];
        for p in inside
            .iter()
            .chain(&[PathBuf::from("in.txt"), PathBuf::from(".")])
        {
            assert!(
                check_visible(&suite_naming(&[p]), &roots, &work).is_ok(),
                "{p:?}"
            );
        }
        // Named through the visible directory, but really outside it.
        let outside = [
            work.join("../outside/out.txt"),
            work.join("link.txt"),
            PathBuf::from("../outside/out.txt"),
            PathBuf::from("link.txt"),
            PathBuf::from(".."),
        ];
        for p in outside {
            let err = match check_visible(&suite_naming(&[&p]), &roots, &work) {
                Err(e) => format!("{e:#}"),
                Ok(()) => panic!("accepted {p:?}"),
            };
            assert!(
                err.contains(&format!("benchmark `b`: {}", p.display())),
                "{err}"
            );
        }
    }

    #[test]
    fn reads_this_machine() {
        let m = MachineLimits::of_this_machine();
        assert!(!m.online_cpus.is_empty() && m.memory_bytes > 0);
    }
}
