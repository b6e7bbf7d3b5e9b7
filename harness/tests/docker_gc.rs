//! `calibench gc` after a SIGKILLed run. In its own test binary because gc removes every
//! calibench container, which would disturb tests running beside it.

mod common;

use std::time::Duration;

use common::{calibench_bin, containers_of_run, docker_available_or_skip, spooled_run_id, Scratch};

#[test]
fn gc_removes_what_a_sigkilled_run_left_behind() {
    if !docker_available_or_skip("gc_removes_what_a_sigkilled_run_left_behind") {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite(
        "slow.toml",
        "[suite]\nname = \"slow\"\nwarmup = 0\nmin_runs = 1\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"nap\"\ncommand = [\"sleep\", \"60\"]\n",
    );
    let mut child = std::process::Command::new(calibench_bin())
        .current_dir(s.path())
        .env("CALIBENCH_HOME", s.path().join("state"))
        .env("CALIBENCH_DATABASE_URL", s.db_url())
        .args(["run", "--runtime", "docker", "--quiet", "--suite"])
        .arg(&suite)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("calibench starts");
    let run_id = spooled_run_id(&s, Duration::from_secs(30)).expect("the run spooled its start");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while containers_of_run(&run_id).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no container appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(
        !containers_of_run(&run_id).is_empty(),
        "SIGKILL cannot clean up; gc must"
    );
    let gc = s.calibench().arg("gc").output().expect("gc runs");
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    assert!(String::from_utf8_lossy(&gc.stdout).contains("removed"));
    assert!(containers_of_run(&run_id).is_empty());
}
