-- The daily figures show a run as soon as it is stored, in both modes.
--
-- On TimescaleDB the continuous aggregate behind `benchmark_daily` was materialized-only,
-- and its refresh policy ends an hour before now: today's results stayed invisible to the
-- daily view (and the dashboard built on it) for hours. Real-time aggregation
-- (`timescaledb.materialized_only = false`) answers from the materialized buckets up to
-- the aggregate's watermark and from the raw hypertable after it, so a stored run counts
-- at once while older days still come from the materialization. On plain PostgreSQL
-- `benchmark_daily` is a plain view and was always live.
--
-- A migration runs once, so the upgrade function is replaced here (0002 stays as applied)
-- and the setting is (re)applied on every call: a database upgraded by the older function
-- gets it the next time calibench opens it.
CREATE OR REPLACE FUNCTION calibench_timescale_upgrade() RETURNS TEXT
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
       OR coalesce(current_setting('shared_preload_libraries', true), '') NOT LIKE '%timescaledb%' THEN
        RETURN 'plain';
    END IF;

    CREATE EXTENSION IF NOT EXISTS timescaledb;

    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                   WHERE hypertable_schema = current_schema() AND hypertable_name = 'result') THEN
        PERFORM create_hypertable('result', by_range('measured_at', INTERVAL '30 days'),
                                  migrate_data => true);
        ALTER TABLE result SET (timescaledb.compress,
                                timescaledb.compress_segmentby = 'benchmark_id, runtime',
                                timescaledb.compress_orderby = 'measured_at');
    END IF;
    PERFORM add_compression_policy('result', INTERVAL '90 days', if_not_exists => true);

    IF NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
                   WHERE view_schema = current_schema() AND view_name = 'benchmark_daily_agg') THEN
        -- WITH NO DATA: allowed inside the function's transaction; the policy fills it.
        EXECUTE $cagg$
            CREATE MATERIALIZED VIEW benchmark_daily_agg
            WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
            SELECT time_bucket(INTERVAL '1 day', measured_at) AS day,
                   benchmark_id,
                   runtime,
                   count(*)               AS results,
                   avg(median)            AS mean_median,
                   min(median)            AS min_median,
                   max(median)            AS max_median,
                   avg(adjusted_median)   AS mean_adjusted_median
            FROM result
            WHERE status = 'ok'
            GROUP BY 1, 2, 3
            WITH NO DATA
        $cagg$;
        PERFORM add_continuous_aggregate_policy('benchmark_daily_agg',
            start_offset => INTERVAL '90 days', end_offset => INTERVAL '1 hour',
            schedule_interval => INTERVAL '1 hour', if_not_exists => true);
        CREATE OR REPLACE VIEW benchmark_daily AS
            SELECT day, benchmark_id, runtime, results, mean_median, min_median, max_median,
                   mean_adjusted_median
            FROM benchmark_daily_agg;
    END IF;
    IF EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates
               WHERE view_schema = current_schema() AND view_name = 'benchmark_daily_agg'
                 AND materialized_only) THEN
        ALTER MATERIALIZED VIEW benchmark_daily_agg SET (timescaledb.materialized_only = false);
    END IF;
    RETURN 'timescale';
END
$fn$;
