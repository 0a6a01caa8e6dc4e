# shellcheck shell=bash
# A throwaway PostgreSQL server for the database tests, sourced by scripts/test.
#
# `start_test_postgres` exports BRIDGE_TEST_POSTGRES_URL for a fresh cluster in
# target/test-postgres (trust authentication, loopback only, its own port) and stops it when
# the calling shell exits. It keeps a BRIDGE_TEST_POSTGRES_URL that is already set, and
# prints one skip line when Debian's PostgreSQL server binaries are missing
# (scripts/install-test-deps installs them).

start_test_postgres() {
  if [ -n "${BRIDGE_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres: using BRIDGE_TEST_POSTGRES_URL from the environment"
    return 0
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    skipped "PostgreSQL tests" "no PostgreSQL server; run scripts/install-test-deps"
    return
  fi
  local dir port run_as=()
  dir="$(pwd)/target/test-postgres"
  port="${BRIDGE_TEST_POSTGRES_PORT:-55432}"
  rm -rf "$dir"
  mkdir -p "$dir"
  # PostgreSQL refuses to run as root: run it as the package's postgres user then.
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U bridge --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log"
    return 1
  }
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || {
    cat "$dir/server.log"
    return 1
  }
  TEST_POSTGRES_STOP=("${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop)
  trap 'stop_test_postgres' EXIT
  export BRIDGE_TEST_POSTGRES_URL="postgres://bridge@127.0.0.1:$port/postgres"
  echo "postgres: test server on port $port"
}

stop_test_postgres() {
  if [ -n "${TEST_POSTGRES_STOP+x}" ]; then
    "${TEST_POSTGRES_STOP[@]}" >/dev/null 2>&1 || true
  fi
}
