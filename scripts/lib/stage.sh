# Timed stages for the project's scripts: `stage NAME COMMAND...` runs the command, prints
# its wall time, and records it for `stage_summary`.
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
