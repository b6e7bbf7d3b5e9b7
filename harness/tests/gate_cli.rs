//! `compare` and `gate` on real stored runs: exit codes, markdown, the CI summary file.

mod common;

use common::{json, store_host_run, Scratch};

/// Three runs under `tag`: comparisons of stored runs take the run as the unit, and a
/// single run per side can never be called slower. With two a side, one disturbed run on
/// a shared machine left the between-run test about one degree of freedom, and a 5x
/// slowdown read "inconclusive" in a clean-clone CI run.
fn run(s: &Scratch, file: &str, work: u64, tag: &str) {
    for _ in 0..3 {
        store_host_run(s, file, &suite(work), tag);
    }
}

fn suite(work: u64) -> String {
    format!("[suite]\nname = \"g\"\nwarmup = 1\nmin_runs = 15\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"kernel\"\nprobe = \"cpu\"\nwork = {work}\n")
}

#[test]
fn the_gate_fails_a_real_regression_and_passes_identical_runs() {
    let s = Scratch::new();
    // One run per side on a shared machine can be off by more than 2x (seen in CI), so
    // the injected slowdown is 5x: the exit code, not the detection limit, is tested here.
    run(&s, "base.toml", 500_000, "v1");
    run(&s, "slow.toml", 2_500_000, "v2");

    let summary = s.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").expect("summary file");
    let md = s.path().join("gate.md");
    let out = s
        .calibench()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "gate",
            "v1",
            "v2",
            "--max-regression",
            "5%",
            "--json",
            "--markdown",
        ])
        .arg(&md)
        .output()
        .expect("gate");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict = json(&out);
    assert_eq!(verdict["schema_version"], 1);
    assert_eq!(verdict["verdict"], "fail");
    let b = &verdict["benchmarks"][0];
    assert_eq!(b["regression"], true);
    let change = b["change_pct"].as_f64().expect("change");
    // The exact size is the experiment script's business (scripts/gate-experiment.sh);
    // on a shared machine one run can be much noisier than another.
    assert!(change > 20.0, "{b}");
    assert!(b["ci_low_pct"].as_f64() > Some(0.0) && b["p_value"].as_f64() < Some(0.05));
    let markdown = std::fs::read_to_string(&md).expect("markdown written");
    assert!(
        markdown.contains("REGRESSION") && markdown.contains("| kernel |"),
        "{markdown}"
    );
    let appended = std::fs::read_to_string(&summary).expect("summary");
    assert!(appended.starts_with("earlier step\n") && appended.contains("REGRESSION"));

    // The same runs on both sides: no change, exit 0 (three runs a side may be too few to
    // rule out 5 %, which the gate would call inconclusive; that is tested elsewhere).
    let same = s
        .calibench()
        .args([
            "gate",
            "v1",
            "v1",
            "--max-regression",
            "5%",
            "--allow-inconclusive",
        ])
        .output()
        .expect("gate");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );

    // compare never fails, and speaks JSON and markdown too.
    let cmp = s
        .calibench()
        .args(["compare", "v1", "v2", "--format", "json"])
        .output()
        .expect("compare");
    assert_eq!(cmp.status.code(), Some(0));
    assert_eq!(json(&cmp)["benchmarks"][0]["verdict"], "slower");
    let md = s
        .calibench()
        .args(["compare", "v1", "v2", "--format", "markdown"])
        .output()
        .expect("compare");
    assert!(String::from_utf8_lossy(&md.stdout).contains("| benchmark |"));
}

#[test]
fn bad_selectors_and_thresholds_are_bad_input() {
    let s = Scratch::new();
    run(&s, "base.toml", 200_000, "v1");
    let out = s
        .calibench()
        .args(["gate", "v1", "nope", "--max-regression", "5%"])
        .output()
        .expect("gate");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run matches `nope`"));
    let out = s
        .calibench()
        .args(["gate", "v1", "v1", "--max-regression", "five"])
        .output()
        .expect("gate");
    assert_eq!(out.status.code(), Some(2));
    let out = s
        .calibench()
        .args([
            "gate",
            "v1",
            "v1",
            "--max-regression",
            "5",
            "--confirm",
            "3",
        ])
        .output()
        .expect("gate");
    assert_eq!(out.status.code(), Some(2), "--confirm without --suite");
}

#[test]
fn confirm_reruns_flagged_benchmarks_before_failing() {
    let s = Scratch::new();
    run(&s, "base.toml", 500_000, "v1");
    run(&s, "slow.toml", 2_500_000, "v2");
    // The suite at hand is the slow one, so the fresh runs confirm the regression.
    let slow = s.path().join("slow.toml");
    let out = s
        .calibench()
        .args([
            "gate",
            "v1",
            "v2",
            "--max-regression",
            "5%",
            "--json",
            "--confirm",
            "8",
            "--suite",
        ])
        .arg(&slow)
        .output()
        .expect("gate");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json(&out)["benchmarks"][0]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("confirmed by 8 fresh runs"));
    // With a suite at hand that is now much faster than the baseline (the regression
    // was fixed), the fresh runs do not confirm it.
    run(&s, "fixed.toml", 100_000, "v3");
    let base = s.path().join("fixed.toml");
    let out = s
        .calibench()
        .args([
            "gate",
            "v1",
            "v2",
            "--max-regression",
            "5%",
            "--json",
            "--confirm",
            "8",
            "--suite",
        ])
        .arg(&base)
        .output()
        .expect("gate");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["benchmarks"][0]["verdict"], "not confirmed");
}
