#!/usr/bin/env bash
# Starts a PostgreSQL server on loopback for the PostgreSQL test suites and prints the URL to
# export as BATON_TEST_POSTGRES_URL (on stdout, alone; progress goes to stderr):
#
#   export BATON_TEST_POSTGRES_URL=$(bash scripts/postgres-ci.sh)
#
# Installs Debian's postgresql package when no server is installed, creates a cluster if there is
# none, starts it listening on 127.0.0.1 only, and (re)creates the role `baton_ci` (allowed to
# create databases, each test clones its own, and to end the backends on one it drops) with a
# fresh password and a database `baton_ci`.
# Needs root (CI runs as root). Safe to run again: it reuses what is there.
set -euo pipefail
log() { echo "postgres-ci: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "run as root (it installs packages and starts a cluster)"; exit 1; }

if ! command -v pg_lsclusters >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing PostgreSQL from Debian's packages"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
cluster=main
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version $cluster"; then
  log "creating cluster $version/$cluster"
  pg_createcluster "$version" "$cluster" >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')
# Loopback only, whatever the cluster's main configuration file says (conf.d is read last).
conf_dir=/etc/postgresql/$version/$cluster/conf.d
mkdir -p "$conf_dir"
echo "listen_addresses = '127.0.0.1'" >"$conf_dir/baton-ci.conf"
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}' | grep -q online; then
  log "starting cluster $version/$cluster on 127.0.0.1:$port"
  pg_ctlcluster "$version" "$cluster" start >&2
else
  # A running cluster re-binds only on restart; restart it if it listens beyond loopback.
  listening=$(runuser -u postgres -- psql -Atqp "$port" -d postgres -c 'show listen_addresses')
  if [ "$listening" != "127.0.0.1" ]; then pg_ctlcluster "$version" "$cluster" restart >&2; fi
fi
for _ in $(seq 1 30); do
  runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2 <<SQL
SELECT format('CREATE ROLE baton_ci LOGIN CREATEDB PASSWORD %L', '$password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'baton_ci') \gexec
ALTER ROLE baton_ci LOGIN CREATEDB PASSWORD '$password';
-- The tests drop their databases WITH (FORCE), which must end an autovacuum worker busy there.
GRANT pg_signal_backend TO baton_ci;
SELECT 'CREATE DATABASE baton_ci OWNER baton_ci'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'baton_ci') \gexec
SQL
log "PostgreSQL $version listening on 127.0.0.1:$port, role and database baton_ci"
echo "postgres://baton_ci:$password@127.0.0.1:$port/baton_ci"
