//! Ingest throughput: one run of 100 benchmarks × 1 000 samples stored into SQLite and
//! PostgreSQL through calibench's stores, and psql's `\copy` of the same result rows into
//! a plain table as the reference. Run by `scripts/bench-ingest.sh`.
//!
//! Prints one line per target: the median of `REPEATS` timings and samples per second.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use calibench_results::testing::{
    create_database, fixture_run, POSTGRES_URL_VAR, TIMESCALE_URL_VAR,
};
use calibench_results::{open_store, RunReport};

const BENCHMARKS: usize = 100;
const SAMPLES: usize = 1_000;
const REPEATS: usize = 7;
/// Runs in the store for the history queries: 100 × 100 × 1 000 = 10 M samples.
const HISTORY_RUNS: usize = 100;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(target: &str, seconds: Vec<f64>) {
    let m = median(seconds);
    let samples = (BENCHMARKS * SAMPLES) as f64;
    println!(
        "{target:<28} median {:>8.1} ms   {:>12.0} samples/s",
        m * 1e3,
        samples / m
    );
}

fn fresh_runs() -> Vec<RunReport> {
    (0..REPEATS)
        .map(|_| fixture_run(Some("ingest"), BENCHMARKS, SAMPLES))
        .collect()
}

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The result rows of `run` as CSV for `\copy`, the same columns the store writes.
fn result_csv(run: &RunReport) -> String {
    let mut out = String::new();
    for (i, b) in run.benchmarks.iter().enumerate() {
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:?}"));
        let samples: Vec<String> = b.samples.iter().map(|x| format!("{x:?}")).collect();
        let fields = [
            run.run_id.to_string(),
            (i + 1).to_string(),
            b.runtime.as_str().to_string(),
            i.to_string(),
            "1".to_string(),
            b.measured_at.to_rfc3339(),
            "ok".to_string(),
            String::new(),
            b.n.to_string(),
            opt(b.median),
            opt(b.mean),
            opt(b.stddev),
            opt(b.min),
            opt(b.max),
            opt(b.q1),
            opt(b.q3),
            opt(b.mad),
            opt(b.ci_low),
            opt(b.ci_high),
            String::new(),
            String::new(),
            String::new(),
            csv_field(&format!("{{{}}}", samples.join(","))),
            csv_field(&serde_json::to_string(&b.usage).unwrap_or_default()),
            csv_field(&serde_json::to_string(&b.execution_environment).unwrap_or_default()),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("ingest of one run: {BENCHMARKS} benchmarks x {SAMPLES} samples, median of {REPEATS}");
    let dir = tempfile::tempdir()?;
    let sqlite = open_store(&format!(
        "sqlite://{}",
        dir.path().join("ingest.db").display()
    ))
    .await?;
    let mut times = Vec::new();
    for run in fresh_runs() {
        let t = Instant::now();
        sqlite.save_run(&run).await?;
        times.push(t.elapsed().as_secs_f64());
    }
    report("sqlite (calibench store)", times);

    let Ok(admin) = std::env::var(POSTGRES_URL_VAR) else {
        println!("postgres: skipped ({POSTGRES_URL_VAR} not set; scripts/bench-ingest.sh sets it)");
        return Ok(());
    };
    let url = create_database(&admin).await?;
    let pg = open_store(&url).await?;
    let mut times = Vec::new();
    for run in fresh_runs() {
        let t = Instant::now();
        pg.save_run(&run).await?;
        times.push(t.elapsed().as_secs_f64());
    }
    report("postgres (calibench store)", times);
    let timescale = match std::env::var(TIMESCALE_URL_VAR) {
        Ok(ts_admin) if !ts_admin.is_empty() => {
            let ts_url = create_database(&ts_admin).await?;
            let ts = open_store(&ts_url).await?;
            let mut times = Vec::new();
            for run in fresh_runs() {
                let t = Instant::now();
                ts.save_run(&run).await?;
                times.push(t.elapsed().as_secs_f64());
            }
            report("timescale hypertable (store)", times);
            Some((ts_url, ts))
        }
        _ => {
            println!("timescale: skipped ({TIMESCALE_URL_VAR} not set)");
            None
        }
    };
    copy_reference(&url, dir.path())?;
    history(&url, &pg, "postgres").await?;
    if let Some((ts_url, ts)) = &timescale {
        history(ts_url, ts, "timescale").await?;
    }
    Ok(())
}

/// Fills the store to `HISTORY_RUNS` runs (10 M samples) and times a benchmark's history
/// over them and the daily view.
async fn history(
    url: &str,
    store: &calibench_results::Store,
    label: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let have = store.status().await?.runs as usize;
    for _ in have..HISTORY_RUNS {
        store
            .save_run(&fixture_run(Some("history"), BENCHMARKS, SAMPLES))
            .await?;
    }
    let samples = store.status().await?.samples;
    let pool = sqlx::PgPool::connect(url).await?;
    let queries = [
        (
            "history of one benchmark",
            "SELECT r.measured_at, r.median, r.ci_low, r.ci_high FROM result r JOIN benchmark b ON b.id = r.benchmark_id WHERE b.name = 'bench-042' AND r.runtime = 'host' ORDER BY r.measured_at",
        ),
        (
            "daily view, last 30 days",
            "SELECT d.day, b.name, d.mean_median FROM benchmark_daily d JOIN benchmark b ON b.id = d.benchmark_id WHERE d.day > now() - INTERVAL '30 days'",
        ),
    ];
    for (what, sql) in queries {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..REPEATS {
            let t = Instant::now();
            rows = sqlx::query(sql).fetch_all(&pool).await?.len();
            times.push(t.elapsed().as_secs_f64());
        }
        println!(
            "{label:<10} {what:<26} over {samples} samples: median {:>7.2} ms ({rows} rows)",
            median(times) * 1e3
        );
    }
    // What `calibench compare` does after parsing: resolve two selectors among the 100
    // stored runs, load both runs (100 benchmarks x 1 000 samples each) and judge them.
    use calibench_results::compare::{compare_runs, CompareOptions, SideRef};
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let ids = store.resolve("history").await?;
        let (Some(first), Some(last)) = (ids.first().copied(), ids.last().copied()) else {
            break;
        };
        let (Some(a), Some(b)) = (store.load_run(first).await?, store.load_run(last).await?) else {
            break;
        };
        let side = |id| SideRef {
            selector: "history".into(),
            run_ids: vec![id],
        };
        let report = compare_runs(
            side(first),
            &[a],
            side(last),
            &[b],
            &CompareOptions::default(),
        );
        rows = report.benchmarks.len();
        times.push(t.elapsed().as_secs_f64());
    }
    println!(
        "{label:<10} {:<26} over {samples} samples: median {:>7.2} ms ({rows} benchmarks)",
        "compare two stored runs",
        median(times) * 1e3
    );
    Ok(())
}

/// psql's `\copy` of the same rows into a constraint-free copy of `result`.
fn copy_reference(url: &str, dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let setup = Command::new("psql")
        .args([
            url,
            "-qc",
            "CREATE TABLE result_copy (LIKE result INCLUDING DEFAULTS)",
        ])
        .status()?;
    if !setup.success() {
        return Err("psql could not create the reference table".into());
    }
    let mut times = Vec::new();
    for run in fresh_runs() {
        let path = dir.join("rows.csv");
        std::fs::File::create(&path)?.write_all(result_csv(&run).as_bytes())?;
        let copy = format!(
            "\\copy result_copy FROM '{}' WITH (FORMAT csv)",
            path.display()
        );
        let t = Instant::now();
        let status = Command::new("psql").args([url, "-qc", &copy]).status()?;
        times.push(t.elapsed().as_secs_f64());
        if !status.success() {
            return Err("psql \\copy failed".into());
        }
    }
    report("postgres (psql \\copy)", times);
    Ok(())
}
