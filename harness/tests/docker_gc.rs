//! `calibench gc` after a SIGKILLed run. In its own test binary because gc removes every
//! calibench container, which would disturb tests running beside it.

mod common;
use common::expect_exit;

use common::{
    containers_of_run, docker_available_or_skip, start_docker_run_and_wait_for_container, Scratch,
    SLOW_SUITE,
};

#[test]
fn gc_removes_what_a_sigkilled_run_left_behind() {
    if !docker_available_or_skip("gc_removes_what_a_sigkilled_run_left_behind") {
        return;
    }
    let s = Scratch::new();
    let suite = s.suite("slow.toml", SLOW_SUITE);
    let (mut child, run_id) = start_docker_run_and_wait_for_container(&s, &suite);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(
        !containers_of_run(&run_id).is_empty(),
        "SIGKILL cannot clean up; gc must"
    );
    let gc = s.calibench().arg("gc").output().expect("gc runs");
    expect_exit(&gc, 0);
    assert!(String::from_utf8_lossy(&gc.stdout).contains("removed"));
    assert!(containers_of_run(&run_id).is_empty());
}
