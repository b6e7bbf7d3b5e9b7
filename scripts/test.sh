#!/usr/bin/env bash
# Runs every test of calibench: formatting, lints, unit and integration tests against
# the real Docker engine and a real PostgreSQL (installed and started when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# The charts' font (PNG text and SVG layout are measured with DejaVu Sans).
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core
  else
    sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core
  fi
fi

# TimescaleDB for the store tests, where this workplace provides a build of it beside the
# repository (it may upgrade PostgreSQL 15 and restart clusters, so it goes first). On
# other machines the TimescaleDB tests skip outside CI and say why.
if [ -f ../shared/timescaledb/install.sh ]; then
  eval "$(bash ../shared/timescaledb/install.sh)"
fi

# PostgreSQL for the store tests: install, start, and export its URL.
eval "$(bash scripts/postgres.sh)"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
