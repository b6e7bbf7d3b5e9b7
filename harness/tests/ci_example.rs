//! docs/ci.md's jobs, as `scripts/ci-example.sh` runs them on a throwaway repository:
//! the documentation-only pull request passes the gate and the one that doubles the
//! work fails it.

mod common;
use common::{calibench_bin, workspace_root};

#[test]
fn the_documented_ci_jobs_pass_a_neutral_change_and_fail_a_slower_one() {
    let out = std::process::Command::new("bash")
        .arg(workspace_root().join("scripts/ci-example.sh"))
        .env("CALIBENCH", calibench_bin())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("ci-example: ok"), "{stdout}");
}
