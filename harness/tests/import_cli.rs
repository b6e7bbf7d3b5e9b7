//! `calibench import` of other harnesses' files: each format is read into a stored run
//! that compares like a native one; a malformed file exits 2 naming file and field and
//! stores nothing.

mod common;
use common::{expect_exit, json, Scratch};

const HYPERFINE: &str = r#"{"results": [
  {"command": "sleep 0.01", "mean": 0.0105, "times": [0.0101, 0.0104, 0.0105, 0.0106, 0.0108, 0.0110]},
  {"command": "true", "times": [0.0008, 0.0009, 0.0009, 0.0010, 0.0008, 0.0009]}
]}"#;

const GBENCH: &str = r#"{"context": {"date": "2026-11-24", "num_cpus": 2},
 "benchmarks": [
  {"name": "BM_parse/64", "run_name": "BM_parse/64", "run_type": "iteration", "repetition_index": 0, "iterations": 1000, "real_time": 1520.0, "cpu_time": 1500.0, "time_unit": "ns"},
  {"name": "BM_parse/64", "run_name": "BM_parse/64", "run_type": "iteration", "repetition_index": 1, "iterations": 1000, "real_time": 1540.0, "cpu_time": 1510.0, "time_unit": "ns"},
  {"name": "BM_parse/64_mean", "run_name": "BM_parse/64", "run_type": "aggregate", "aggregate_name": "mean", "iterations": 2, "real_time": 1530.0, "time_unit": "ns"},
  {"name": "BM_sort", "run_type": "iteration", "iterations": 10, "real_time": 2.5, "time_unit": "ms"}
 ]}"#;

const PYTEST: &str = r#"{"machine_info": {"node": "x"}, "benchmarks": [
  {"name": "test_sum", "fullname": "tests/test_x.py::test_sum", "stats": {"median": 0.002, "data": [0.0021, 0.0020, 0.0019, 0.0022]}}
]}"#;

const GO: &str = "goos: linux\ngoarch: amd64\npkg: example.com/x\nBenchmarkEncode-8   \t 1000000\t      1043 ns/op\t     128 B/op\t       2 allocs/op\nBenchmarkEncode-8   \t 1000000\t      1051 ns/op\t     128 B/op\t       2 allocs/op\nBenchmarkDecode-8   \t  500000\t      2.5 µs/op\nPASS\nok  \texample.com/x\t3.2s\n";

fn import(s: &Scratch, file: &str, text: &str, extra: &[&str]) -> std::process::Output {
    let path = s.path().join(file);
    std::fs::write(&path, text).expect("file written");
    s.calibench()
        .arg("import")
        .arg(&path)
        .args(extra)
        .args(["--json"])
        .output()
        .expect("calibench runs")
}

fn samples(run: &serde_json::Value, name: &str) -> Vec<f64> {
    run["benchmarks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == name))
        .and_then(|b| b["samples"].as_array())
        .map(|s| s.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

#[test]
fn every_format_is_read_into_a_stored_run() {
    let s = Scratch::new();
    let out = import(&s, "hf.json", HYPERFINE, &["--tag", "hf"]);
    expect_exit(&out, 0);
    let run = json(&out);
    assert_eq!(run["labels"]["imported_from"], "hyperfine");
    assert_eq!(run["suite"], "imported-hyperfine");
    assert_eq!(samples(&run, "sleep 0.01").len(), 6);

    let out = import(&s, "gb.json", GBENCH, &[]);
    expect_exit(&out, 0);
    let run = json(&out);
    let parse = samples(&run, "BM_parse/64");
    assert_eq!(parse.len(), 2, "aggregates are skipped: {parse:?}");
    assert!((parse[0] - 1.52e-6).abs() < 1e-12);
    assert!((samples(&run, "BM_sort")[0] - 2.5e-3).abs() < 1e-12);

    let out = import(&s, "py.json", PYTEST, &[]);
    expect_exit(&out, 0);
    assert_eq!(samples(&json(&out), "tests/test_x.py::test_sum").len(), 4);

    let out = import(&s, "go.txt", GO, &[]);
    expect_exit(&out, 0);
    let run = json(&out);
    assert_eq!(samples(&run, "BenchmarkEncode").len(), 2);
    assert!((samples(&run, "BenchmarkDecode")[0] - 2.5e-6).abs() < 1e-15);

    let dir = s.path().join("criterion/parse/64/new");
    std::fs::create_dir_all(&dir).expect("dirs");
    std::fs::write(
        dir.join("sample.json"),
        r#"{"sampling_mode":"Linear","iters":[10.0,20.0,30.0],"times":[1000.0,2100.0,2900.0]}"#,
    )
    .expect("sample");
    std::fs::write(
        dir.join("benchmark.json"),
        r#"{"group_id":"parse","function_id":null,"value_str":"64","full_id":"parse/64"}"#,
    )
    .expect("benchmark");
    let out = s
        .calibench()
        .args(["import", "--json"])
        .arg(s.path().join("criterion"))
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let per_iter = samples(&json(&out), "parse/64");
    assert_eq!(per_iter.len(), 3);
    assert!((per_iter[1] - 105e-9).abs() < 1e-15, "{per_iter:?}");

    let listed = s.calibench().args(["runs"]).output().expect("runs");
    expect_exit(&listed, 0);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout)
            .matches("imported-")
            .count(),
        5
    );
}

#[test]
fn two_imports_compare_like_native_runs() {
    let s = Scratch::new();
    expect_exit(&import(&s, "a.json", HYPERFINE, &["--tag", "a"]), 0);
    let slower = HYPERFINE
        .replace("0.010", "0.014")
        .replace("0.011", "0.015");
    expect_exit(&import(&s, "b.json", &slower, &["--tag", "b"]), 0);
    let out = s
        .calibench()
        .args(["compare", "a", "b", "--format", "json"])
        .output()
        .expect("compare runs");
    let report = json(&out);
    let sleep = report["benchmarks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "sleep 0.01"))
        .expect("compared");
    assert!(
        sleep["change_pct"].as_f64().unwrap_or(0.0) > 30.0,
        "{sleep}"
    );
}

#[test]
fn a_malformed_file_names_file_and_field_and_stores_nothing() {
    let s = Scratch::new();
    let bad = HYPERFINE.replace("0.0104", "\"fast\"");
    let out = import(&s, "bad.json", &bad, &[]);
    expect_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json: results[0].times[1]: missing or not a number"),
        "{err}"
    );
    let out = import(
        &s,
        "nodata.json",
        &PYTEST.replace(", \"data\": [0.0021, 0.0020, 0.0019, 0.0022]", ""),
        &[],
    );
    expect_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("benchmarks[0].stats.data") && err.contains("--benchmark-save-data"),
        "{err}"
    );
    let out = import(&s, "cut.json", "{\"results\": [", &[]);
    expect_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.json: line 1 column"));
    let listed = s.calibench().args(["runs"]).output().expect("runs");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("imported-"));
}
