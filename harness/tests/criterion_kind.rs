//! A criterion bench of this workspace (`calibrator/benches/bootstrap.rs`) as a suite
//! benchmark, on the host and in a container: each criterion benchmark it runs becomes
//! a result per side with criterion's per-iteration times as samples.

mod common;
use common::{
    containers_of_run, docker_available_or_skip, expect_exit, json, workspace_root, Scratch,
};

/// The bench binary `cargo test --all-targets` built (the newest one).
fn bench_binary() -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let deps = workspace_root().join("target/debug/deps");
    std::fs::read_dir(deps)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("bootstrap-") && !n.contains('.'))
                && p.metadata()
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

#[test]
fn a_criterion_bench_runs_on_both_sides_and_each_benchmark_is_stored() {
    if !docker_available_or_skip(
        "a_criterion_bench_runs_on_both_sides_and_each_benchmark_is_stored",
    ) {
        return;
    }
    let Some(binary) = bench_binary() else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but no bench binary: scripts/test.sh builds it with --all-targets"
        );
        eprintln!("skipping: build the bench first (cargo test --all-targets)");
        return;
    };
    let s = Scratch::new();
    // The container sees the scratch directory, not the workspace's target/.
    std::fs::copy(&binary, s.path().join("stats-bench")).expect("bench binary copied");
    let suite = s.suite(
        "crit.toml",
        "[suite]\nname = \"crit\"\ntimeout = \"120s\"\n\n[[benchmark]]\nname = \"stats\"\n[benchmark.criterion]\ncommand = [\"./stats-bench\", \"--bench\", \"--warm-up-time\", \"0.2\", \"--measurement-time\", \"0.5\", \"--sample-size\", \"10\", \"--noplot\"]\nfilter = \"order-statistic\"\n",
    );
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "both",
            "--cpuset",
            "0",
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let run = json(&out);
    let results = run["benchmarks"].as_array().expect("benchmarks");
    let name = "stats/order-statistic median CI of 1 000 samples";
    for runtime in ["host", "docker"] {
        let r = common::result_of(&run, Some(name), runtime);
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["n"], 10, "criterion's sample size: {r}");
        let median = r["median"].as_f64().unwrap_or(0.0);
        // One order-statistic CI of 1 000 samples: microseconds, not seconds or nanoseconds.
        assert!(median > 1e-7 && median < 1e-1, "{r}");
        assert_eq!(r["execution_environment"]["pinned_cpus"], "0");
    }
    assert_eq!(
        results.len(),
        2,
        "only the filtered benchmark ran: {results:?}"
    );
    assert!(containers_of_run(run["run_id"].as_str().expect("id")).is_empty());
    assert!(!s
        .path()
        .join(".calibench/criterion")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some()));
}
