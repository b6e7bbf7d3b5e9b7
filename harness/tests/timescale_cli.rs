//! The commands a team runs, against PostgreSQL with TimescaleDB after every chunk of
//! `result` was compressed: compare, gate, report --history, and a late push of a run
//! spooled while the database was down.

mod common;
use common::expect_exit;

use common::{fresh_timescale, json, psql_rows, spooled_run_id, Scratch, QUICK_SUITE};

fn run_into(s: &Scratch, suite: &std::path::Path, db: &str, tag: &str) -> std::process::Output {
    s.calibench()
        .args([
            "run",
            "--runtime",
            "host",
            "--quiet",
            "--tag",
            tag,
            "--db",
            db,
            "--suite",
        ])
        .arg(suite)
        .output()
        .expect("calibench runs")
}

/// Moves every timestamp of a spooled run `hours` into the past.
fn age_spooled_run(path: &std::path::Path, hours: i64) {
    let mut run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("spool read")).expect("json");
    let shift = |v: &mut serde_json::Value| {
        let t: chrono::DateTime<chrono::Utc> = v
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("a timestamp");
        *v = serde_json::Value::String((t - chrono::Duration::hours(hours)).to_rfc3339());
    };
    shift(&mut run["started_at"]);
    shift(&mut run["finished_at"]);
    for b in run["benchmarks"].as_array_mut().expect("benchmarks") {
        shift(&mut b["measured_at"]);
    }
    std::fs::write(path, serde_json::to_vec(&run).expect("json")).expect("spool written");
}

#[test]
fn timescale_compare_gate_history_and_push_work_over_compressed_chunks() {
    let Some(db) =
        fresh_timescale("timescale_compare_gate_history_and_push_work_over_compressed_chunks")
    else {
        return;
    };
    let s = Scratch::new();
    let suite = s.suite("quick.toml", QUICK_SUITE);
    for tag in ["v1", "v2"] {
        expect_exit(&run_into(&s, &suite, &db, tag), 0);
    }
    // A run measured while the database is down is spooled (exit 3).
    let down = "postgres://postgres:x@127.0.0.1:1/nothing";
    expect_exit(&run_into(&s, &suite, down, "v0"), 3);
    let spooled = spooled_run_id(&s, std::time::Duration::from_secs(5)).expect("spooled");
    age_spooled_run(
        &s.path().join("state/spool").join(format!("{spooled}.json")),
        1,
    );
    let status = s
        .calibench()
        .args(["db", "status", "--db", &db])
        .output()
        .expect("status");
    expect_exit(&status, 0);
    assert!(String::from_utf8_lossy(&status.stdout).contains("timescale"));
    let compressed = psql_rows(
        &db,
        "SELECT count(compress_chunk(c, if_not_compressed => true)) FROM show_chunks('result') c",
    );
    assert_ne!(compressed, vec!["0".to_string()], "no chunk was compressed");

    let cmp = s
        .calibench()
        .args(["compare", "v1", "v2", "--format", "json", "--db", &db])
        .output()
        .expect("compare");
    expect_exit(&cmp, 0);
    let report = json(&cmp);
    let rows = report["benchmarks"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{report}");
    assert!(
        rows.iter().all(|r| r["baseline_median"].is_number()),
        "{report}"
    );

    let gate = s
        .calibench()
        .args([
            "gate",
            "v1",
            "v2",
            "--max-regression",
            "500%",
            "--json",
            "--db",
            &db,
        ])
        .output()
        .expect("gate");
    assert!(
        matches!(gate.status.code(), Some(0 | 1)),
        "gate ended with {:?}: {}",
        gate.status.code(),
        String::from_utf8_lossy(&gate.stderr)
    );
    assert!(json(&gate)["benchmarks"]
        .as_array()
        .is_some_and(|b| b.len() == 2));

    let page = s.path().join("history.html");
    let history = s
        .calibench()
        .args(["report", "--history", "seq", "--db", &db, "--out"])
        .arg(&page)
        .output()
        .expect("report");
    expect_exit(&history, 0);
    assert!(std::fs::read_to_string(&page)
        .expect("page")
        .contains("<svg"));

    // The late push lands in the compressed chunk, once, however often it is repeated.
    for _ in 0..2 {
        expect_exit(
            &s.calibench()
                .args(["push", "--db", &db])
                .output()
                .expect("push"),
            0,
        );
    }
    assert_eq!(
        psql_rows(&db, "SELECT count(*) FROM run WHERE tag = 'v0'"),
        vec!["1".to_string()]
    );
    let late = s
        .calibench()
        .args(["compare", "v0", "v2", "--format", "json", "--db", &db])
        .output()
        .expect("compare");
    expect_exit(&late, 0);
}
