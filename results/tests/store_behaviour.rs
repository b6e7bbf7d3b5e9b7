//! One set of store behaviours, run against SQLite, a real PostgreSQL and a real
//! PostgreSQL with TimescaleDB (a fresh database per test).

use calibench_results::testing::{
    create_database, fixture_result, fixture_run, postgres_admin_url, timescale_admin_url,
};
use calibench_results::{open_store, Runtime, SaveOutcome, Status, Store, StoreError};

/// Runs `check` against a fresh SQLite file and, when available, a fresh database on
/// plain PostgreSQL and one on PostgreSQL with TimescaleDB.
async fn on_every_backend<F, Fut>(test: &str, check: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = open_store(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .expect("sqlite opens");
    check(sqlite).await;
    if let Some(admin) = postgres_admin_url(test) {
        let url = create_database(&admin)
            .await
            .expect("test database created");
        let pg = open_store(&url).await.expect("postgres opens");
        check(pg).await;
    }
    if let Some(admin) = timescale_admin_url(test) {
        let url = create_database(&admin)
            .await
            .expect("test database created");
        let ts = open_store(&url).await.expect("timescale opens");
        assert_eq!(ts.status().await.expect("status").mode, "timescale");
        check(ts).await;
    }
}

#[tokio::test]
async fn a_run_reads_back_exactly_as_written() {
    on_every_backend("a_run_reads_back_exactly_as_written", |store| async move {
        let mut run = fixture_run(Some("v1.4.0 \"rc\"; DROP TABLE run;--"), 3, 25);
        run.benchmarks[0].name = "naïve-json ✓ 'quoted'; semi".into();
        run.benchmarks.push(fixture_result(
            "多言語 benchmark",
            Runtime::Docker,
            vec![0.5, 0.25, 1.0 / 3.0],
        ));
        let mut failed = fixture_result("broken", Runtime::Host, vec![]);
        failed.status = Status::Failed;
        failed.failure = Some("exited with status 3; stderr: boom".into());
        failed.median = None;
        failed.ci_low = None;
        run.benchmarks.push(failed);
        assert_eq!(
            store.save_run(&run).await.expect("saved"),
            SaveOutcome::Inserted
        );
        let back = store
            .load_run(run.run_id)
            .await
            .expect("loaded")
            .expect("found");
        assert_eq!(back, run, "backend {}", store.describe());
    })
    .await;
}

#[tokio::test]
async fn storing_the_same_run_twice_stores_it_once() {
    on_every_backend(
        "storing_the_same_run_twice_stores_it_once",
        |store| async move {
            let run = fixture_run(Some("t"), 4, 10);
            assert_eq!(
                store.save_run(&run).await.expect("saved"),
                SaveOutcome::Inserted
            );
            assert_eq!(
                store.save_run(&run).await.expect("saved"),
                SaveOutcome::AlreadyStored
            );
            let status = store.status().await.expect("status");
            assert_eq!((status.runs, status.results, status.samples), (1, 4, 40));
        },
    )
    .await;
}

#[tokio::test]
async fn selectors_find_runs_by_tag_id_prefix_and_latest() {
    on_every_backend(
        "selectors_find_runs_by_tag_id_prefix_and_latest",
        |store| async move {
            let a = fixture_run(Some("v1"), 1, 3);
            let mut b = fixture_run(Some("v1"), 1, 3);
            b.started_at = a.started_at + chrono::Duration::seconds(1);
            let mut c = fixture_run(Some("v2"), 1, 3);
            c.started_at = a.started_at + chrono::Duration::seconds(2);
            for r in [&a, &b, &c] {
                store.save_run(r).await.expect("saved");
            }
            assert_eq!(
                store.resolve("v1").await.expect("tag"),
                vec![a.run_id, b.run_id]
            );
            assert_eq!(
                store.resolve("latest").await.expect("latest"),
                vec![c.run_id]
            );
            let prefix = &c.run_id.to_string()[..8];
            assert_eq!(store.resolve(prefix).await.expect("prefix"), vec![c.run_id]);
            assert!(store
                .resolve("nothing-like-this")
                .await
                .expect("none")
                .is_empty());
            let listed = store.list_runs(10).await.expect("list");
            assert_eq!(
                listed.iter().map(|l| l.run_id).collect::<Vec<_>>(),
                vec![c.run_id, b.run_id, a.run_id]
            );
        },
    )
    .await;
}

#[tokio::test]
async fn non_finite_numbers_never_reach_the_store() {
    on_every_backend(
        "non_finite_numbers_never_reach_the_store",
        |store| async move {
            let mut run = fixture_run(None, 1, 3);
            run.benchmarks[0].samples[1] = f64::NAN;
            assert!(matches!(
                store.save_run(&run).await,
                Err(StoreError::Invalid(_))
            ));
            assert_eq!(store.status().await.expect("status").runs, 0);
        },
    )
    .await;
}

#[tokio::test]
async fn postgres_reports_its_mode_and_redacts_its_password() {
    let Some(admin) = postgres_admin_url("postgres_reports_its_mode_and_redacts_its_password")
    else {
        return;
    };
    let url = create_database(&admin).await.expect("db");
    let store = open_store(&url).await.expect("opens");
    let status = store.status().await.expect("status");
    assert_eq!(status.backend, "postgres");
    assert!(status.mode == "plain" || status.mode == "timescale");
    assert!(status.schema_version >= 2);
    assert!(!store.describe().contains("calibench-test-secret"));
    // A wrong password: the error names the server but never the password.
    let wrong = url.replace("calibench-test-secret", "not-the-password");
    let err = open_store(&wrong).await.expect_err("refused");
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    assert!(err.is_environment());
}

#[tokio::test]
async fn profile_history_is_the_newest_profiles_of_a_key_newest_first() {
    on_every_backend(
        "profile_history_is_the_newest_profiles_of_a_key_newest_first",
        |store| async move {
            use calibench_calibrator::Verdict;
            use calibench_results::testing::fixture_profile;
            use calibench_results::Dimension;
            let at = |pct: f64, minutes_ago: i64, key: &str| {
                let mut p =
                    fixture_profile(Dimension::Cpu, pct, pct - 1.0, pct + 1.0, Verdict::Overhead);
                p.created_at -= chrono::Duration::minutes(minutes_ago);
                p.profile_key = key.into();
                p
            };
            let profiles = [
                at(1.0, 30, "k"),
                at(2.0, 20, "k"),
                at(3.0, 10, "k"),
                at(9.0, 0, "other"),
            ];
            for p in &profiles {
                store.save_profile(p).await.expect("profile stored");
            }
            let history = store.profile_history("k", 2).await.expect("history");
            let ids: Vec<&str> = history.iter().map(|p| p.profile_id.as_str()).collect();
            assert_eq!(
                ids,
                vec![
                    profiles[2].profile_id.as_str(),
                    profiles[1].profile_id.as_str()
                ]
            );
            let newest = store
                .find_profile("k")
                .await
                .expect("lookup")
                .expect("a profile");
            assert_eq!(newest.profile_id, history[0].profile_id);
            assert!(store.find_profile("none").await.expect("lookup").is_none());
        },
    )
    .await;
}
