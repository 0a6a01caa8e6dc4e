# shellcheck shell=bash
# A throwaway S3-compatible server for the storage tests, sourced by scripts/test.
#
# `start_test_s3` starts moto's server (`moto[server]` from PyPI) on a free loopback port,
# exports what the bridge and the tests read — AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_REGION, and BRIDGE_TEST_S3_ENDPOINT, which turns the S3 tests
# on — and stops it when the calling shell exits. moto comes from the PATH when it is there,
# else from a venv in target/test-s3/venv that the first run makes with pip. It keeps a
# BRIDGE_TEST_S3_ENDPOINT that is already set, and prints one skip line when neither moto
# nor Python's venv is available.

start_test_s3() {
  if [ -n "${BRIDGE_TEST_S3_ENDPOINT:-}" ]; then
    echo "s3: using BRIDGE_TEST_S3_ENDPOINT from the environment"
    export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-$BRIDGE_TEST_S3_ENDPOINT}"
    return 0
  fi
  local dir server python port
  dir="$(pwd)/target/test-s3"
  mkdir -p "$dir"
  python=$(command -v python3 || true)
  if command -v moto_server >/dev/null 2>&1 && "$python" -c 'import moto.server, flask' >/dev/null 2>&1; then
    server=$(command -v moto_server)
  elif [ -x "$dir/venv/bin/moto_server" ]; then
    server="$dir/venv/bin/moto_server"
  elif [ -n "$python" ] && "$python" -m venv "$dir/venv" >"$dir/venv.log" 2>&1 &&
    "$dir/venv/bin/pip" install --quiet 'moto[server]' >>"$dir/venv.log" 2>&1; then
    server="$dir/venv/bin/moto_server"
  else
    skipped "S3 storage tests" "no moto server and no python3 venv/pip to install moto[server]; see $dir/venv.log"
    return
  fi
  # A port the kernel hands out now; moto binds it a moment later.
  port=$("${python:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$server" -H 127.0.0.1 -p "$port" >"$dir/server.log" 2>&1 &
  TEST_S3_PID=$!
  local tries=0
  until "${python:-python3}" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$TEST_S3_PID" 2>/dev/null; then
      cat "$dir/server.log"
      stop_test_s3
      return 1
    fi
    sleep 0.1
  done
  # Run after whatever the caller already does on exit (e.g. stop_test_postgres).
  local previous
  previous=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  trap "${previous:+$previous; }stop_test_s3" EXIT
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  export BRIDGE_TEST_S3_ENDPOINT="$AWS_ENDPOINT_URL"
  echo "s3: moto server on port $port"
}

stop_test_s3() {
  if [ -n "${TEST_S3_PID:-}" ]; then
    kill "$TEST_S3_PID" 2>/dev/null || true
    wait "$TEST_S3_PID" 2>/dev/null || true
    unset TEST_S3_PID
  fi
}
