//! One run of one benchmark: the `Launcher` trait, what a run produces, and the real
//! host launcher (fork/exec in its own process group, timed on the monotonic clock,
//! CPU time and peak RSS from wait4's rusage, killed with its group at the timeout).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use calibench_suites::{Benchmark, BenchmarkKind, ProbeReport};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Wall-clock seconds, spawn to reap.
    pub wall_s: f64,
    pub user_s: f64,
    pub system_s: f64,
    pub max_rss_kib: u64,
    pub ending: Ending,
    /// Captured standard output (probes only).
    pub stdout: String,
    /// The last lines of standard error.
    pub stderr_tail: String,
}

impl RunOutcome {
    pub fn succeeded(&self) -> bool {
        self.ending == Ending::Exited(0)
    }

    /// A one-line reason for a failed run, with the stderr tail.
    pub fn failure_reason(&self, timeout: Duration) -> String {
        let what = match &self.ending {
            Ending::Exited(code) => format!("exited with status {code}"),
            Ending::Signaled(9) => "was killed by SIGKILL (out of memory?)".to_string(),
            Ending::Signaled(sig) => format!("was killed by signal {sig}"),
            Ending::TimedOut => format!(
                "timed out after {:.1}s; its process group was killed",
                timeout.as_secs_f64()
            ),
        };
        if self.stderr_tail.trim().is_empty() {
            what
        } else {
            format!("{what}; stderr: {}", self.stderr_tail.trim())
        }
    }
}

/// Errors that stop a launcher from starting a run at all.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("waiting for `{program}` failed: {source}")]
    Wait {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("benchmark `{0}` is a service: it is driven with load windows, not launched as a run")]
    NotARun(String),
}

/// Runs a benchmark once. Implemented by the real host launcher and, in tests, by fakes.
pub trait Launcher {
    fn launch(&mut self, bench: &Benchmark) -> Result<RunOutcome, LaunchError>;

    /// Starts a service benchmark's server (`argv`, its port already filled in) in its
    /// own process group, with the benchmark's environment, directory and CPUs, its
    /// standard error into `stderr`.
    fn start_server(
        &mut self,
        bench: &Benchmark,
        argv: &[String],
        stderr: std::fs::File,
    ) -> Result<std::process::Child, LaunchError> {
        let _ = (argv, stderr);
        Err(LaunchError::NotARun(bench.name.clone()))
    }
}

impl<L: Launcher + ?Sized> Launcher for &mut L {
    fn launch(&mut self, bench: &Benchmark) -> Result<RunOutcome, LaunchError> {
        (**self).launch(bench)
    }

    fn start_server(
        &mut self,
        bench: &Benchmark,
        argv: &[String],
        stderr: std::fs::File,
    ) -> Result<std::process::Child, LaunchError> {
        (**self).start_server(bench, argv, stderr)
    }
}

/// Process group of the run in flight, so a signal handler can kill it (0: none).
static CURRENT_PGID: AtomicI32 = AtomicI32::new(0);

