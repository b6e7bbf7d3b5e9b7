-- calibench store, SQLite flavour. Mirrors migrations/postgres: JSON as TEXT, times as
-- INTEGER microseconds since the Unix epoch (UTC), sample arrays as JSON text.

CREATE TABLE environment (
    id             INTEGER PRIMARY KEY,
    fingerprint    TEXT    NOT NULL UNIQUE,
    cpu_model      TEXT    NOT NULL,
    logical_cores  INTEGER NOT NULL,
    physical_cores INTEGER,
    memory_bytes   INTEGER NOT NULL,
    kernel         TEXT    NOT NULL,
    os             TEXT    NOT NULL,
    cpu_governor   TEXT,
    smt            INTEGER,
    facts          TEXT    NOT NULL
);

CREATE TABLE run (
    id                     TEXT    PRIMARY KEY,
    tag                    TEXT,
    git_sha                TEXT,
    git_dirty              INTEGER,
    suite                  TEXT    NOT NULL,
    context                TEXT    NOT NULL,
    started_at             INTEGER NOT NULL,
    finished_at            INTEGER NOT NULL,
    harness_version        TEXT    NOT NULL,
    environment_id         INTEGER NOT NULL REFERENCES environment (id),
    calibration_profile_id TEXT,
    environment            TEXT    NOT NULL,
    notices                TEXT    NOT NULL DEFAULT '[]',
    labels                 TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX run_tag_started ON run (tag, started_at);
CREATE INDEX run_started ON run (started_at);

CREATE TABLE benchmark (
    id        INTEGER PRIMARY KEY,
    suite     TEXT NOT NULL,
    name      TEXT NOT NULL,
    unit      TEXT NOT NULL,
    dimension TEXT NOT NULL,
    UNIQUE (suite, name, unit)
);

CREATE TABLE result (
    run_id                TEXT    NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    benchmark_id          INTEGER NOT NULL REFERENCES benchmark (id),
    runtime               TEXT    NOT NULL CHECK (runtime IN ('host', 'docker')),
    position              INTEGER NOT NULL,
    environment_id        INTEGER NOT NULL REFERENCES environment (id),
    measured_at           INTEGER NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('ok', 'failed')),
    failure               TEXT,
    n                     INTEGER NOT NULL,
    median                REAL,
    mean                  REAL,
    stddev                REAL,
    min                   REAL,
    max                   REAL,
    q1                    REAL,
    q3                    REAL,
    mad                   REAL,
    ci_low                REAL,
    ci_high               REAL,
    adjusted_median       REAL,
    adjusted_ci_low       REAL,
    adjusted_ci_high      REAL,
    samples               TEXT    NOT NULL,
    usage                 TEXT    NOT NULL,
    execution_environment TEXT    NOT NULL,
    PRIMARY KEY (run_id, benchmark_id, runtime)
);
CREATE INDEX result_benchmark_time ON result (benchmark_id, measured_at);

CREATE TABLE calibration_profile (
    id               TEXT    PRIMARY KEY,
    profile_key      TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    host_fingerprint TEXT    NOT NULL,
    engine           TEXT    NOT NULL,
    container        TEXT    NOT NULL,
    profile          TEXT    NOT NULL
);
CREATE INDEX calibration_profile_key ON calibration_profile (profile_key, created_at);
