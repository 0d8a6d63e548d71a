#!/usr/bin/env bash
# Starts a local PostgreSQL for the county-server tests and exports FUPIN_TEST_PG_URL.
# Sourced by test.sh after bootstrap.sh (which installs the postgresql package). Uses Debian's
# cluster tools; outside Debian, set FUPIN_TEST_PG_URL yourself to a database the tests may use.
set -euo pipefail

start_test_postgres() {
  if [ -n "${FUPIN_TEST_PG_URL:-}" ]; then return 0; fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    printf '[fupin] 没有 PostgreSQL（pg_lsclusters），县级服务器的测试将跳过（CI 中会失败）。\n' >&2
    return 0
  fi
  local sudo="" as_postgres="runuser -u postgres --"
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; as_postgres="sudo -u postgres"; fi
  local version cluster
  read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1) || true
  if [ -z "${version:-}" ]; then
    version="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
    cluster=main
    $sudo pg_createcluster "$version" "$cluster" >/dev/null
  fi
  if ! pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c' | grep -q online; then
    printf '[fupin] 启动 PostgreSQL %s/%s\n' "$version" "$cluster" >&2
    $sudo pg_ctlcluster "$version" "$cluster" start
  fi
  local port; port="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
  $as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'fupin_test'" | grep -q 1 ||
    $as_postgres psql -q -p "$port" -c "CREATE ROLE fupin_test LOGIN CREATEDB PASSWORD 'fupin_test'" >/dev/null
  $as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = 'fupin_test'" | grep -q 1 ||
    $as_postgres psql -q -p "$port" -c "CREATE DATABASE fupin_test OWNER fupin_test" >/dev/null
  export FUPIN_TEST_PG_URL="postgresql+psycopg://fupin_test:fupin_test@127.0.0.1:${port}/fupin_test"
}

start_test_postgres
