//! Service benchmarks against the real engine: the server runs on the host and in a
//! container, each reached over the path the result records, interleaved so that the
//! container's cost is a paired ratio; a server that cannot start fails its benchmark
//! with its own words; no container outlives the run; limits come from compose files.

mod common;
use common::{
    calibench_bin, containers_of_run, docker_available_or_skip, expect_exit, json, Scratch,
};

/// A suite with one service benchmark of `calibench serve` (1 ms per answer).
fn serve_suite(s: &Scratch, via: &str) -> std::path::PathBuf {
    let exe = calibench_bin();
    s.suite(
        "service.toml",
        &format!(
            "[suite]\nname = \"svc\"\nwarmup = 1\nmin_runs = 4\nmax_runs = 4\n\n[[benchmark]]\nname = \"serve-1ms\"\n[benchmark.service]\ncommand = [\"{}\", \"serve\", \"--port\", \"{{port}}\", \"--delay\", \"1ms\"]\nready = \"http:/\"\nvia = \"{via}\"\n[benchmark.load]\nrate = 200\nconnections = 2\nduration = \"500ms\"\n",
            exe.display()
        ),
    )
}

fn service_of<'a>(run: &'a serde_json::Value, runtime: &str) -> &'a serde_json::Value {
    let b = common::result_of(run, None, runtime);
    assert_eq!(b["status"], "ok", "{b}");
    &b["execution_environment"]
}

fn run_service(s: &Scratch, suite: &std::path::Path, network: &str) -> serde_json::Value {
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "both",
            "--network",
            network,
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let run = json(&out);
    let run_id = run["run_id"].as_str().expect("run id");
    assert!(
        containers_of_run(run_id).is_empty(),
        "containers left behind"
    );
    run
}

#[test]
fn a_service_runs_on_both_sides_through_a_published_port() {
    if !docker_available_or_skip("a_service_runs_on_both_sides_through_a_published_port") {
        return;
    }
    let s = Scratch::new();
    let run = run_service(&s, &serve_suite(&s, "published"), "bridge");
    let host = service_of(&run, "host");
    assert_eq!(host["service"]["path"], "loopback", "{host}");
    let docker = service_of(&run, "docker");
    let service = &docker["service"];
    assert_eq!(service["path"], "published_port", "{service}");
    assert_eq!(docker["limits"]["network_mode"], "bridge");
    // Four measured windows of 100 requests each, all answered, none faster than 1 ms.
    assert_eq!(service["requests"], 400, "{service}");
    assert_eq!(service["ok"], 400, "{service}");
    assert!(
        service["latency"]["p50"].as_f64().unwrap_or(0.0) >= 0.001,
        "{service}"
    );
    let paired = &docker["paired_with_host"];
    assert_eq!(paired["rounds"], 4, "{docker}");
    assert!(paired["ci_low_pct"].as_f64() <= paired["ci_high_pct"].as_f64());
}

#[test]
fn host_network_and_bridge_address_paths_are_recorded() {
    if !docker_available_or_skip("host_network_and_bridge_address_paths_are_recorded") {
        return;
    }
    let s = Scratch::new();
    let run = run_service(&s, &serve_suite(&s, "published"), "host");
    assert_eq!(
        service_of(&run, "docker")["service"]["path"],
        "host_network"
    );
    let run = run_service(&s, &serve_suite(&s, "address"), "bridge");
    let service = &service_of(&run, "docker")["service"];
    assert_eq!(service["path"], "bridge_address", "{service}");
    assert!(
        !service["address"]
            .as_str()
            .unwrap_or("127.")
            .starts_with("127."),
        "{service}"
    );
}

#[test]
fn a_server_that_cannot_start_fails_its_benchmark_in_its_own_words() {
    if !docker_available_or_skip("a_server_that_cannot_start_fails_its_benchmark_in_its_own_words")
    {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite(
        "broken.toml",
        "[suite]\nname = \"broken\"\n\n[[benchmark]]\nname = \"no-server\"\n[benchmark.service]\ncommand = [\"sh\", \"-c\", \"echo cannot bind {port} >&2; exit 3\"]\nready_timeout = \"20s\"\n\n[[benchmark]]\nname = \"still-runs\"\ncommand = [\"true\"]\nmin_runs = 3\nmax_runs = 3\n",
    );
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "both",
            "--network",
            "bridge",
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 1);
    let run = json(&out);
    for b in run["benchmarks"].as_array().expect("benchmarks") {
        if b["name"] == "no-server" {
            assert_eq!(b["status"], "failed", "{b}");
            let why = b["failure"].as_str().unwrap_or_default();
            assert!(
                why.contains("the server exited") && why.contains("cannot bind"),
                "{why}"
            );
        } else {
            assert_eq!(b["status"], "ok", "{b}");
        }
    }
    assert!(containers_of_run(run["run_id"].as_str().expect("id")).is_empty());
}

