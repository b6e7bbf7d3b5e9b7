#!/usr/bin/env bash
# Runs every test of calibench: formatting, lints, unit and integration tests against
# the real Docker engine and a real PostgreSQL (installed and started when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL for the store tests: install, start, and export its URL.
eval "$(bash scripts/postgres.sh)"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
