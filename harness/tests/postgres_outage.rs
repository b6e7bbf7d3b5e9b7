//! PostgreSQL stopped during a run: the run measures, spools, exits 3; `push` stores it
//! once the server is back, and a second push stores nothing. Its own test binary: it
//! stops the shared test cluster, which no other test may see.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{fresh_postgres, json, spooled_run_id, Scratch};

fn pg_ctl(action: &str) {
    let cluster = std::env::var("CALIBENCH_TEST_PG_CLUSTER")
        .expect("CALIBENCH_TEST_PG_CLUSTER names the cluster");
    let mut parts = cluster.split_whitespace();
    let (version, name) = (parts.next().expect("version"), parts.next().expect("name"));
    let status = Command::new("pg_ctlcluster")
        .args([version, name, action])
        .status()
        .expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

#[test]
fn a_database_outage_loses_nothing() {
    let Some(url) = fresh_postgres("a_database_outage_loses_nothing") else {
        return;
    };
    let s = Scratch::new();
    let suite = s.suite(
        "slowish.toml",
        "[suite]\nname = \"slowish\"\nwarmup = 0\nmin_runs = 40\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"nap\"\ncommand = [\"sleep\", \"0.1\"]\n",
    );
    let child = Command::new(common::calibench_bin())
        .current_dir(s.path())
        .env("CALIBENCH_HOME", s.path().join("state"))
        .args(["run", "--runtime", "host", "--quiet", "--json", "--suite"])
        .arg(&suite)
        .args(["--db", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("calibench starts");
    let run_id = spooled_run_id(&s, Duration::from_secs(30)).expect("the run started");
    pg_ctl("stop");
    let out = child.wait_with_output();
    let stderr_of = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            pg_ctl("start");
            panic!("calibench did not finish: {e}");
        }
    };
    let spool_file = s.path().join(format!("state/spool/{run_id}.json"));
    let spooled = std::fs::read_to_string(&spool_file);
    pg_ctl("start");
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("calibench push"));
    let printed = json(&out);
    let spooled: serde_json::Value =
        serde_json::from_str(&spooled.expect("spool file kept")).expect("spool is JSON");
    assert_eq!(spooled["benchmarks"][0]["n"], 40);
    assert_eq!(
        spooled["benchmarks"][0]["samples"],
        printed["benchmarks"][0]["samples"]
    );

    // The server takes a moment to accept connections again.
    let mut pushed = None;
    for _ in 0..30 {
        let out = s
            .calibench()
            .args(["push", "--db", &url])
            .output()
            .expect("push");
        if out.status.success() {
            pushed = Some(out);
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let pushed = pushed.expect("push succeeds once PostgreSQL is back");
    assert!(String::from_utf8_lossy(&pushed.stdout).contains("pushed 1 run(s)"));
    assert!(!spool_file.exists());
    let again = s
        .calibench()
        .args(["push", "--db", &url])
        .output()
        .expect("push");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to push"));
    let shown = s
        .calibench()
        .args(["show", &run_id, "--json", "--db", &url])
        .output()
        .expect("show");
    assert_eq!(
        json(&shown)["benchmarks"][0]["samples"],
        printed["benchmarks"][0]["samples"]
    );
}