/// Kills the process group of the run in flight, if any. Safe to call from anywhere.
pub fn kill_current_run() {
    let pgid = CURRENT_PGID.swap(0, Ordering::SeqCst);
    if pgid > 0 {
        // SAFETY: killpg with a positive pgid has no memory-safety preconditions.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Set once the user interrupts the run (SIGINT/SIGTERM).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Marks the run interrupted and kills the run in flight; loops stop at their next step.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    kill_current_run();
    for pgid in SERVER_GROUPS.lock().map(|g| g.clone()).unwrap_or_default() {
        // SAFETY: killpg with a positive pgid has no memory-safety preconditions.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Process groups of the service benchmarks' servers running on the host.
static SERVER_GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Records a server's process group, so an interruption kills it.
pub fn track_server(pgid: i32) {
    if let Ok(mut groups) = SERVER_GROUPS.lock() {
        groups.push(pgid);
    }
}

/// Forgets a server's process group (it was stopped).
pub fn untrack_server(pgid: i32) {
    if let Ok(mut groups) = SERVER_GROUPS.lock() {
        groups.retain(|g| *g != pgid);
    }
}

/// Whether the run was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Launches runs directly on this machine.
#[derive(Debug, Clone)]
pub struct HostLauncher {
    /// The calibench binary, for probes.
    pub exe: PathBuf,
    /// Where relative commands resolve and run when a benchmark names no workdir.
    pub base_dir: PathBuf,
    /// CPUs to pin each run to with sched_setaffinity.
    pub cpus: Option<Vec<usize>>,
    /// Exported to every run as `CALIBENCH_RUNTIME` (`host` or `docker`).
    pub runtime_label: &'static str,
}

const STDERR_TAIL_BYTES: u64 = 2048;

impl HostLauncher {
    fn command(&self, bench: &Benchmark) -> Result<(Command, String), LaunchError> {
        let (program, argv): (String, Vec<String>) = match &bench.kind {
            BenchmarkKind::Command { argv } | BenchmarkKind::Criterion { argv } => {
                (argv[0].clone(), argv.clone())
            }
            BenchmarkKind::Probe { probe, work } => {
                let mut argv = vec![
                    self.exe.display().to_string(),
                    "probe".into(),
                    probe.as_str().into(),
                ];
                if let Some(w) = work {
                    argv.extend(["--work".to_string(), w.to_string()]);
                }
                // A probe works in its directory, calibench's own scratch space: made here
                // so the probe runs the same wherever it is launched (host or container).
                if let Some(dir) = &bench.workdir {
                    std::fs::create_dir_all(dir).map_err(|source| LaunchError::Spawn {
                        program: format!("calibench probe {} in {}", probe.as_str(), dir.display()),
                        source,
                    })?;
                }
                (format!("calibench probe {}", probe.as_str()), argv)
            }
            BenchmarkKind::Service(_) => return Err(LaunchError::NotARun(bench.name.clone())),
        };
        Ok((self.prepared(bench, &argv), program))
    }

    /// `argv` with the benchmark's environment and directory, in its own process group.
    /// The program is resolved on PATH here: std spawns with posix_spawn (vfork) only
    /// when the program is a path or PATH is left alone, and falls back to fork + exec,
    /// which copies calibench's page tables on every run (+0.1 ms a spawn against
    /// hyperfine -N, `scripts/hyperfine-fidelity.sh`), when the environment is replaced
    /// and the program is a bare name.
    fn prepared(&self, bench: &Benchmark, argv: &[String]) -> Command {
        let path = bench
            .env
            .get("PATH")
            .cloned()
            .or_else(|| std::env::var("PATH").ok());
        let mut cmd = Command::new(resolve_program(&argv[0], path.as_deref()));
        cmd.args(&argv[1..])
            .env_clear()
            .envs(crate::benchenv::benchmark_environment())
            .env("CALIBENCH_RUNTIME", self.runtime_label)
            .envs(&bench.env)
            .current_dir(bench.workdir.as_ref().unwrap_or(&self.base_dir))
            .stdin(Stdio::null())
            .process_group(0);
        cmd
    }

    /// Spawns `cmd`, pinned to `self.cpus` (the child inherits the spawning thread's
    /// affinity).
    fn spawn_pinned(
        &self,
        cmd: &mut Command,
        program: &str,
    ) -> Result<std::process::Child, LaunchError> {
        let previous_affinity = match &self.cpus {
            Some(cpus) => Some(pin_current_thread(cpus)?),
            None => None,
        };
        let spawned = cmd.spawn();
        if let Some(previous) = &previous_affinity {
            restore_affinity(previous)?;
        }
        spawned.map_err(|source| LaunchError::Spawn {
            program: program.to_string(),
            source,
        })
    }
}

/// The last `bytes` bytes of `file` (a captured stream), as text.
pub fn file_tail(file: &mut std::fs::File, bytes: u64) -> std::io::Result<String> {
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(bytes)))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    Ok(String::from_utf8_lossy(&tail).into_owned())
}

/// `program` itself when it names a path, else the first executable file of that name
/// in the directories of `path` (else `program`, for spawn to report).
pub fn resolve_program(program: &str, path: Option<&str>) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return program.into();
    }
    path.into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| program.into())
}

