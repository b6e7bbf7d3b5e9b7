#!/usr/bin/env bash
# Ingest throughput of the stores: samples/s for one run of 100 benchmarks x 1000
# samples into SQLite, PostgreSQL and (where ../shared/timescaledb exists) the TimescaleDB
# hypertable, and psql's \copy of the same rows as reference; then a benchmark's history
# and the daily view over 10 M stored samples on PostgreSQL and TimescaleDB.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f ../shared/timescaledb/install.sh ]; then
  eval "$(bash ../shared/timescaledb/install.sh)"
fi
eval "$(bash scripts/postgres.sh)"
cargo run --release -q -p calibench-results --example ingest_bench
