//! The Docker executor against the real engine: pinned and enforced limits, read back
//! from the engine and seen from inside; failures, timeouts, OOM and cleanup.

mod common;
use common::expect_exit;

use common::{
    calibench_bin, containers_of_run, docker_available_or_skip, json, result_of,
    start_docker_run_and_wait_for_container, workspace_root, Scratch, SLOW_SUITE,
};

#[test]
fn smoke_suite_runs_on_both_sides_with_limits_read_back() {
    if !docker_available_or_skip("smoke_suite_runs_on_both_sides_with_limits_read_back") {
        return;
    }
    let s = Scratch::new();
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "both",
            "--cpus",
            "1",
            "--memory",
            "512m",
            "--cpuset",
            "0",
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(workspace_root().join("suites/smoke.toml"))
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let run = json(&out);
    let run_id = run["run_id"].as_str().expect("run id").to_string();
    let engine = &run["environment"]["engine"];
    assert!(
        engine["engine_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{engine}"
    );
    let benchmarks = run["benchmarks"].as_array().expect("benchmarks");
    assert_eq!(benchmarks.len(), 8);
    for name in ["cpu-kernel", "gzip-4mib", "sort-100k", "spawn-true"] {
        for runtime in ["host", "docker"] {
            let b = common::result_of(&run, Some(name), runtime);
            assert_eq!(b["status"], "ok", "{b}");
            assert!(b["n"].as_u64().unwrap_or(0) >= 10);
            assert_eq!(b["execution_environment"]["pinned_cpus"], "0");
            if runtime == "docker" {
                let limits = &b["execution_environment"]["limits"];
                assert_eq!(limits["nano_cpus"], 1_000_000_000i64, "{limits}");
                assert_eq!(limits["memory_bytes"], 512i64 << 20);
                assert_eq!(limits["memory_swap_bytes"], 512i64 << 20);
                assert_eq!(limits["cpuset_cpus"], "0");
                assert_eq!(limits["cpu_quota"], serde_json::Value::Null);
                assert_eq!(limits["readonly_rootfs"], true);
                let cgroup = &b["execution_environment"]["cgroup"];
                assert!(cgroup["cpu_usage_ns"].as_u64().unwrap_or(0) > 0, "{cgroup}");
                assert!(b["execution_environment"]["container_id"]
                    .as_str()
                    .is_some());
            }
        }
    }
    assert!(
        containers_of_run(&run_id).is_empty(),
        "containers left behind"
    );
}

fn cgroup_seen_inside(cpus: &str) -> serde_json::Value {
    let s = Scratch::new();
    let bin = calibench_bin();
    let suite = s.suite(
        "cgroup.toml",
        &format!(
            "[suite]\nname = \"cgroup\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"limits\"\ncommand = [\"sh\", \"-c\", \"'{}' probe cgroup >> cgroup-$CALIBENCH_RUNTIME.jsonl\"]\n",
            bin.display()
        ),
    );
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "docker",
            "--cpus",
            cpus,
            "--memory",
            "256m",
            "--cpuset",
            "0",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    // Under a CPU quota the run's block also runs in a quota-free twin container (same
    // image, cpuset and memory limit), which appends its own line: the limited
    // container's facts are the line with a quota, where one was asked for.
    let text = std::fs::read_to_string(s.path().join("cgroup-docker.jsonl"))
        .expect("the probe wrote its facts");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("cgroup facts are JSON"))
        .collect();
    lines
        .iter()
        .find(|f| !f["cpu_quota_us"].is_null())
        .or(lines.first())
        .cloned()
        .expect("at least one line of facts")
}

#[test]
fn a_probe_inside_the_container_sees_the_limits_asked_for() {
    if !docker_available_or_skip("a_probe_inside_the_container_sees_the_limits_asked_for") {
        return;
    }
    let facts = cgroup_seen_inside("0.5");
    assert_eq!(facts["memory_limit_bytes"], 256u64 << 20, "{facts}");
    assert_eq!(facts["cpuset"], "0", "{facts}");
    let quota = facts["cpu_quota_us"].as_f64().expect("a CPU quota");
    let period = facts["cpu_period_us"].as_f64().expect("a CPU period");
    assert!((quota / period - 0.5).abs() < 1e-9, "{facts}");
    if facts["version"] == 1 {
        assert_eq!(
            facts["memory_swap_limit_bytes"],
            256u64 << 20,
            "no swap: {facts}"
        );
    }
}