/// Sets the calling thread's CPU affinity to `cpus`, returning the previous set.
///
/// The host side pins the *spawning thread* around each spawn rather than using
/// `pre_exec` in the child: a `pre_exec` hook makes std fall back from posix_spawn
/// (vfork) to a full fork, which made host spawns measurably slower than the
/// container's and biased every comparison.
pub fn pin_current_thread(cpus: &[usize]) -> std::io::Result<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data; zeroed is its empty set.
    let mut previous: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: pid 0 is the calling thread; the set is valid for writes of `size`.
    if unsafe { libc::sched_getaffinity(0, size, &mut previous) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: as above.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus.iter().filter(|c| **c < libc::CPU_SETSIZE as usize) {
        // SAFETY: cpu is below CPU_SETSIZE, so CPU_SET stays within the set.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    restore_affinity(&set)?;
    Ok(previous)
}

/// Sets the calling thread's affinity to `set`.
pub fn restore_affinity(set: &libc::cpu_set_t) -> std::io::Result<()> {
    // SAFETY: pid 0 is the calling thread; the set outlives the call.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// How a run's timeout is enforced.
enum Watchdog {
    /// The main thread polls the child's pidfd with the timeout, then reaps it.
    Pidfd {
        fd: libc::c_int,
        timed_out: std::cell::Cell<bool>,
    },
    /// A thread kills the group unless cancelled in time (no pidfd on this kernel).
    Thread {
        cancel: mpsc::Sender<()>,
        thread: std::thread::JoinHandle<bool>,
    },
}

impl Watchdog {
    fn start(pid: libc::pid_t, timeout: Duration) -> Self {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd >= 0 {
            return Watchdog::Pidfd {
                fd: fd as libc::c_int,
                timed_out: std::cell::Cell::new(false),
            };
        }
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(timeout) {
                // SAFETY: killpg has no memory-safety preconditions.
                unsafe { libc::killpg(pid, libc::SIGKILL) };
                true
            } else {
                false
            }
        });
        Watchdog::Thread { cancel, thread }
    }

    /// Whether the run timed out; releases the descriptor or joins the thread.
    fn finish(self) -> bool {
        match self {
            Watchdog::Pidfd { fd, timed_out } => {
                // SAFETY: fd is the pidfd opened in start, closed once here.
                unsafe { libc::close(fd) };
                timed_out.get()
            }
            Watchdog::Thread { cancel, thread } => {
                // A send error only means the watchdog already fired.
                let _ = cancel.send(());
                thread.join().unwrap_or(false)
            }
        }
    }
}

/// Waits until the child behind `fd` exits or `timeout` passes; at the timeout kills
/// its group and returns true.
fn await_exit(fd: libc::c_int, pid: libc::pid_t, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // SAFETY: killpg has no memory-safety preconditions.
            unsafe { libc::killpg(pid, libc::SIGKILL) };
            return true;
        }
        let ms = i32::try_from(left.as_millis() + 1).unwrap_or(i32::MAX);
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc > 0 {
            return false;
        }
        if rc < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // Cannot poll: fall back to the blocking wait without a timeout.
            return false;
        }
    }
}

