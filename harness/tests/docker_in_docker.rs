//! calibench inside a container that drives the engine through its mounted socket
//! (GitLab's Docker executor, Docker-in-Docker): the host-mirror would bind the engine
//! host's paths, so calibench stops with exit 3 and a hint instead of measuring
//! something else.

mod common;
use common::{calibench_bin, docker_available_or_skip, expect_exit, Scratch};

#[test]
fn calibench_in_a_container_with_the_engine_socket_stops_with_a_hint() {
    if !docker_available_or_skip(
        "calibench_in_a_container_with_the_engine_socket_stops_with_a_hint",
    ) {
        return;
    }
    // A plain host run of a tiny suite makes sure the host-mirror image exists.
    let s = Scratch::new();
    let suite = s.suite(
        "t.toml",
        "[suite]\nname = \"t\"\n[[benchmark]]\nname = \"t\"\ncommand = [\"true\"]\nmin_runs = 2\nmax_runs = 2\n",
    );
    let out = s
        .calibench()
        .args(["run", "--runtime", "docker", "--quiet", "--suite"])
        .arg(&suite)
        .output()
        .expect("calibench runs");
    expect_exit(&out, 0);
    let images = std::process::Command::new("docker")
        .args([
            "images",
            "calibench-host-mirror",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .output()
        .expect("docker images");
    let image = String::from_utf8_lossy(&images.stdout)
        .lines()
        .next()
        .expect("a host-mirror image")
        .to_string();
    let exe = calibench_bin();
    let exe = exe.display();
    let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
    for dir in ["/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin"] {
        if std::path::Path::new(dir).exists() {
            args.extend(["-v".into(), format!("{dir}:{dir}:ro")]);
        }
    }
    args.extend([
        "-v".into(),
        "/var/run/docker.sock:/var/run/docker.sock".into(),
        "-v".into(),
        format!("{exe}:{exe}:ro"),
        "--tmpfs".into(),
        "/ci-work:exec".into(),
        "-w".into(),
        "/ci-work".into(),
        "-e".into(),
        "CALIBENCH_HOME=/ci-work/state".into(),
        image,
        "sh".into(),
        "-c".into(),
        format!("printf '[suite]\\nname = \"t\"\\n[[benchmark]]\\nname = \"t\"\\ncommand = [\"true\"]\\n' > s.toml && {exe} run --runtime docker --quiet --db sqlite:///ci-work/r.db --suite s.toml"),
    ]);
    let out = std::process::Command::new("docker")
        .args(&args)
        .output()
        .expect("docker run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {err}");
    assert!(
        err.contains("does not see its files at their paths"),
        "{err}"
    );
    assert!(err.contains("--image"), "{err}");
}
