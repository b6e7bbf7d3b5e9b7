//! `calibench ab` end to end: a throwaway git repository with two commits whose program
//! does twice the work, built by the suite's `[build]` step and measured interleaved on
//! the host and, against the real engine, in containers; and two commands.

mod common;
use common::expect_exit;

use common::{calibench_bin, docker_available_or_skip, json, Scratch};

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose `bench.sh` runs calibench's CPU probe with `work` iterations; the
/// suite's build step writes `built.txt`, which the benchmark needs.
fn repo(s: &Scratch) -> std::path::PathBuf {
    let dir = s.path().join("repo");
    std::fs::create_dir_all(&dir).expect("repo dir");
    git(&dir, &["init", "-q"]);
    let write_bench = |work: u64| {
        std::fs::write(
            dir.join("bench.sh"),
            format!(
                "test -f built.txt || exit 9\nexec '{}' probe cpu --work {work} > /dev/null\n",
                calibench_bin().display()
            ),
        )
        .expect("bench.sh");
    };
    std::fs::write(dir.join(".gitignore"), ".calibench/\nbuilt.txt\n").expect("ignore");
    write_bench(3_000_000);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-qm", "base"]);
    git(&dir, &["tag", "v1"]);
    write_bench(6_000_000);
    git(&dir, &["commit", "-qam", "twice the work"]);
    git(&dir, &["tag", "v2"]);
    dir
}

const SUITE: &str = "[suite]\nname = \"ab\"\nwarmup = 1\n\
[build]\ncommand = [\"sh\", \"-c\", \"echo ok > built.txt\"]\n\
[[benchmark]]\nname = \"work\"\ncommand = [\"sh\", \"bench.sh\"]\n";

fn ab(s: &Scratch, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let suite = s.suite("ab.toml", SUITE);
    s.calibench()
        .current_dir(dir)
        .args(["ab"])
        .args(args)
        .arg("--suite")
        .arg(&suite)
        .args([
            "--json",
            "--quiet",
            "--target-ci",
            "3%",
            "--max-time",
            "20s",
        ])
        .output()
        .expect("calibench ab runs")
}

#[test]
fn ab_of_two_refs_finds_twice_the_work_on_the_host_and_in_containers() {
    let runtimes: &[&str] = if docker_available_or_skip("ab_of_two_refs_finds_twice_the_work") {
        &["host", "docker"]
    } else {
        &["host"]
    };
    let s = Scratch::new();
    let dir = repo(&s);
    for runtime in runtimes {
        let out = ab(
            &s,
            &dir,
            &["v1", "v2", "--runtime", runtime, "--max-regression", "5%"],
        );
        expect_exit(&out, 1);
        let report = json(&out);
        let row = &report["benchmarks"][0];
        assert_eq!(row["verdict"], "slower", "{runtime}: {row}");
        assert_eq!(row["regression"], true, "{runtime}: {row}");
        assert_eq!(row["replication"], "pairs");
        let change = row["change_pct"].as_f64().expect("change");
        // Twice the probe's work: about +100 % (process start-up dilutes it a little).
        assert!((50.0..=150.0).contains(&change), "{runtime}: {row}");
        assert!(report["baseline"]["selector"]
            .as_str()
            .unwrap_or("")
            .starts_with("v1 ("));
    }
    // Both sides were stored under their ref names, with their commits.
    let runs = s
        .calibench()
        .current_dir(&dir)
        .args(["show", "v2", "--json"])
        .output()
        .expect("show");
    expect_exit(&runs, 0);
    assert!(json(&runs)["environment"]["git"]["sha"]
        .as_str()
        .is_some_and(|s| s.len() == 40));
    // The same ref on both sides is no regression.
    let same = ab(&s, &dir, &["v1", "v1", "--max-regression", "50%"]);
    expect_exit(&same, 0);
}

#[test]
fn ab_of_two_commands_and_bad_refs() {
    let s = Scratch::new();
    let out = s
        .calibench()
        .args([
            "ab",
            "--cmd-a",
            "true",
            "--cmd-b",
            "sleep 0.02",
            "--json",
            "--quiet",
            "--target-ci",
            "5%",
            "--max-time",
            "10s",
        ])
        .output()
        .expect("ab runs");
    expect_exit(&out, 0);
    let row = &json(&out)["benchmarks"][0];
    assert_eq!(row["verdict"], "slower", "{row}");
    let dir = repo(&s);
    let bad = ab(&s, &dir, &["v1", "no-such-ref"]);
    expect_exit(&bad, 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-ref"));
}

/// `gate --confirm` on runs stored at two commits: a single stored run a side cannot show
/// a change (inconclusive), so both commits are built and measured again interleaved,
/// and twice the work is a regression by the pairs; a commit that changes no code passes.
#[test]
fn gate_confirm_measures_both_commits_again_interleaved() {
    let s = Scratch::new();
    let dir = repo(&s);
    std::fs::write(dir.join("NOTES"), "no code change\n").expect("notes");
    git(&dir, &["add", "NOTES"]);
    git(&dir, &["commit", "-qm", "notes only"]);
    git(&dir, &["tag", "v3"]);
    for pair in [["v1", "v2"], ["v2", "v3"]] {
        let out = ab(&s, &dir, &[pair[0], pair[1], "--runtime", "host"]);
        expect_exit(&out, 0);
    }
    let suite = s.path().join("ab.toml");
    let gate = |base: &str, cand: &str| {
        s.calibench()
            .current_dir(&dir)
            .args([
                "gate",
                base,
                cand,
                "--max-regression",
                "20%",
                "--confirm",
                "6",
            ])
            .arg("--suite")
            .arg(&suite)
            .arg("--json")
            .output()
            .expect("gate runs")
    };
    let slower = gate("v1", "v2");
    expect_exit(&slower, 1);
    let report = json(&slower);
    let row = &report["benchmarks"][0];
    assert_eq!(row["verdict"], "slower", "{row}");
    assert_eq!(row["replication"], "pairs", "{row}");
    assert!(
        row["reason"]
            .as_str()
            .is_some_and(|r| r.contains("measured again interleaved")),
        "{row}"
    );
    // v3 changes no code: it passes, over the stored runs or measured again.
    let same = gate("v2", "v3");
    expect_exit(&same, 0);
    let row = &json(&same)["benchmarks"][0];
    assert_eq!(row["regression"], false, "{row}");
}
