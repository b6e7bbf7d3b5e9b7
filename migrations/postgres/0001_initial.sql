-- calibench store, PostgreSQL flavour (mirrored by migrations/sqlite).
-- `result` is the only table that may become a TimescaleDB hypertable, so nothing
-- references it; its unique key includes measured_at, as hypertables require.

CREATE TABLE environment (
    id             BIGSERIAL PRIMARY KEY,
    fingerprint    TEXT    NOT NULL UNIQUE,
    cpu_model      TEXT    NOT NULL,
    logical_cores  INTEGER NOT NULL,
    physical_cores INTEGER,
    memory_bytes   BIGINT  NOT NULL,
    kernel         TEXT    NOT NULL,
    os             TEXT    NOT NULL,
    cpu_governor   TEXT,
    smt            BOOLEAN,
    facts          JSONB   NOT NULL
);

CREATE TABLE run (
    id                     UUID        PRIMARY KEY,
    tag                    TEXT,
    git_sha                TEXT,
    git_dirty              BOOLEAN,
    suite                  TEXT        NOT NULL,
    context                TEXT        NOT NULL,
    started_at             TIMESTAMPTZ NOT NULL,
    finished_at            TIMESTAMPTZ NOT NULL,
    harness_version        TEXT        NOT NULL,
    environment_id         BIGINT      NOT NULL REFERENCES environment (id),
    calibration_profile_id TEXT,
    environment            JSONB       NOT NULL,
    notices                JSONB       NOT NULL DEFAULT '[]',
    labels                 JSONB       NOT NULL DEFAULT '{}'
);
CREATE INDEX run_tag_started ON run (tag, started_at);
CREATE INDEX run_started ON run (started_at);

CREATE TABLE benchmark (
    id        BIGSERIAL PRIMARY KEY,
    suite     TEXT NOT NULL,
    name      TEXT NOT NULL,
    unit      TEXT NOT NULL,
    dimension TEXT NOT NULL,
    UNIQUE (suite, name, unit)
);

CREATE TABLE result (
    run_id                UUID        NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    benchmark_id          BIGINT      NOT NULL REFERENCES benchmark (id),
    runtime               TEXT        NOT NULL CHECK (runtime IN ('host', 'docker')),
    position              INTEGER     NOT NULL,
    environment_id        BIGINT      NOT NULL REFERENCES environment (id),
    measured_at           TIMESTAMPTZ NOT NULL,
    status                TEXT        NOT NULL CHECK (status IN ('ok', 'failed')),
    failure               TEXT,
    n                     INTEGER     NOT NULL,
    median                DOUBLE PRECISION,
    mean                  DOUBLE PRECISION,
    stddev                DOUBLE PRECISION,
    min                   DOUBLE PRECISION,
    max                   DOUBLE PRECISION,
    q1                    DOUBLE PRECISION,
    q3                    DOUBLE PRECISION,
    mad                   DOUBLE PRECISION,
    ci_low                DOUBLE PRECISION,
    ci_high               DOUBLE PRECISION,
    adjusted_median       DOUBLE PRECISION,
    adjusted_ci_low       DOUBLE PRECISION,
    adjusted_ci_high      DOUBLE PRECISION,
    samples               DOUBLE PRECISION[] NOT NULL,
    usage                 JSONB       NOT NULL,
    execution_environment JSONB       NOT NULL,
    UNIQUE (run_id, benchmark_id, runtime, measured_at)
);
-- BRIN serves time-range scans on plain PostgreSQL (rows arrive in time order).
CREATE INDEX result_measured_brin ON result USING BRIN (measured_at);
CREATE INDEX result_benchmark_time ON result (benchmark_id, measured_at);
CREATE INDEX result_run ON result (run_id);

CREATE TABLE calibration_profile (
    id               TEXT        PRIMARY KEY,
    profile_key      TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    host_fingerprint TEXT        NOT NULL,
    engine           JSONB       NOT NULL,
    container        JSONB       NOT NULL,
    profile          JSONB       NOT NULL
);
CREATE INDEX calibration_profile_key ON calibration_profile (profile_key, created_at);

-- Daily figures per benchmark and runtime. A plain view here; on TimescaleDB the
-- upgrade function points it at a continuous aggregate with the same columns.
CREATE VIEW benchmark_daily AS
SELECT date_trunc('day', r.measured_at) AS day,
       r.benchmark_id,
       r.runtime,
       count(*)             AS results,
       avg(r.median)        AS mean_median,
       min(r.median)        AS min_median,
       max(r.median)        AS max_median,
       avg(r.adjusted_median) AS mean_adjusted_median
FROM result r
WHERE r.status = 'ok'
GROUP BY 1, 2, 3;

-- Container overhead per run and benchmark: docker median over host median.
CREATE VIEW container_overhead AS
SELECT h.run_id,
       h.benchmark_id,
       h.measured_at,
       d.median / NULLIF(h.median, 0) - 1 AS overhead_ratio
FROM result h
JOIN result d ON d.run_id = h.run_id AND d.benchmark_id = h.benchmark_id AND d.runtime = 'docker'
WHERE h.runtime = 'host' AND h.status = 'ok' AND d.status = 'ok';