#[test]
fn failures_and_timeouts_in_the_container_leave_no_container_behind() {
    if !docker_available_or_skip("failures_and_timeouts_in_the_container_leave_no_container_behind")
    {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite(
        "bad.toml",
        "[suite]\nname = \"bad\"\nwarmup = 0\nmin_runs = 2\ntime_budget = \"0s\"\ntimeout = \"1s\"\n\
         [[benchmark]]\nname = \"fails\"\ncommand = [\"sh\", \"-c\", \"echo nope >&2; exit 4\"]\n\
         [[benchmark]]\nname = \"hangs\"\ncommand = [\"sleep\", \"30\"]\n\
         [[benchmark]]\nname = \"works\"\ncommand = [\"true\"]\n",
    );
    let out = s
        .calibench()
        .args(["run", "--runtime", "docker", "--json", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 1);
    let run = json(&out);
    let b = |n: &str| {
        run["benchmarks"]
            .as_array()
            .and_then(|a| a.iter().find(|b| b["name"] == n).cloned())
            .unwrap_or_default()
    };
    assert!(b("fails")["failure"]
        .as_str()
        .unwrap_or("")
        .contains("exited with status 4"));
    assert!(b("fails")["failure"]
        .as_str()
        .unwrap_or("")
        .contains("nope"));
    assert!(b("hangs")["failure"]
        .as_str()
        .unwrap_or("")
        .contains("timed out"));
    assert_eq!(b("works")["status"], "ok");
    assert!(containers_of_run(run["run_id"].as_str().unwrap_or("")).is_empty());
}

#[test]
fn exceeding_the_memory_limit_is_reported_as_oom_killed() {
    if !docker_available_or_skip("exceeding_the_memory_limit_is_reported_as_oom_killed") {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite(
        "oom.toml",
        "[suite]\nname = \"oom\"\nwarmup = 0\nmin_runs = 2\ntime_budget = \"0s\"\n\
         [[benchmark]]\nname = \"hog\"\ncommand = [\"python3\", \"-c\", \"b = bytearray(400 * 1024 * 1024); print(len(b))\"]\n",
    );
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "docker",
            "--memory",
            "96m",
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 1);
    let run = json(&out);
    let hog = &run["benchmarks"][0];
    assert_eq!(hog["status"], "failed", "{hog}");
    assert!(
        hog["failure"].as_str().unwrap_or("").contains("OOM-killed"),
        "{hog}"
    );
    assert_eq!(hog["n"], 0, "an OOM-killed run is never a fast result");
}

#[test]
fn sigint_mid_run_removes_the_container() {
    if !docker_available_or_skip("sigint_mid_run_removes_the_container") {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite("slow.toml", SLOW_SUITE);
    let (mut child, run_id) = start_docker_run_and_wait_for_container(&s, &suite);
    // SAFETY: kill with a valid pid and signal has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("calibench exits");
    assert_eq!(status.code(), Some(130));
    assert!(
        containers_of_run(&run_id).is_empty(),
        "the container survived SIGINT"
    );
}

#[test]
fn without_an_engine_both_runs_host_only_and_docker_exits_3() {
    let s = Scratch::new();
    let suite = s.suite(
        "one.toml",
        "[suite]\nname = \"one\"\nwarmup = 0\nmin_runs = 2\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\n",
    );
    let missing = format!("unix://{}", s.path().join("no-docker.sock").display());
    let both = s
        .calibench()
        .env("DOCKER_HOST", &missing)
        .args(["run", "--runtime", "both", "--json", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&both, 0);
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert!(
        stderr.contains("no Docker engine answers") && stderr.contains("host only"),
        "{stderr}"
    );
    let run = json(&both);
    assert_eq!(run["benchmarks"].as_array().map(Vec::len), Some(1));
    assert_eq!(run["benchmarks"][0]["runtime"], "host");
    let docker = s
        .calibench()
        .env("DOCKER_HOST", &missing)
        .args(["run", "--runtime", "docker", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    assert_eq!(docker.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&docker.stderr).contains("hint:"));
}

/// Runs `script` (TOML-escaped, for `sh -c`) once on the host and once in a container,
/// with `env` set for calibench; exit 0 expected. The script leaves its findings in the
/// scratch directory.
fn once_on_both_sides(s: &Scratch, script: &str, env: &[(&str, &str)]) {
    let suite = s.suite(
        "once.toml",
        &format!(
            "[suite]\nname = \"once\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"once\"\ncommand = [\"sh\", \"-c\", \"{script}\"]\n"
        ),
    );
    let out = s
        .calibench()
        .envs(env.iter().copied())
        .args(["run", "--runtime", "both", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("run");
    expect_exit(&out, 0);
}

/// A benchmark once ran in the C locale inside the container but in C.UTF-8 on the host,
/// which made `sort` twice as fast in the container. Both sides now see the same
/// environment, and neither sees the database URL.
#[test]
fn both_sides_see_the_same_environment_without_the_database_url() {
    if !docker_available_or_skip("both_sides_see_the_same_environment_without_the_database_url") {
        return;
    }
    let s = Scratch::new();
    once_on_both_sides(
        &s,
        "echo \\\"$LANG|$CALIBENCH_EXAMPLE|${CALIBENCH_DATABASE_URL:-withheld}\\\" > env-$CALIBENCH_RUNTIME.txt",
        &[("LANG", "C.UTF-8"), ("CALIBENCH_EXAMPLE", "same on both sides")],
    );
    let read = |side: &str| {
        std::fs::read_to_string(s.path().join(format!("env-{side}.txt"))).expect("written")
    };
    assert_eq!(read("host"), "C.UTF-8|same on both sides|withheld\n");
    assert_eq!(read("docker"), read("host"));
}

/// Measured once: `--cpuset 99` on a 2-CPU host ran and stored a failed benchmark
/// ("Invalid argument (os error 22)"), `--cpus 64` stored a run and then failed at
/// container creation with the engine's 400 message, and a command naming a file outside
/// the working directory failed only in the container, after the host side had run. All
/// three now stop before anything runs: exit 2, naming the limit (with what the machine
/// has) or the path (with how to make it visible); nothing ran, was spooled or stored.
/// The working directory itself is under `/tmp` here, as in every test of this file,
/// which once failed every container with "Duplicate mount point: /tmp".
#[test]
fn impossible_limits_and_unseen_paths_stop_before_anything_runs() {
    if !docker_available_or_skip("impossible_limits_and_unseen_paths_stop_before_anything_runs") {
        return;
    }
    let s = Scratch::new();
    let elsewhere = tempfile::tempdir().expect("a second temporary directory");
    let outside = elsewhere.path().join("input.txt");
    std::fs::write(&outside, "seen on the host only\n").expect("written");
    let marker = "[suite]\nname = \"pre\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"touch\"\ncommand = [\"touch\", \"ran\"]\n";
    let plain = s.suite("plain.toml", marker);
    let run = |suite: &std::path::Path, flags: &[&str]| {
        s.calibench()
            .args(["run", "--runtime", "both", "--quiet"])
            .args(flags)
            .arg("--suite")
            .arg(suite)
            .output()
            .expect("calibench runs")
    };
    let online = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cases: [(&[&str], String); 3] = [
        (
            &["--cpuset", "99"],
            "--cpuset 99: CPU 99 is not online".into(),
        ),
        (
            &["--cpus", "64"],
            format!("--cpus 64: more than the {online} CPU(s)"),
        ),
        (&["--memory", "100000g"], "--memory 102400000 MiB".into()),
    ];
    for (flags, said) in cases {
        let out = run(&plain, flags);
        expect_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&said), "{flags:?}: {err}");
        assert!(
            err.contains("online CPU(s)") || err.contains("machine's"),
            "{err}"
        );
        assert!(err.contains("hint:"), "{err}");
    }
    let unseen = s.suite(
        "unseen.toml",
        &format!(
            "[suite]\nname = \"unseen\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"read\"\n\
             command = [\"sh\", \"-c\", \"touch ran; cat \\\"$0\\\"\", \"{}\"]\n",
            outside.display()
        ),
    );
    let out = run(&unseen, &[]);
    expect_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("benchmark `read`: {}", outside.display())),
        "{err}"
    );
    assert!(
        err.contains("hint: move the files under the working directory"),
        "{err}"
    );
    assert!(!s.path().join("ran").exists(), "a benchmark ran");
    let spooled = std::fs::read_dir(s.path().join("state/spool"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(spooled, 0, "a run was spooled");
    let runs = s
        .calibench()
        .args(["runs", "--json"])
        .output()
        .expect("runs");
    expect_exit(&runs, 0);
    assert_eq!(json(&runs), serde_json::json!([]), "a run was stored");
    // The same directory with limits the machine has runs on both sides.
    let out = run(&plain, &["--cpus", "0.5", "--cpuset", "0"]);
    expect_exit(&out, 0);
    assert!(s.path().join("ran").exists());
}

/// A tmpfs `/tmp` in the container beside the host's disk-backed one read fio's synced
/// writes in the work directory 4-6 % faster in the container (docs/truth.md). The
/// container's `/tmp` is now of the host's kind (here: a tmpfs only where the host's is
/// one, else an anonymous volume), writable by the run's user, and the volume goes with
/// the container.
#[test]
fn the_containers_tmp_is_of_the_hosts_kind_and_goes_with_the_container() {
    if !docker_available_or_skip(
        "the_containers_tmp_is_of_the_hosts_kind_and_goes_with_the_container",
    ) {
        return;
    }
    let s = Scratch::new();
    once_on_both_sides(
        &s,
        "t=$(mktemp -p /tmp) && rm \\\"$t\\\" && stat -f -c %T /tmp > tmp-$CALIBENCH_RUNTIME.txt && awk '$5 == \\\"/tmp\\\" {print $4}' /proc/self/mountinfo > src-$CALIBENCH_RUNTIME.txt",
        &[],
    );
    let read = |file: &str| {
        std::fs::read_to_string(s.path().join(file))
            .unwrap_or_else(|e| panic!("{file} not written: {e}"))
    };
    // Written only after a file was made in /tmp: it is writable on both sides.
    let host_kind = read("tmp-host.txt");
    assert_eq!(read("tmp-docker.txt"), host_kind);
    if host_kind.trim() != "tmpfs" {
        let source = read("src-docker.txt");
        let volume = source
            .trim()
            .strip_suffix("/_data")
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or_else(|| panic!("/tmp is no volume in the container: {source:?}"));
        let inspect = std::process::Command::new("docker")
            .args(["volume", "inspect", volume])
            .output()
            .expect("docker volume inspect");
        assert!(
            !inspect.status.success(),
            "volume {volume} outlived its container"
        );
    }
}

/// A block of short runs opens with settling runs, inside the container too (where
/// `calibench inner` makes them), and they are not samples: each side's runs append a
/// line, and there are more lines than the warm-up and the samples.
#[test]
fn short_runs_settle_on_both_sides_and_are_not_samples() {
    if !docker_available_or_skip("short_runs_settle_on_both_sides_and_are_not_samples") {
        return;
    }
    let s = Scratch::new();
    // 20 runs in blocks of 2 (ten rounds); a run of sh takes about 1 ms, so each block
    // opens with at least one settling run.
    let suite = s.suite(
        "settle.toml",
        "[suite]\nname = \"settle\"\nwarmup = 1\nmin_runs = 20\nmax_runs = 20\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"append\"\ncommand = [\"sh\", \"-c\", \"echo run >> runs-$CALIBENCH_RUNTIME.txt\"]\n",
    );
    let out = s
        .calibench()
        .args(["run", "--runtime", "both", "--quiet", "--json", "--suite"])
        .arg(&suite)
        .output()
        .expect("run");
    expect_exit(&out, 0);
    let run = json(&out);
    for side in ["host", "docker"] {
        assert_eq!(result_of(&run, None, side)["n"], 20, "{side}");
        let lines = std::fs::read_to_string(s.path().join(format!("runs-{side}.txt")))
            .unwrap_or_else(|e| panic!("runs-{side}.txt not written: {e}"))
            .lines()
            .count();
        assert!(
            lines >= 1 + 20 + 10,
            "{side}: {lines} runs for a warm-up and 20 samples in 10 blocks"
        );
    }
}

/// With `--target-ci` a benchmark runs until its "vs host" interval is that narrow, the
/// suite's zero time budget notwithstanding; a target out of reach stops at
/// `--max-time` and says so.
#[test]
fn a_target_for_the_vs_host_interval_is_measured_to_or_said_to_be_missed() {
    if !docker_available_or_skip(
        "a_target_for_the_vs_host_interval_is_measured_to_or_said_to_be_missed",
    ) {
        return;
    }
    let s = Scratch::new();
    // 20 ms runs, 5 a block: the suite alone would stop at 5 runs a side.
    let suite = s.suite(
        "target.toml",
        "[suite]\nname = \"target\"\nwarmup = 1\nmin_runs = 5\nmax_runs = 2000\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"sleep\"\ncommand = [\"sleep\", \"0.02\"]\n",
    );
    let run = |target: &str, max_time: &str| {
        let out = s
            .calibench()
            .args(["run", "--runtime", "both", "--quiet", "--json"])
            .args(["--target-ci", target, "--max-time", max_time, "--suite"])
            .arg(&suite)
            .output()
            .expect("run");
        expect_exit(&out, 0);
        json(&out)
    };
    let reached = run("10%", "60s");
    let paired = &result_of(&reached, None, "docker")["execution_environment"]["paired_with_host"];
    let half = (paired["ci_high_pct"].as_f64().unwrap_or(f64::NAN)
        - paired["ci_low_pct"].as_f64().unwrap_or(f64::NAN))
        / 2.0;
    assert!(half <= 10.0, "half-width {half} in {paired}");
    assert!(paired["rounds"].as_u64().unwrap_or(0) >= 10, "{paired}");
    assert!(result_of(&reached, None, "host")["n"].as_u64().unwrap_or(0) >= 10);
    assert!(
        !reached["notices"].to_string().contains("asked for"),
        "{}",
        reached["notices"]
    );

    let started = std::time::Instant::now();
    let missed = run("0.001%", "4s");
    let took = started.elapsed().as_secs_f64();
    let notices = missed["notices"].to_string();
    assert!(
        notices.contains("`sleep`") && notices.contains("±0.001 % asked for"),
        "{notices}"
    );
    assert!(took < 60.0, "a 4 s limit took {took:.0} s");
    let n = result_of(&missed, None, "docker")["n"]
        .as_u64()
        .unwrap_or(0);
    assert!((10..2000).contains(&n), "{n} runs");
}
