//! Helpers shared by the integration tests: a scratch directory per test with its own
//! state directory and SQLite file, and the real `calibench` binary.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.path().join("results.db").display())
    }

    /// Writes a suite file and returns its path.
    pub fn suite(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("suite written");
        path
    }

    /// `calibench` running in the scratch directory with its own state and database.
    pub fn calibench(&self) -> Command {
        let mut cmd = Command::cargo_bin("calibench").expect("the calibench binary");
        cmd.current_dir(self.path())
            .env("CALIBENCH_HOME", self.path().join("state"))
            .env("CALIBENCH_DATABASE_URL", self.db_url())
            .env_remove("RUST_LOG");
        cmd
    }
}

/// The workspace root (for shipped suite files).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Parses a command's stdout as JSON.
pub fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Whether docker tests must run: in CI always; elsewhere when an engine answers.
pub fn docker_available_or_skip(test: &str) -> bool {
    let answers = std::process::Command::new("docker")
        .arg("info")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if answers {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: CI=true but no Docker engine answers `docker info`");
    }
    eprintln!("skipping {test}: no Docker engine answers (outside CI)");
    false
}

/// The result of benchmark `name` (the first of any name when `None`) on `runtime` in a
/// run's JSON document.
pub fn result_of<'a>(
    run: &'a serde_json::Value,
    name: Option<&str>,
    runtime: &str,
) -> &'a serde_json::Value {
    run["benchmarks"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .find(|b| b["runtime"] == runtime && name.is_none_or(|n| b["name"] == n))
        })
        .unwrap_or_else(|| {
            panic!(
                "no result of {} on {runtime} in {run}",
                name.unwrap_or("any benchmark")
            )
        })
}

/// The calibench binary under test.
pub fn calibench_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("calibench")
}

/// Ids of containers carrying `calibench.run_id=<run_id>` (running or not).
pub fn containers_of_run(run_id: &str) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=calibench.run_id={run_id}"),
        ])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The run id of the single run spooled in this scratch directory, once it appears.
pub fn spooled_run_id(s: &Scratch, wait: std::time::Duration) -> Option<String> {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if let Ok(entries) = std::fs::read_dir(s.path().join("state/spool")) {
            for e in entries.filter_map(Result::ok) {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(id) = name.strip_suffix(".json").filter(|n| !n.starts_with('.')) {
                    return Some(id.to_string());
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    None
}

/// A fresh PostgreSQL database for this test, or `None` (skipped outside CI).
pub fn fresh_postgres(test: &str) -> Option<String> {
    let admin = calibench_results::testing::postgres_admin_url(test)?;
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    Some(
        rt.block_on(calibench_results::testing::create_database(&admin))
            .expect("test database created"),
    )
}

/// A small, fast suite of real commands.
pub const QUICK_SUITE: &str = "[suite]\nname = \"quick\"\nwarmup = 0\nmin_runs = 5\ntime_budget = \"0s\"\n\
[[benchmark]]\nname = \"true\"\ncommand = [\"true\"]\n[[benchmark]]\nname = \"seq\"\ncommand = [\"seq\", \"1000\"]\n";

/// Starts `calibench run --runtime docker` on `suite` in the background and waits until
/// its first container exists; returns the process and the run id.
pub fn start_docker_run_and_wait_for_container(
    s: &Scratch,
    suite: &Path,
) -> (std::process::Child, String) {
    let child = std::process::Command::new(calibench_bin())
        .current_dir(s.path())
        .env("CALIBENCH_HOME", s.path().join("state"))
        .env("CALIBENCH_DATABASE_URL", s.db_url())
        .args(["run", "--runtime", "docker", "--quiet", "--suite"])
        .arg(suite)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("calibench starts");
    let run_id =
        spooled_run_id(s, std::time::Duration::from_secs(30)).expect("the run spooled its start");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while containers_of_run(&run_id).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no container appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, run_id)
}

/// A suite whose one benchmark sleeps a minute.
pub const SLOW_SUITE: &str = "[suite]\nname = \"slow\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"nap\"\ncommand = [\"sleep\", \"60\"]\n";

/// Stores a host-only run of the suite `text` (written to `file`) under `tag`.
pub fn store_host_run(s: &Scratch, file: &str, text: &str, tag: &str) {
    let path = s.suite(file, text);
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "host",
            "--quiet",
            "--tag",
            tag,
            "--suite",
        ])
        .arg(path)
        .output()
        .expect("run");
    expect_exit(&out, 0);
}

/// Asserts that a finished `calibench` exited with `code`, showing its stderr (and
/// stdout) when it did not.
#[track_caller]
pub fn expect_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A fresh database on the TimescaleDB test server, or `None` (skipped outside CI).
pub fn fresh_timescale(test: &str) -> Option<String> {
    let admin = calibench_results::testing::timescale_admin_url(test)?;
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    Some(
        rt.block_on(calibench_results::testing::create_database(&admin))
            .expect("test database created"),
    )
}

/// Runs one SQL statement with psql against `url`; returns its unaligned output rows.
pub fn psql_rows(url: &str, sql: &str) -> Vec<String> {
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed on {sql}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
