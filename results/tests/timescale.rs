//! The TimescaleDB branch on a real server with the extension preloaded: the hypertable,
//! its compression policy, the live daily aggregate, writes and reads over compressed
//! chunks, and the upgrade of a database first used with plain PostgreSQL.

use calibench_results::testing::{
    create_database, fixture_run, postgres_admin_url, timescale_admin_url,
};
use calibench_results::{open_store, SaveOutcome, Store};
use sqlx::PgPool;

async fn fresh(admin: &str) -> (String, Store, PgPool) {
    let url = create_database(admin).await.expect("test database created");
    let store = open_store(&url).await.expect("store opens");
    let pool = PgPool::connect(&url).await.expect("sql connection");
    (url, store, pool)
}

async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Compresses every chunk of `result` by hand, as the policy would after 90 days.
async fn compress_all(pool: &PgPool) -> i64 {
    scalar_i64(
        pool,
        "SELECT count(compress_chunk(c, if_not_compressed => true))::bigint FROM show_chunks('result') c",
    )
    .await
}

#[tokio::test]
async fn timescale_result_is_a_compressed_hypertable_on_measured_at() {
    let Some(admin) =
        timescale_admin_url("timescale_result_is_a_compressed_hypertable_on_measured_at")
    else {
        return;
    };
    let (_, store, pool) = fresh(&admin).await;
    assert_eq!(store.status().await.expect("status").mode, "timescale");
    let column: String = sqlx::query_scalar(
        "SELECT column_name::text FROM timescaledb_information.dimensions WHERE hypertable_name = 'result'",
    )
    .fetch_one(&pool)
    .await
    .expect("result has a time dimension");
    assert_eq!(column, "measured_at");
    let compression: bool = sqlx::query_scalar(
        "SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'result'",
    )
    .fetch_one(&pool)
    .await
    .expect("hypertable row");
    assert!(compression);
    assert_eq!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = 'result' AND proc_name = 'policy_compression'"
        )
        .await,
        1,
        "one compression policy"
    );
    let run = fixture_run(Some("twice"), 3, 10);
    assert_eq!(
        store.save_run(&run).await.expect("saved"),
        SaveOutcome::Inserted
    );
    assert_eq!(
        store.save_run(&run).await.expect("saved again"),
        SaveOutcome::AlreadyStored
    );
    assert_eq!(scalar_i64(&pool, "SELECT count(*) FROM result").await, 3);
}

#[tokio::test]
async fn timescale_and_plain_daily_views_show_a_run_stored_a_second_ago() {
    let test = "timescale_and_plain_daily_views_show_a_run_stored_a_second_ago";
    for (mode, admin) in [
        ("plain", postgres_admin_url(test)),
        ("timescale", timescale_admin_url(test)),
    ] {
        let Some(admin) = admin else { continue };
        let (_, store, pool) = fresh(&admin).await;
        assert_eq!(store.status().await.expect("status").mode, mode);
        let run = fixture_run(Some("today"), 4, 5);
        store.save_run(&run).await.expect("saved");
        let day_results = scalar_i64(
            &pool,
            "SELECT coalesce(sum(results), 0)::bigint FROM benchmark_daily WHERE day > now() - INTERVAL '1 day'",
        )
        .await;
        assert_eq!(day_results, 4, "{mode}: today's row of benchmark_daily");
    }
}

#[tokio::test]
async fn timescale_reads_and_late_writes_work_over_compressed_chunks() {
    let Some(admin) =
        timescale_admin_url("timescale_reads_and_late_writes_work_over_compressed_chunks")
    else {
        return;
    };
    let (_, store, pool) = fresh(&admin).await;
    let first = fixture_run(Some("v1"), 5, 20);
    store.save_run(&first).await.expect("saved");
    assert!(compress_all(&pool).await >= 1, "a chunk was compressed");
    // Reads over a compressed chunk.
    let back = store
        .load_run(first.run_id)
        .await
        .expect("load")
        .expect("found");
    assert_eq!(back, first);
    assert_eq!(
        store.resolve("v1").await.expect("resolve"),
        vec![first.run_id]
    );
    // A run measured an hour earlier (a late push from a spool) lands in the compressed
    // chunk; storing it again stores it once.
    let mut late = fixture_run(Some("v0"), 5, 20);
    let hour = chrono::Duration::hours(1);
    late.started_at -= hour;
    late.finished_at -= hour;
    for b in &mut late.benchmarks {
        b.measured_at -= hour;
    }
    assert_eq!(
        store.save_run(&late).await.expect("late save"),
        SaveOutcome::Inserted
    );
    assert_eq!(
        store.save_run(&late).await.expect("late save again"),
        SaveOutcome::AlreadyStored
    );
    assert_eq!(
        store.load_run(late.run_id).await.expect("load").as_ref(),
        Some(&late)
    );
    assert_eq!(scalar_i64(&pool, "SELECT count(*) FROM result").await, 10);
    assert_eq!(
        scalar_i64(
            &pool,
            "SELECT coalesce(sum(results), 0)::bigint FROM benchmark_daily"
        )
        .await,
        10,
        "the daily view counts compressed and new rows"
    );
}

#[tokio::test]
async fn timescale_upgrades_a_database_first_used_with_plain_postgres() {
    let test = "timescale_upgrades_a_database_first_used_with_plain_postgres";
    let (Some(plain_admin), Some(ts_admin)) = (postgres_admin_url(test), timescale_admin_url(test))
    else {
        return;
    };
    let (plain_url, plain, _) = fresh(&plain_admin).await;
    assert_eq!(plain.status().await.expect("status").mode, "plain");
    let runs: Vec<_> = (0..3)
        .map(|i| fixture_run(Some(&format!("r{i}")), 4, 50))
        .collect();
    for r in &runs {
        plain.save_run(r).await.expect("saved on plain");
    }
    // Move the database to the TimescaleDB server, as a team upgrading its server would.
    let target = create_database(&ts_admin).await.expect("target database");
    let dump = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", &plain_url])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut restore = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", &target])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("psql runs");
    std::io::Write::write_all(restore.stdin.as_mut().expect("stdin"), &dump.stdout)
        .expect("dump written");
    drop(restore.stdin.take());
    assert!(
        restore.wait().expect("psql ends").success(),
        "restore failed"
    );
    // Opening it calls calibench_timescale_upgrade(): hypertable with the rows migrated.
    let upgraded = open_store(&target).await.expect("opens on timescale");
    let status = upgraded.status().await.expect("status");
    assert_eq!(status.mode, "timescale");
    assert_eq!((status.runs, status.results, status.samples), (3, 12, 600));
    for r in &runs {
        assert_eq!(
            upgraded.load_run(r.run_id).await.expect("load").as_ref(),
            Some(r)
        );
    }
    let pool = PgPool::connect(&target).await.expect("sql connection");
    assert_eq!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'result'"
        )
        .await,
        1
    );
}
