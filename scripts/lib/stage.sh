# Timed stages for the project's scripts: `stage NAME COMMAND...` runs the command, prints
# its wall time, and records it for `stage_summary`; `skipped WHAT WHY` records a test that
# cannot run (a failure with CI=true: .ci/run installs every dependency), and
# `stage_summary` lists every skip of the run, the tests' own included (TEST_SKIP_LOG).
STAGE_TIMES=()

stage() {
  local name=$1
  shift
  local start end status
  echo "==> ${name}: $*"
  start=$(date +%s.%N)
  set +e
  "$@"
  status=$?
  set -e
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
  STAGE_TIMES+=("$(printf '%-28s %8ss  %s' "$name" "$secs" "$([ "$status" -eq 0 ] && echo ok || echo "FAILED ($status)")")")
  echo "<== ${name}: ${secs}s"
  return "$status"
}

stage_summary() {
  echo
  echo "stage                        wall time"
  printf '%s\n' "${STAGE_TIMES[@]}"
}

# Records that WHAT could not run because of WHY: one line here and in TEST_SKIP_LOG. Returns
# 1 with CI=true, where a missing dependency means the run is broken.
skipped() {
  local line="skipped: $1 ($2)"
  echo "$line"
  if [ -n "${TEST_SKIP_LOG:-}" ]; then
    echo "$line" >>"$TEST_SKIP_LOG"
  fi
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    echo "$1: required with CI=true (.ci/run installs it)" >&2
    return 1
  fi
  return 0
}

# What did not run, from this script and from the tests (their skip lines in TEST_SKIP_LOG).
skip_summary() {
  echo
  if [ -n "${TEST_SKIP_LOG:-}" ] && [ -s "$TEST_SKIP_LOG" ]; then
    echo "not run in this run:"
    sort "$TEST_SKIP_LOG" | uniq -c | sed 's/^ */  /'
  else
    echo "not run in this run: nothing (every test group ran)"
  fi
}
