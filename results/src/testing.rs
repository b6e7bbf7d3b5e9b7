//! Test support shared by the workspace's tests and benchmarks: fixture runs and a fresh
//! PostgreSQL database per test. Not part of the stable API.

use sqlx::Connection;

use crate::error::StoreError;
use crate::ids::RunId;
use crate::model::*;

/// Environment variable holding an admin URL of the test PostgreSQL server.
pub const POSTGRES_URL_VAR: &str = "CALIBENCH_TEST_POSTGRES_URL";

/// The admin URL in `var`. In CI (CI=true) its absence is a failure; outside CI the
/// test is skipped with a printed reason.
fn admin_url(var: &str, test: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: CI=true but {var} is not set; run the tests with scripts/test.sh")
        }
        _ => {
            eprintln!("skipping {test}: {var} is not set ({what})");
            None
        }
    }
}

/// The admin URL of the test PostgreSQL server.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    admin_url(POSTGRES_URL_VAR, test, "scripts/test.sh sets it")
}

/// Environment variable holding an admin URL of a test server with TimescaleDB preloaded
/// (`../shared/timescaledb/install.sh` prints it; `scripts/test.sh` sets it when that
/// file exists).
pub const TIMESCALE_URL_VAR: &str = "CALIBENCH_TEST_TIMESCALE_URL";

/// The admin URL of the TimescaleDB test server.
pub fn timescale_admin_url(test: &str) -> Option<String> {
    admin_url(TIMESCALE_URL_VAR, test, "no TimescaleDB test server")
}

/// Creates an empty database on the admin URL's server and returns its URL.
pub async fn create_database(admin_url: &str) -> Result<String, StoreError> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let name = format!("calibench_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let cut = base.rfind('/').map_or(base.len(), |i| i);
    Ok(format!("{}/{name}", &base[..cut]))
}

/// A host environment that looks real enough for stores.
pub fn fixture_environment() -> Environment {
    Environment {
        host: HostEnvironment {
            fingerprint: "00ff00ff00ff00ff".into(),
            hostname: "bench-1".into(),
            cpu_model: "Test CPU @ 3.0GHz".into(),
            logical_cores: 2,
            physical_cores: Some(2),
            memory_bytes: 24 << 30,
            kernel: "6.1.0".into(),
            os: "Debian GNU/Linux 12".into(),
            cpu_governor: Some("performance".into()),
            smt: Some(false),
            arch: "x86_64".into(),
        },
        harness_version: "0.1.0".into(),
        git: Some(GitState {
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            dirty: false,
        }),
        engine: None,
    }
}

/// One result with `samples`, summarised simply (tests of stores need shape, not stats).
pub fn fixture_result(name: &str, runtime: Runtime, samples: Vec<f64>) -> BenchmarkResult {
    let n = samples.len();
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (n > 0).then(|| sorted[n / 2]);
    BenchmarkResult {
        name: name.into(),
        runtime,
        dimension: Dimension::Cpu,
        unit: "s".into(),
        status: Status::Ok,
        failure: None,
        measured_at: now(),
        n,
        median,
        mean: median,
        stddev: Some(0.0),
        min: sorted.first().copied(),
        max: sorted.last().copied(),
        q1: median,
        q3: median,
        mad: Some(0.0),
        ci_low: median,
        ci_high: median,
        adjusted_median: None,
        adjusted_ci_low: None,
        adjusted_ci_high: None,
        samples,
        usage: ProcessUsage::default(),
        execution_environment: ExecutionEnvironment::host(None),
    }
}

/// A run with `benchmarks` results of `samples_each` samples each, on the host.
pub fn fixture_run(tag: Option<&str>, benchmarks: usize, samples_each: usize) -> RunReport {
    let results = (0..benchmarks)
        .map(|i| {
            let samples = (0..samples_each)
                .map(|j| 0.01 + (i * 7 + j) as f64 * 1e-6)
                .collect();
            fixture_result(&format!("bench-{i:03}"), Runtime::Host, samples)
        })
        .collect();
    RunReport {
        schema_version: SCHEMA_VERSION,
        run_id: RunId::new_random(),
        tag: tag.map(str::to_string),
        suite: "fixture".into(),
        context: "ci".into(),
        started_at: now(),
        finished_at: now(),
        environment: fixture_environment(),
        calibration_profile_id: None,
        benchmarks: results,
        notices: vec![],
        labels: Default::default(),
    }
}

/// A calibration profile whose one dimension has the given overhead (percent).
pub fn fixture_profile(
    dimension: Dimension,
    overhead_pct: f64,
    ci_low_pct: f64,
    ci_high_pct: f64,
    verdict: calibench_calibrator::Verdict,
) -> crate::profile::CalibrationProfile {
    crate::profile::CalibrationProfile {
        schema_version: SCHEMA_VERSION,
        profile_id: RunId::new_random().to_string(),
        profile_key: "fixture".into(),
        created_at: now(),
        aa: false,
        host_fingerprint: fixture_environment().host.fingerprint,
        engine: None,
        container: serde_json::Value::Null,
        target_ci_pct: 0.5,
        max_time_s: 60.0,
        elapsed_s: 10.0,
        dimensions: vec![crate::profile::DimensionOverhead {
            dimension,
            probe: dimension.as_str().into(),
            overhead_pct,
            ci_low_pct,
            ci_high_pct,
            verdict,
            rounds: 20,
            between_probe_sd_pct: None,
        }],
        probes: vec![],
        memory_overhead_mb: None,
        memory: None,
        start_latency: None,
        notes: vec![],
        pooled: vec![],
        network: vec![],
        io_placement: None,
    }
}
