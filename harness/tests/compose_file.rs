//! The team deployment file is valid for docker-compose (images cannot be pulled here,
//! so the file is validated, not started), and its provisioning files parse.

mod common;
use common::expect_exit;

use common::workspace_root;

#[test]
fn docker_compose_config_accepts_the_file() {
    let has_compose = std::process::Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_compose {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but docker-compose is missing"
        );
        eprintln!("skipping: docker-compose is not installed");
        return;
    }
    let root = workspace_root();
    let out = std::process::Command::new("docker-compose")
        .current_dir(&root)
        .env("CALIBENCH_DB_PASSWORD", "example-password")
        .env("GRAFANA_ADMIN_PASSWORD", "example-admin")
        .args(["-f", "docker-compose.yml", "config"])
        .output()
        .expect("docker-compose runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    expect_exit(&out, 0);
    assert!(
        stdout.contains("timescale/timescaledb:2.17.2-pg16")
            && stdout.contains("grafana/grafana-oss:11.3.1")
    );
    assert!(stdout.contains("healthcheck"));
    // Without the password the file refuses to render rather than defaulting one.
    let refused = std::process::Command::new("docker-compose")
        .current_dir(&root)
        .env_remove("CALIBENCH_DB_PASSWORD")
        .env("GRAFANA_ADMIN_PASSWORD", "x")
        .args(["-f", "docker-compose.yml", "config"])
        .output()
        .expect("docker-compose runs");
    assert!(!refused.status.success());
    let dashboard =
        std::fs::read_to_string(root.join("grafana/dashboards/calibench.json")).expect("dashboard");
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).expect("dashboard is JSON");
    assert_eq!(parsed["panels"].as_array().map(Vec::len), Some(3));
}
