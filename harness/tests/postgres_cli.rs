//! calibench against a real PostgreSQL: concurrent writers, and a password that never
//! shows.

mod common;
use common::expect_exit;

use common::{fresh_postgres, json, Scratch, QUICK_SUITE};

#[test]
fn eight_concurrent_runs_are_each_stored_once() {
    let Some(url) = fresh_postgres("eight_concurrent_runs_are_each_stored_once") else {
        return;
    };
    let s = Scratch::new();
    let suite = s.suite("quick.toml", QUICK_SUITE);
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = std::process::Command::new(common::calibench_bin());
            cmd.current_dir(s.path())
                .env("CALIBENCH_HOME", s.path().join(format!("state-{i}")))
                .args([
                    "run",
                    "--runtime",
                    "host",
                    "--quiet",
                    "--json",
                    "--tag",
                    &format!("writer-{i}"),
                    "--suite",
                ])
                .arg(&suite)
                .args(["--db", &url])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("calibench starts")
        })
        .collect();
    let mut ids = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("calibench exits");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(json(&out)["run_id"].as_str().expect("run id").to_string());
    }
    let listed = s
        .calibench()
        .args(["runs", "--json", "--limit", "100", "--db", &url])
        .output()
        .expect("runs");
    let runs = json(&listed);
    let runs = runs.as_array().expect("array");
    assert_eq!(runs.len(), 8);
    for id in &ids {
        assert_eq!(
            runs.iter().filter(|r| r["run_id"] == id.as_str()).count(),
            1
        );
        assert!(runs.iter().all(|r| r["results"] == 2));
    }
    let status = s
        .calibench()
        .args(["db", "status", "--db", &url])
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("runs      8") && text.contains("results   16"),
        "{text}"
    );
    assert!(
        text.contains("mode      plain") || text.contains("mode      timescale"),
        "{text}"
    );
}

#[test]
fn the_password_never_appears_in_output_errors_or_stored_data() {
    let Some(url) = fresh_postgres("the_password_never_appears_in_output_errors_or_stored_data")
    else {
        return;
    };
    let password = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .and_then(|userinfo| userinfo.split(':').nth(1))
        .expect("the test URL carries a password")
        .to_string();
    let s = Scratch::new();
    let suite = s.suite("quick.toml", QUICK_SUITE);
    let mut outputs = Vec::new();
    let run = s
        .calibench()
        .env("CALIBENCH_DATABASE_URL", &url)
        .args(["run", "--runtime", "host", "--suite"])
        .arg(&suite)
        .output()
        .expect("run");
    expect_exit(&run, 0);
    outputs.push(run);
    for args in [
        vec!["runs"],
        vec!["show", "latest", "--json"],
        vec!["db", "status"],
        vec!["push"],
    ] {
        outputs.push(
            s.calibench()
                .env("CALIBENCH_DATABASE_URL", &url)
                .args(&args)
                .output()
                .expect("command"),
        );
    }
    // An unreachable server (port 9, discard) with the same password in its URL.
    let (head, tail) = url.split_once('@').expect("user@host");
    let db = tail.split_once('/').map_or("postgres", |(_, d)| d);
    let dead = format!("{head}@127.0.0.1:9/{db}");
    let unreachable = s
        .calibench()
        .args(["run", "--runtime", "host", "--suite"])
        .arg(&suite)
        .args(["--db", &dead])
        .output()
        .expect("run");
    assert_eq!(unreachable.status.code(), Some(3));
    outputs.push(unreachable);
    for out in &outputs {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(&password), "password leaked:\n{text}");
        }
    }
    // Nor in the spool.
    for entry in std::fs::read_dir(s.path().join("state/spool"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(!text.contains(&password));
    }
}