fn timeval_s(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

impl Launcher for HostLauncher {
    fn start_server(
        &mut self,
        bench: &Benchmark,
        argv: &[String],
        stderr: std::fs::File,
    ) -> Result<std::process::Child, LaunchError> {
        let mut cmd = self.prepared(bench, argv);
        cmd.stdout(Stdio::null()).stderr(Stdio::from(stderr));
        self.spawn_pinned(&mut cmd, &argv[0])
    }

    fn launch(&mut self, bench: &Benchmark) -> Result<RunOutcome, LaunchError> {
        let (mut cmd, program) = self.command(bench)?;
        let mut stderr_file = tempfile::tempfile()?;
        cmd.stderr(Stdio::from(stderr_file.try_clone()?));
        let mut stdout_file = match bench.kind {
            BenchmarkKind::Probe { .. } => {
                let f = tempfile::tempfile()?;
                cmd.stdout(Stdio::from(f.try_clone()?));
                Some(f)
            }
            _ => {
                cmd.stdout(Stdio::null());
                None
            }
        };
        let timeout = bench.settings.timeout;
        let start = Instant::now();
        let child = self.spawn_pinned(&mut cmd, &program)?;
        let pid = child.id() as libc::pid_t;
        CURRENT_PGID.store(pid, Ordering::SeqCst);
        // The group is killed at the timeout. The exit is awaited on a pidfd (no thread
        // per run: creating and joining one cost every sample tens of microseconds of
        // CPU on the machine being measured); kernels without pidfd get a watchdog
        // thread. Either way the wait has no polling granularity.
        let watchdog = Watchdog::start(pid, timeout);
        let mut status: libc::c_int = 0;
        if let Watchdog::Pidfd { fd, timed_out } = &watchdog {
            timed_out.set(await_exit(*fd, pid, timeout));
        }
        // SAFETY: rusage is plain data, filled by the kernel.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = loop {
            // SAFETY: pid is our unreaped child; status and usage are valid pointers.
            let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            if rc == pid {
                break Ok(());
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                break Err(err);
            }
        };
        let wall_s = start.elapsed().as_secs_f64();
        CURRENT_PGID.store(0, Ordering::SeqCst);
        let timed_out = watchdog.finish();
        // std's Child would reap on wait(); we reaped with wait4, so drop it untouched.
        drop(child);
        waited.map_err(|source| LaunchError::Wait { program, source })?;
        if timed_out {
            // SAFETY: as above; stragglers of the group go too.
            unsafe { libc::killpg(pid, libc::SIGKILL) };
        }
        let ending = if timed_out {
            Ending::TimedOut
        } else if libc::WIFEXITED(status) {
            Ending::Exited(libc::WEXITSTATUS(status))
        } else {
            Ending::Signaled(
                std::process::ExitStatus::from_raw(status)
                    .signal()
                    .unwrap_or(0),
            )
        };
        let stdout = match stdout_file.as_mut() {
            Some(f) => {
                let mut s = String::new();
                f.seek(SeekFrom::Start(0))?;
                f.take(1 << 20).read_to_string(&mut s).ok();
                s
            }
            None => String::new(),
        };
        let stderr_tail = file_tail(&mut stderr_file, STDERR_TAIL_BYTES)?;
        Ok(RunOutcome {
            wall_s,
            user_s: timeval_s(usage.ru_utime),
            system_s: timeval_s(usage.ru_stime),
            max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
            ending,
            stdout,
            stderr_tail,
        })
    }
}

/// The figure a successful run contributes: wall time for commands, the probe's own
/// report for probes; with a probe's extra figures (empty for commands).
pub fn sample_value(
    bench: &Benchmark,
    outcome: &RunOutcome,
) -> Result<(f64, BTreeMap<String, f64>), String> {
    match &bench.kind {
        BenchmarkKind::Command { .. }
        | BenchmarkKind::Service(_)
        | BenchmarkKind::Criterion { .. } => Ok((outcome.wall_s, BTreeMap::new())),
        BenchmarkKind::Probe { probe, .. } => {
            let report = ProbeReport::from_stdout(&outcome.stdout)
                .ok_or_else(|| format!("probe {} printed no report", probe.as_str()))?;
            if report.value.is_finite() {
                Ok((report.value, report.extra))
            } else {
                Err(format!(
                    "probe {} reported a non-finite value",
                    probe.as_str()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_program;

    #[test]
    fn bare_names_resolve_on_path_and_paths_stay() {
        let path = std::env::var("PATH").ok();
        let sh = resolve_program("sh", path.as_deref());
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(
            resolve_program("./run.sh", path.as_deref()),
            std::path::PathBuf::from("./run.sh")
        );
        assert_eq!(
            resolve_program("no-such-program-xyz", path.as_deref()),
            std::path::PathBuf::from("no-such-program-xyz")
        );
        assert_eq!(resolve_program("sh", None), std::path::PathBuf::from("sh"));
    }
}
