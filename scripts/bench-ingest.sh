#!/usr/bin/env bash
# Ingest throughput of the stores: samples/s for one run of 100 benchmarks x 1000
# samples into SQLite and PostgreSQL, and psql's \copy of the same rows as reference.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/postgres.sh)"
cargo run --release -q -p calibench-results --example ingest_bench
