//! `calibench run --runtime host` end to end with the real binary and a real SQLite file.

mod common;
use common::expect_exit;

use common::{json, workspace_root, Scratch};

#[test]
fn smoke_suite_json_matches_the_store() {
    let s = Scratch::new();
    let suite = workspace_root().join("suites/smoke.toml");
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "host",
            "--json",
            "--quiet",
            "--tag",
            "t1",
            "--suite",
        ])
        .arg(&suite)
        .args(["--db", &s.db_url()])
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let run = json(&out);
    assert_eq!(run["schema_version"], 1);
    assert_eq!(run["tag"], "t1");
    let run_id = run["run_id"].as_str().expect("run_id").to_string();
    let host = &run["environment"]["host"];
    assert!(!host["cpu_model"].as_str().unwrap_or("").is_empty());
    assert!(!host["kernel"].as_str().unwrap_or("").is_empty());
    let benchmarks = run["benchmarks"].as_array().expect("benchmarks");
    assert_eq!(benchmarks.len(), 4);
    for b in benchmarks {
        let n = b["n"].as_u64().expect("n");
        assert!(n >= 10, "{b}");
        let (lo, med, hi) = (
            b["ci_low"].as_f64().expect("ci_low"),
            b["median"].as_f64().expect("median"),
            b["ci_high"].as_f64().expect("ci_high"),
        );
        assert!(lo <= med && med <= hi, "{b}");
        assert_eq!(b["samples"].as_array().map(Vec::len), Some(n as usize));
        assert_eq!(b["runtime"], "host");
        assert_eq!(b["status"], "ok");
    }

    // The same figures come back from the database.
    let shown = s
        .calibench()
        .args(["show", &run_id, "--json", "--db", &s.db_url()])
        .output()
        .expect("calibench show");
    assert!(shown.status.success());
    let stored = json(&shown);
    assert_eq!(stored["benchmarks"], run["benchmarks"]);
    assert_eq!(stored["environment"], run["environment"]);

    // `runs` lists it, and the spool is empty once stored.
    let listed = s
        .calibench()
        .args(["runs"])
        .output()
        .expect("calibench runs");
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&run_id));
    let spool = s.path().join("state/spool");
    assert_eq!(std::fs::read_dir(&spool).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn failing_and_timed_out_benchmarks_do_not_stop_the_suite() {
    let s = Scratch::new();
    let suite = s.suite(
        "mixed.toml",
        r#"
[suite]
name = "mixed"
warmup = 0
min_runs = 3
time_budget = "0s"
timeout = "1s"

[[benchmark]]
name = "fails"
command = ["sh", "-c", "echo something broke >&2; exit 7"]

[[benchmark]]
name = "hangs"
command = ["sleep", "30"]

[[benchmark]]
name = "works"
command = ["true"]
"#,
    );
    let started = std::time::Instant::now();
    let out = s
        .calibench()
        .args(["run", "--runtime", "host", "--json", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 1);
    // The hung command was killed at its 1 s timeout, not left to sleep 30 s.
    assert!(started.elapsed().as_secs() < 20);
    let run = json(&out);
    let by_name = |n: &str| {
        run["benchmarks"]
            .as_array()
            .and_then(|a| a.iter().find(|b| b["name"] == n).cloned())
            .unwrap_or_default()
    };
    let fails = by_name("fails");
    assert_eq!(fails["status"], "failed");
    let reason = fails["failure"].as_str().unwrap_or("");
    assert!(
        reason.contains("exited with status 7") && reason.contains("something broke"),
        "{reason}"
    );
    let hangs = by_name("hangs");
    assert_eq!(hangs["status"], "failed");
    assert!(
        hangs["failure"]
            .as_str()
            .unwrap_or("")
            .contains("timed out"),
        "{hangs}"
    );
    let works = by_name("works");
    assert_eq!(works["status"], "ok");
    assert_eq!(works["n"], 3);
}

#[test]
fn a_known_duration_is_measured_within_five_percent() {
    let s = Scratch::new();
    let suite = s.suite(
        "sleep.toml",
        "[suite]\nname = \"sleep\"\nwarmup = 1\nmin_runs = 8\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"sleep-200ms\"\ncommand = [\"sleep\", \"0.2\"]\n",
    );
    let out = s
        .calibench()
        .args(["run", "--runtime", "host", "--json", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    assert!(out.status.success());
    let median = json(&out)["benchmarks"][0]["median"]
        .as_f64()
        .expect("median");
    assert!((median / 0.2 - 1.0).abs() < 0.05, "median {median}");
}

#[test]
fn an_unreachable_store_spools_the_run_and_exits_3() {
    let s = Scratch::new();
    let suite = s.suite(
        "one.toml",
        "[suite]\nname = \"one\"\nwarmup = 0\nmin_runs = 2\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\n",
    );
    // A SQLite path under a regular file can never be created.
    std::fs::write(s.path().join("blocker"), b"x").expect("blocker file");
    let out = s
        .calibench()
        .args(["run", "--runtime", "host", "--quiet", "--suite"])
        .arg(&suite)
        .args(["--db", "sqlite://blocker/x.db"])
        .output()
        .expect("calibench runs");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("spooled at") && stderr.contains("calibench push"),
        "{stderr}"
    );
    let spooled: Vec<_> = std::fs::read_dir(s.path().join("state/spool"))
        .expect("spool dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(spooled.len(), 1);
    // Push into the default database stores it, and a second push has nothing to do.
    let push = s.calibench().arg("push").output().expect("push");
    expect_exit(&push, 0);
    assert!(String::from_utf8_lossy(&push.stdout).contains("pushed 1 run(s)"));
    let again = s.calibench().arg("push").output().expect("push");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to push"));
}

/// The launcher that runs calibration probes in the container (`calibench inner`) makes
/// the probe's directory and passes the probe's own figures through with its value.
#[test]
fn an_inner_probe_run_makes_its_directory_and_keeps_the_probes_own_figures() {
    let s = Scratch::new();
    let dir = s.path().join("not-yet/io");
    let bench = serde_json::json!({
        "name": "io-fsync@bind",
        "kind": {"kind": "probe", "probe": "io-fsync", "work": 8},
        "dimension": "io",
        "env": {},
        "workdir": dir,
        "settings": {"warmup": 0, "min_runs": 1, "max_runs": 1, "time_budget": 1, "timeout": 60},
    });
    let out = s
        .calibench()
        .args(["inner", "--count", "1", "--benchmark"])
        .arg(bench.to_string())
        .output()
        .expect("calibench runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let block = json(&out);
    let sample = &block["samples"][0];
    let value = sample["value"].as_f64().expect("value");
    let mean = sample["probe_extra"]["mean_s"]
        .as_f64()
        .expect("the probe's mean");
    let p99 = sample["probe_extra"]["p99_s"]
        .as_f64()
        .expect("the probe's p99");
    let wall = sample["wall_s"].as_f64().expect("wall");
    // The figure is the probe's median latency of one write + fdatasync, not the wall
    // time of the process that made eight of them.
    assert!(value > 0.0 && value <= p99 && mean <= p99, "{sample}");
    assert!(value < wall / 4.0, "{sample}");
    assert!(dir.is_dir());
}

#[test]
fn a_target_for_the_vs_host_interval_needs_two_sides() {
    let s = Scratch::new();
    let suite = s.suite(
        "t.toml",
        "[suite]\nname = \"t\"\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\n",
    );
    let host_run_with = |flags: &[&str]| {
        let mut cmd = s.calibench();
        cmd.args(["run", "--runtime", "host", "--suite"])
            .arg(&suite);
        cmd.args(flags).output().expect("calibench runs")
    };
    let out = host_run_with(&["--target-ci", "3%"]);
    expect_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--target-ci") && err.contains("--runtime both"),
        "{err}"
    );
    // --max-time alone has nothing to limit.
    expect_exit(&host_run_with(&["--max-time", "9s"]), 2);
}
