-- The TimescaleDB upgrade, as an idempotent function that calibench calls after every
-- migration run. A migration runs once, so it cannot wait for an extension installed
-- later; a function called on every start can. On plain PostgreSQL it changes nothing
-- and returns 'plain' (BRIN indexes and plain views serve the same queries).
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
            WITH (timescaledb.continuous) AS
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
    RETURN 'timescale';
END
$fn$;
