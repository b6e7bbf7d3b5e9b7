#!/usr/bin/env bash
# Makes a PostgreSQL server available for calibench's tests and prints the variables
# that point at it (`eval "$(bash scripts/postgres.sh)"`):
#   CALIBENCH_TEST_POSTGRES_URL   an admin URL; tests create a fresh database each
#   CALIBENCH_TEST_PG_CLUSTER     "VERSION NAME" of the cluster (for stop/start tests)
# Installs Debian's postgresql package when missing (root, non-interactive), creates a
# cluster if there is none, starts it, and sets a password for the postgres role.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cluster=main
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$version $cluster"; then
  log "creating cluster $version/$cluster"
  as_root pg_createcluster "$version" "$cluster" >&2
fi
status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}')
if [ "$status" != online ]; then
  log "starting cluster $version/$cluster"
  as_root pg_ctlcluster "$version" "$cluster" start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')

password=calibench-test-secret
for _ in $(seq 1 30); do
  if as_root runuser -u postgres -- psql -p "$port" -qtAc "SELECT 1" >/dev/null 2>&1; then break; fi
  sleep 1
done
as_root runuser -u postgres -- psql -p "$port" -qc "ALTER ROLE postgres PASSWORD '$password'" >&2

echo "export CALIBENCH_TEST_POSTGRES_URL=postgres://postgres:$password@127.0.0.1:$port/postgres"
echo "export CALIBENCH_TEST_PG_CLUSTER=\"$version $cluster\""
