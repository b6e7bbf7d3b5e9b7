//! `calibench calibrate` against the real engine: known answers (a CFS quota stays out of
//! the containerisation ratio; cpuset pinning alone costs about nothing), A/A
//! intervals that include zero, the time limit, and adjusted container results.
//! Calibrations share two cores, so these tests take turns.

mod common;
use common::expect_exit;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::{docker_available_or_skip, json, Scratch};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// This test's turn on the machine and its scratch directory; `None` (skip) when it
/// needs the engine and none answers outside CI.
fn turn(test: &str, needs_engine: bool) -> Option<(MutexGuard<'static, ()>, Scratch)> {
    if needs_engine && !docker_available_or_skip(test) {
        return None;
    }
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    Some((guard, Scratch::new()))
}

fn calibrate(s: &Scratch, args: &[&str]) -> (serde_json::Value, Duration) {
    let started = Instant::now();
    let out = s
        .calibench()
        .arg("calibrate")
        .args(args)
        .args(["--json", "--quiet"])
        .output()
        .expect("calibrate runs");
    expect_exit(&out, 0);
    (json(&out), started.elapsed())
}

fn probe<'a>(profile: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    profile["probes"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["probe"] == name))
        .unwrap_or_else(|| panic!("probe {name} missing in {profile}"))
}

/// Whether a probe's interval reaches within `pct` % of no cost and its estimate lies
/// within 10 %.
fn near_no_cost(probe: &serde_json::Value, pct: f64) -> bool {
    let get = |k: &str| {
        probe[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} in {probe}"))
    };
    let (est, lo, hi) = (get("overhead_pct"), get("ci_low_pct"), get("ci_high_pct"));
    lo < pct && hi > -pct && est.abs() < 10.0
}