#[test]
fn limits_come_from_a_compose_service_and_conflicts_stop_the_run() {
    if !docker_available_or_skip("limits_come_from_a_compose_service_and_conflicts_stop_the_run") {
        return;
    }
    let s = Scratch::new();
    std::fs::write(
        s.path().join("compose.yml"),
        "services:\n  api:\n    image: example/api:1\n    cpuset: \"0-1\"\n    mem_limit: 2G\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n          memory: 2G\n          pids: 256\n  bad:\n    cpus: \"1\"\n    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n",
    )
    .expect("compose file written");
    let suite = s.suite(
        "s.toml",
        "[suite]\nname = \"c\"\n\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\nmin_runs = 3\nmax_runs = 3\n",
    );
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "docker",
            "--compose",
            "compose.yml",
            "--service",
            "api",
            "--json",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let run = json(&out);
    let limits = &run["benchmarks"][0]["execution_environment"]["limits"];
    assert_eq!(limits["nano_cpus"], 2_000_000_000i64, "{limits}");
    assert_eq!(limits["memory_bytes"], 2i64 << 30, "{limits}");
    assert_eq!(limits["cpuset_cpus"], "0-1", "{limits}");
    assert_eq!(limits["pids_limit"], 256, "{limits}");
    let out = s
        .calibench()
        .args([
            "run",
            "--runtime",
            "docker",
            "--compose",
            "compose.yml",
            "--service",
            "bad",
            "--quiet",
            "--suite",
        ])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("services.bad.deploy.resources.limits.cpus: conflicts with services.bad.cpus"),
        "{err}"
    );
}

/// The network dimension measures what each bridge path adds to a request, for a server
/// that answers at once and one that answers after 1 ms; a later service run over a
/// path is adjusted by subtracting the cost where both servers paid the same, and says
/// why not where they did not.
#[test]
fn the_network_calibration_measures_each_path_and_service_results_lose_an_additive_cost() {
    if !docker_available_or_skip(
        "the_network_calibration_measures_each_path_and_service_results_lose_an_additive_cost",
    ) {
        return;
    }
    let s = Scratch::new();
    let out = s
        .calibench()
        .args([
            "calibrate",
            "--dimensions",
            "network",
            "--max-time",
            "45s",
            "--network",
            "bridge",
            "--json",
            "--quiet",
        ])
        .output()
        .expect("calibrate runs");
    expect_exit(&out, 0);
    let profile = json(&out);
    let network = profile["network"].as_array().expect("network[]");
    let paths: Vec<&str> = network.iter().filter_map(|n| n["path"].as_str()).collect();
    assert_eq!(paths, vec!["published_port", "bridge_address"], "{profile}");
    let num = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    for n in network {
        assert!(n["rounds"].as_u64().unwrap_or(0) >= 10, "{n}");
        assert!(
            num(n, "ci_low_us") <= num(n, "added_us") && num(n, "added_us") <= num(n, "ci_high_us"),
            "{n}"
        );
        let covers =
            num(n, "delay_effect_ci_low_us") <= 0.0 && 0.0 <= num(n, "delay_effect_ci_high_us");
        assert_eq!(n["additive"], covers, "{n}");
        let delays: Vec<f64> = n["servers"]
            .as_array()
            .map(|v| v.iter().map(|s| num(s, "delay_ms")).collect())
            .unwrap_or_default();
        assert_eq!(delays, vec![0.0, 1.0], "{n}");
    }
    // The engine's userland proxy copies every request and answer: a cost the interval
    // must show, not only the point.
    let fast = &network[0]["servers"][0];
    assert!(num(fast, "ci_low_us") > 0.0, "{fast}");

    let suite = s.suite(
        "service8.toml",
        &format!(
            "[suite]\nname = \"svc8\"\nwarmup = 1\nmin_runs = 8\nmax_runs = 8\n\n[[benchmark]]\nname = \"serve-1ms\"\n[benchmark.service]\ncommand = [\"{}\", \"serve\", \"--port\", \"{{port}}\", \"--delay\", \"1ms\"]\nready = \"http:/\"\nvia = \"address\"\n[benchmark.load]\nrate = 200\nconnections = 2\nduration = \"300ms\"\n",
            calibench_bin().display()
        ),
    );
    let run = run_service(&s, &suite, "bridge");
    let docker = common::result_of(&run, None, "docker");
    assert_eq!(docker["dimension"], "network", "{docker}");
    let env = &docker["execution_environment"];
    let address = &network[1];
    if address["additive"] == true {
        assert_eq!(env["network_added_us"], address["added_us"], "{env}");
        let (median, adjusted) = (num(docker, "median"), num(docker, "adjusted_median"));
        assert!(
            (median - adjusted - num(address, "added_us") / 1e6).abs() < 1e-9,
            "median {median} adjusted {adjusted} added {}",
            address["added_us"]
        );
    } else {
        assert!(docker["adjusted_median"].is_null(), "{docker}");
        assert!(
            env["not_adjustable"]
                .as_str()
                .is_some_and(|w| w.contains("not one addition")),
            "{env}"
        );
    }
}