#[test]
fn every_dimension_gets_an_interval_within_the_time_limit() {
    let Some((_turn, s)) = turn(
        "every_dimension_gets_an_interval_within_the_time_limit",
        true,
    ) else {
        return;
    };
    let (p, took) = calibrate(
        &s,
        &["--max-time", "90s", "--cpuset", "0", "--memory", "1g"],
    );
    // The limit covers the calibration; process start and storing add a little.
    assert!(took < Duration::from_secs(100), "took {took:?}");
    assert!(
        p["elapsed_s"].as_f64().unwrap_or(f64::MAX) <= 90.0,
        "{}",
        p["elapsed_s"]
    );
    assert_eq!(p["schema_version"], 1);
    let dims = p["dimensions"].as_array().expect("dimensions");
    let names: Vec<&str> = dims
        .iter()
        .filter_map(|d| d["dimension"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["cpu", "memory", "io", "latency"],
        "{}",
        p["probes"]
    );
    for d in dims {
        let (lo, est, hi) = (
            d["ci_low_pct"].as_f64(),
            d["overhead_pct"].as_f64(),
            d["ci_high_pct"].as_f64(),
        );
        let (lo, est, hi) = (
            lo.expect("ci_low_pct"),
            est.expect("overhead_pct"),
            hi.expect("ci_high_pct"),
        );
        assert!(lo <= est && est <= hi, "{d}");
        assert!(d["verdict"].is_string());
    }
    // The CPU dimension is the prediction over the CPU probes, and the IO dimension over
    // the three synced small writes in the work directory: its estimate is their weighted
    // mean, so it lies between them.
    for (dim, members) in [
        (&dims[0], &["cpu", "cpu-threads", "cpu-sort"][..]),
        (
            &dims[2],
            &["io-fsync@bind", "io-overwrite@bind", "io-prealloc@bind"][..],
        ),
    ] {
        assert_eq!(dim["probe"], members.join("+"), "{dim}");
        assert!(dim["between_probe_sd_pct"].as_f64().is_some(), "{dim}");
        let each: Vec<f64> = members
            .iter()
            .map(|m| probe(&p, m)["overhead_pct"].as_f64().expect(m))
            .collect();
        let (lo, hi) = each
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        let m = dim["overhead_pct"].as_f64().expect("a value");
        assert!(lo - 1e-9 <= m && m <= hi + 1e-9, "{each:?} → {m}");
    }
    // Probes whose figures adjust nothing are measured last and stop after 20 rounds;
    // the profile lists them in the catalogue's order all the same.
    for name in ["io-fsync@layer", "io-seq@bind", "syscall", "tcp-pingpong"] {
        let rounds = probe(&p, name)["rounds"].as_u64().expect(name);
        assert!(rounds <= 20, "{name}: {rounds} rounds");
    }
    let labels: Vec<&str> = p["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter_map(|q| q["probe"].as_str())
        .collect();
    assert_eq!(labels.first(), Some(&"cpu"), "{labels:?}");
    assert_eq!(labels.last(), Some(&"tcp-pingpong"), "{labels:?}");
    assert!(p["memory_overhead_mb"].as_f64().is_some(), "{p}");
    assert!(
        p["start_latency"]["create_to_first_output_ms"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0
    );
    // The network dimension: the host network is the default, one path with its interval.
    let network = p["network"].as_array().expect("network[]");
    assert_eq!(network.len(), 1, "{p}");
    assert_eq!(network[0]["path"], "host_network", "{p}");
    for n in network {
        assert!(n["ci_low_us"].as_f64() <= n["ci_high_us"].as_f64(), "{n}");
    }
    // Seccomp filtering costs every syscall; the unconfined variant must not pay it more.
    let filtered = probe(&p, "syscall")["overhead_pct"].as_f64().unwrap_or(0.0);
    let unconfined = probe(&p, "syscall@unconfined")["overhead_pct"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(
        filtered > unconfined,
        "syscall {filtered} vs unconfined {unconfined}"
    );
}

#[test]
fn a_cpu_quota_stays_out_of_the_containerisation_ratio() {
    let Some((_turn, s)) = turn("a_cpu_quota_stays_out_of_the_containerisation_ratio", true) else {
        return;
    };
    let (quota, _) = calibrate(
        &s,
        &[
            "--dimensions",
            "cpu",
            "--max-time",
            "45s",
            "--cpus",
            "0.5",
            "--cpuset",
            "0",
        ],
    );
    // The CPU probes ran without the quota (a half-CPU quota doubles single-thread time,
    // which would read as about +100 %): no throttled period, no raw figure to remove
    // throttling from, and a note that says so.
    let cpu = probe(&quota, "cpu");
    assert_eq!(cpu["throttled_periods"].as_u64().unwrap_or(0), 0, "{cpu}");
    assert!(cpu.get("raw_container_median").is_none(), "{cpu}");
    assert!(
        quota["notes"].to_string().contains("without its CPU quota"),
        "{}",
        quota["notes"]
    );
    assert!(
        near_no_cost(cpu, 5.0),
        "quota-free containerisation ratio: {cpu}"
    );
    // A single-threaded command under the same quota, beside the host: the quota about
    // doubles its time; each run loses its own throttled time (recorded as removed) and
    // the adjusted value comes back near the host's.
    let suite = s.suite(
        "quota.toml",
        "[suite]\nname = \"quota\"\nwarmup = 1\nmin_runs = 8\nmax_runs = 8\ntime_budget = \"0s\"\n\
         [[benchmark]]\nname = \"loop\"\n\
         command = [\"sh\", \"-c\", \"i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\"]\n",
    );
    let out = s
        .calibench()
        .args(["run", "--runtime", "both", "--json", "--quiet"])
        .args(["--cpus", "0.5", "--cpuset", "0", "--suite"])
        .arg(&suite)
        .output()
        .expect("run");
    expect_exit(&out, 0);
    let run = json(&out);
    let (host, docker) = (
        common::result_of(&run, None, "host"),
        common::result_of(&run, None, "docker"),
    );
    let h = host["median"].as_f64().expect("host median");
    let raw = docker["median"].as_f64().expect("container median");
    let adjusted = docker["adjusted_median"]
        .as_f64()
        .unwrap_or_else(|| panic!("not adjusted: {docker}"));
    let removed = docker["execution_environment"]["throttled_removed_s"]
        .as_f64()
        .unwrap_or_else(|| panic!("no throttled time recorded: {docker}"));
    assert!(
        raw > 1.5 * h,
        "the quota did not slow it: {raw} against {h}"
    );
    assert!(removed > 0.3 * h, "removed {removed} of {raw}");
    // The quota's effect on the work itself was measured against a quota-free twin
    // container, block by block, and the twin is gone with the run.
    let effect = &docker["execution_environment"]["quota_effect"];
    let rounds = effect["rounds"]
        .as_u64()
        .unwrap_or_else(|| panic!("no quota effect measured: {docker}"));
    assert!(rounds >= 4, "{effect}");
    let run_id = run["run_id"].as_str().expect("run id");
    assert_eq!(common::containers_of_run(run_id), Vec::<String>::new());
    // Unremoved, the quota would leave the adjusted value about twice the host's. How
    // close it comes is the truth table's to measure (docs/truth.md); eight runs a side
    // on a noisy machine put the two medians 20 % apart in a CI run on 2026-12-07, with
    // the adjusted interval holding the host's median, so the bound here is 30 %.
    assert!(
        (adjusted / h - 1.0).abs() < 0.3,
        "adjusted {adjusted} against the host's {h}: {docker}"
    );
    // The same question in the run's paired rounds: every run carries its round, and
    // the adjusted value against the host round by round leaves the quota out too.
    for side in [&host, &docker] {
        let rounds = side["usage"]["round"].as_array().map_or(0, Vec::len);
        assert_eq!(Some(rounds as u64), side["n"].as_u64(), "{side}");
    }
    let paired = &docker["execution_environment"]["adjusted_vs_host"];
    let (Some(change), Some(lo), Some(hi)) = (
        paired["change_pct"].as_f64(),
        paired["ci_low_pct"].as_f64(),
        paired["ci_high_pct"].as_f64(),
    ) else {
        panic!("no paired adjusted figure: {docker}");
    };
    assert!(paired["rounds"].as_u64().unwrap_or(0) >= 4, "{paired}");
    assert!(lo <= change && change <= hi, "{paired}");
    assert!(change.abs() < 30.0, "{paired}");
    let (pinned, _) = calibrate(
        &s,
        &["--dimensions", "cpu", "--max-time", "45s", "--cpuset", "0"],
    );
    // Pinning alone costs little: the interval reaches within 3 % of no cost (one
    // probe's estimate moved 10-20 % between 90 s calibrations in a noisy hour).
    let cpu = probe(&pinned, "cpu");
    assert!(near_no_cost(cpu, 3.0), "pinning alone: {cpu}");
}

/// Host against host, twice. Each interval is a 95 % CI, so even a perfect method
/// excludes zero in about 1 of 20 intervals; a one-shot "every interval includes zero"
/// would fail by design about once in ten CI runs. The test therefore checks the rate:
/// of the 18 intervals of two A/A calibrations (9 probes each), at most 3 may exclude
/// zero (binomial with p = 0.05: P(X ≥ 4) ≈ 1.1 %), and the representative CPU interval
/// of each run must not reach outside the ±1 % equivalence band on either side.
#[test]
fn aa_calibrations_rarely_exclude_zero() {
    let Some((_turn, s)) = turn("aa_calibrations_rarely_exclude_zero", false) else {
        return;
    };
    let mut excluded = 0;
    let mut total = 0;
    for attempt in 0..2 {
        let (p, _) = calibrate(
            &s,
            &[
                "--aa",
                "--dimensions",
                "cpu,memory,latency",
                "--max-time",
                "60s",
                "--cpuset",
                "0",
            ],
        );
        assert_eq!(p["aa"], true);
        for probe in p["probes"].as_array().expect("probes") {
            let (lo, hi) = (
                probe["ci_low_pct"].as_f64().expect("low"),
                probe["ci_high_pct"].as_f64().expect("high"),
            );
            total += 1;
            if lo > 0.0 || hi < 0.0 {
                excluded += 1;
                eprintln!(
                    "A/A run {attempt}: {} excludes zero: {probe}",
                    probe["probe"]
                );
            }
        }
        let cpu = &p["dimensions"][0];
        let (lo, hi) = (
            cpu["ci_low_pct"].as_f64().expect("low"),
            cpu["ci_high_pct"].as_f64().expect("high"),
        );
        assert!(lo < 1.0 && hi > -1.0, "A/A run {attempt}: cpu {cpu}");
    }
    // Two calibrations of 3 CPU, 2 memory and 4 latency probes.
    assert_eq!(total, 18);
    assert!(
        excluded <= 3,
        "{excluded} of {total} A/A intervals exclude zero"
    );
}

/// An IO command in a container that may run on any CPU, and in one pinned to CPU 0. On
/// this project's machines the block device's interrupts go to one CPU and a 4 KiB
/// `fdatasync` has taken 40–65 % longer on the other, so an unpinned IO result depends on
/// where each run landed; calibrate measures that on the host and, where the slowest CPU
/// may be more than 5 % slower, IO results are declined with the figures instead of
/// adjusted by a ratio that does not transfer; below that, the io interval is widened by
/// the spread. Pinned to one CPU there is nothing to check and the result is adjusted.
#[test]
fn io_results_are_adjusted_only_where_io_latency_depends_little_on_the_cpu() {
    let Some((_turn, s)) = turn(
        "io_results_are_adjusted_only_where_io_latency_depends_little_on_the_cpu",
        true,
    ) else {
        return;
    };
    let suite = s.suite(
        "io.toml",
        "[suite]\nname = \"io\"\nwarmup = 1\nmin_runs = 6\nmax_runs = 6\ntime_budget = \"0s\"\n\
         [[benchmark]]\nname = \"dd-dsync\"\ndimension = \"io\"\n\
         command = [\"dd\", \"if=/dev/zero\", \"of=dd.bin\", \"bs=4k\", \"count=64\", \"oflag=dsync\", \"status=none\"]\n",
    );
    let run = |limits: &[&str]| {
        let out = s
            .calibench()
            .args(["run", "--runtime", "both", "--json", "--quiet"])
            .args(limits)
            .arg("--suite")
            .arg(&suite)
            .output()
            .expect("run");
        expect_exit(&out, 0);
        common::result_of(&json(&out), None, "docker").clone()
    };
    let online = std::thread::available_parallelism().map_or(1, |n| n.get());
    let free = ["--memory", "512m"];
    let (profile, _) = calibrate(
        &s,
        &[&["--dimensions", "io", "--max-time", "20s"][..], &free].concat(),
    );
    let placement = &profile["io_placement"];
    if online < 2 {
        assert!(placement.is_null(), "{placement}");
    } else {
        let cpus = placement["cpus"].as_array().expect("a figure per CPU");
        assert_eq!(cpus.len(), online, "{placement}");
        for c in cpus {
            assert_eq!(c["runs"], 40, "{c}");
            assert!(c["median"].as_f64().is_some_and(|m| m > 0.0), "{c}");
        }
        let low = placement["ci_low_pct"].as_f64().expect("an interval");
        let high = placement["ci_high_pct"].as_f64().expect("an interval");
        let depends = placement["depends"].as_bool().expect("a decision");
        assert_eq!(depends, low > 1.0, "{placement}");
        let docker = run(&free);
        let env = &docker["execution_environment"];
        if high > 5.0 {
            assert!(docker["adjusted_median"].is_null(), "{docker}");
            let why = env["not_adjustable"].as_str().unwrap_or_default();
            assert!(why.contains("on the CPU a run lands on"), "{env}");
            assert!(
                profile["notes"].to_string().contains("--cpuset"),
                "{}",
                profile["notes"]
            );
        } else {
            // The interval the result was adjusted with is the profile's io interval
            // widened by the spread's upper end either way.
            assert!(docker["adjusted_median"].is_f64(), "{docker}");
            let io_of = |list: &str| {
                profile[list]
                    .as_array()
                    .and_then(|d| d.iter().find(|d| d["dimension"] == "io"))
                    .cloned()
            };
            let io = io_of("pooled")
                .or_else(|| io_of("dimensions"))
                .expect("an io dimension");
            let f = 1.0 + high.max(0.0) / 100.0;
            let pct = |v: &serde_json::Value| v.as_f64().expect("a percentage") / 100.0;
            let (lo, hi) = (pct(&io["ci_low_pct"]), pct(&io["ci_high_pct"]));
            let (used_lo, used_hi) = (
                pct(&env["overhead_ci_low_pct"]),
                pct(&env["overhead_ci_high_pct"]),
            );
            assert!(
                (used_lo - ((1.0 + lo) / f - 1.0)).abs() < 1e-9,
                "{env} {io}"
            );
            assert!(
                (used_hi - ((1.0 + hi) * f - 1.0)).abs() < 1e-9,
                "{env} {io}"
            );
        }
        eprintln!("IO by CPU: {placement}");
    }
    // Pinned, with the cpu dimension beside io: the program's time off CPU takes the io
    // ratio, the rest the cpu ratio, and the interval spans both dimensions' intervals.
    let pinned = ["--cpuset", "0"];
    let (profile, _) = calibrate(
        &s,
        &[
            &["--dimensions", "cpu,io", "--max-time", "20s"][..],
            &pinned,
        ]
        .concat(),
    );
    assert!(profile.get("io_placement").is_none(), "{profile}");
    let docker = run(&pinned);
    let env = &docker["execution_environment"];
    assert!(docker["adjusted_median"].is_f64(), "{docker}");
    assert!(env["not_adjustable"].is_null(), "{docker}");
    let dim = |name: &str| {
        let d = profile["dimensions"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["dimension"] == name))
            .unwrap_or_else(|| panic!("no {name} dimension: {profile}"));
        ["overhead_pct", "ci_low_pct", "ci_high_pct"].map(|k| d[k].as_f64().expect(k))
    };
    let (io, cpu) = (dim("io"), dim("cpu"));
    let share = env["io_share"].as_f64().expect("the share off CPU");
    assert!((0.0..=1.0).contains(&share), "{env}");
    let used = [
        "overhead_pct",
        "overhead_ci_low_pct",
        "overhead_ci_high_pct",
    ]
    .map(|k| env[k].as_f64().expect(k));
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(
        close(used[0], share * io[0] + (1.0 - share) * cpu[0]),
        "{env}"
    );
    assert!(close(used[1], io[1].min(cpu[1])), "{env} {profile}");
    assert!(close(used[2], io[2].max(cpu[2])), "{env} {profile}");
    eprintln!(
        "dd with oflag=dsync: {:.0} % of its time off CPU",
        share * 100.0
    );
}

#[test]
fn container_results_are_adjusted_only_with_a_matching_profile() {
    let Some((_turn, s)) = turn(
        "container_results_are_adjusted_only_with_a_matching_profile",
        true,
    ) else {
        return;
    };
    let suite = s.suite(
        "adj.toml",
        // 8 runs: below 6 no 95 % interval of a median exists, and nothing is adjusted.
        "[suite]\nname = \"adj\"\nwarmup = 0\nmin_runs = 8\ntime_budget = \"0s\"\n\
         [[benchmark]]\nname = \"kernel\"\nprobe = \"cpu\"\n\
         [[benchmark]]\nname = \"spawn\"\ncommand = [\"true\"]\ndimension = \"latency\"\n",
    );
    let run = |extra: &[&str]| {
        let out = s
            .calibench()
            .args([
                "run",
                "--runtime",
                "docker",
                "--json",
                "--quiet",
                "--cpuset",
                "0",
                "--suite",
            ])
            .arg(&suite)
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            json(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (before, stderr) = run(&[]);
    assert!(
        stderr.contains("no calibration profile matches"),
        "{stderr}"
    );
    assert!(before["benchmarks"]
        .as_array()
        .is_some_and(|b| b.iter().all(|r| r["adjusted_median"].is_null())));
    assert!(before["calibration_profile_id"].is_null());

    let (profile, _) = calibrate(
        &s,
        &[
            "--dimensions",
            "cpu,latency",
            "--max-time",
            "40s",
            "--cpuset",
            "0",
        ],
    );
    let (after, stderr) = run(&[]);
    assert!(
        stderr.contains("adjusted with calibration profile"),
        "{stderr}"
    );
    assert_eq!(after["calibration_profile_id"], profile["profile_id"]);
    for b in after["benchmarks"].as_array().expect("benchmarks") {
        let adjusted = b["adjusted_median"]
            .as_f64()
            .unwrap_or_else(|| panic!("not adjusted: {b}"));
        let raw = b["median"].as_f64().expect("raw");
        let overhead = b["execution_environment"]["overhead_pct"]
            .as_f64()
            .expect("overhead recorded");
        assert!(
            (adjusted - raw / (1.0 + overhead / 100.0)).abs() <= 1e-9 * raw,
            "{b}"
        );
        assert!(
            b["adjusted_ci_low"].as_f64() <= Some(adjusted)
                && Some(adjusted) <= b["adjusted_ci_high"].as_f64()
        );
    }
    // A different configuration has no profile.
    let (other, stderr) = run(&["--memory", "768m"]);
    assert!(
        stderr.contains("no calibration profile matches"),
        "{stderr}"
    );
    assert!(other["benchmarks"][0]["adjusted_median"].is_null());
}

#[test]
fn docker_against_host_compares_only_through_profiles() {
    let Some((_turn, s)) = turn("docker_against_host_compares_only_through_profiles", true) else {
        return;
    };
    let suite = s.suite(
        "x.toml",
        "[suite]\nname = \"x\"\nwarmup = 1\nmin_runs = 10\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"kernel\"\nprobe = \"cpu\"\n",
    );
    let run = |runtime: &str, tag: &str| {
        let out = s
            .calibench()
            .args([
                "run",
                "--runtime",
                runtime,
                "--quiet",
                "--cpuset",
                "0",
                "--tag",
                tag,
                "--suite",
            ])
            .arg(&suite)
            .output()
            .expect("run");
        expect_exit(&out, 0);
    };
    run("host", "bare");
    run("docker", "boxed");
    let out = s
        .calibench()
        .args(["compare", "bare", "boxed", "--format", "json"])
        .output()
        .expect("compare");
    let r = json(&out);
    assert_eq!(r["benchmarks"][0]["verdict"], "not comparable", "{r}");
    calibrate(
        &s,
        &["--dimensions", "cpu", "--max-time", "30s", "--cpuset", "0"],
    );
    run("docker", "boxed-calibrated");
    let out = s
        .calibench()
        .args(["compare", "bare", "boxed-calibrated", "--format", "json"])
        .output()
        .expect("compare");
    let r = json(&out);
    assert_eq!(r["benchmarks"][0]["basis"], "adjusted", "{r}");
    assert!(r["notes"].as_array().is_some_and(|n| n
        .iter()
        .any(|x| x.as_str().unwrap_or("").contains("adjusted"))));
    let table = s
        .calibench()
        .args(["compare", "bare", "boxed-calibrated"])
        .output()
        .expect("compare");
    assert!(String::from_utf8_lossy(&table.stdout).contains("adjusted by calibration profiles"));
}

/// Stores `profile` as the newest of its key, with the cpu dimension set to `pct`
/// (interval `low`…`high`, 40 rounds) and nothing pooled.
fn store_cpu_profile(s: &Scratch, profile: &serde_json::Value, pct: f64, low: f64, high: f64) {
    let mut p: calibench_results::CalibrationProfile =
        serde_json::from_value(profile.clone()).expect("a profile");
    p.profile_id = calibench_results::RunId::new_random().to_string();
    p.created_at = calibench_results::now() + chrono::Duration::seconds(1);
    p.pooled.clear();
    let cpu = p
        .dimensions
        .iter_mut()
        .find(|d| d.dimension == calibench_results::Dimension::Cpu)
        .expect("a cpu dimension");
    (
        cpu.overhead_pct,
        cpu.ci_low_pct,
        cpu.ci_high_pct,
        cpu.rounds,
    ) = (pct, low, high, 40);
    cpu.verdict = calibench_calibrator::verdict(low / 100.0, high / 100.0);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        calibench_results::open_store(&s.db_url())
            .await?
            .save_profile(&p)
            .await
    })
    .expect("profile stored");
}

#[test]
fn calibrations_of_a_key_pool_and_check_says_whether_the_stored_profile_holds() {
    let Some((_turn, s)) = turn(
        "calibrations_of_a_key_pool_and_check_says_whether_the_stored_profile_holds",
        true,
    ) else {
        return;
    };
    let args = ["--dimensions", "cpu", "--max-time", "20s", "--cpuset", "0"];
    let (first, _) = calibrate(&s, &args);
    assert!(
        first.get("pooled").is_none(),
        "nothing to pool with: {first}"
    );
    let (second, _) = calibrate(&s, &args);
    let pooled = &second["pooled"][0];
    assert_eq!(pooled["calibrations"], 2, "{second}");
    assert_eq!(pooled["profile_ids"][0], second["profile_id"]);
    assert_eq!(pooled["profile_ids"][1], first["profile_id"]);
    let own = |p: &serde_json::Value| {
        p["dimensions"][0]["overhead_pct"]
            .as_f64()
            .expect("a value")
    };
    let m = pooled["overhead_pct"].as_f64().expect("a value");
    let (a, b) = (own(&first), own(&second));
    assert!(
        a.min(b) - 1e-9 <= m && m <= a.max(b) + 1e-9,
        "{a} {b} → {m}"
    );

    let check = |extra: &[&str]| {
        s.calibench()
            .args(["calibrate", "--check", "--max-time", "20s", "--cpuset", "0"])
            .args(extra)
            .args(["--json", "--quiet"])
            .output()
            .expect("check runs")
    };
    // A stored +40 % that the container cannot cost with only a cpuset: drifted, exit 1.
    store_cpu_profile(&s, &second, 40.0, 39.5, 40.5);
    let out = check(&[]);
    expect_exit(&out, 1);
    let r = json(&out);
    assert_eq!(r["holds"], false);
    assert_eq!(r["dimensions"][0]["outcome"], "drifted", "{r}");
    assert!(
        r["dimensions"][0]["difference_ci_high_pct"]
            .as_f64()
            .expect("a value")
            < -10.0
    );
    // A stored interval wide enough to hold any plausible figure: holds, exit 0.
    store_cpu_profile(&s, &second, 0.0, -60.0, 150.0);
    let out = check(&[]);
    expect_exit(&out, 0);
    assert_eq!(json(&out)["dimensions"][0]["outcome"], "holds");
    // No profile for another configuration: exit 2 before anything is measured.
    let out = s
        .calibench()
        .args(["calibrate", "--check", "--cpuset", "1", "--quiet"])
        .output()
        .expect("check runs");
    expect_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `calibench calibrate`"));
    // The check stored nothing: the newest profile is still the wide one.
    let (third, _) = calibrate(&s, &args);
    assert_eq!(third["pooled"][0]["calibrations"], 5, "{third}");
}
