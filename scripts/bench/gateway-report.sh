# shellcheck shell=bash
# The report of scripts/bench-gateway, sourced by it: the per-target table, each bridge
# against direct and nginx with the targets' verdicts, the bridge's startup figures and
# the README summary, all read from $work/results.tsv and $work/startup.tsv. Uses the
# script's settings and state (work, paths, bridges, endpoints, conns, targets, ...).

# Column $4 of results.tsv (5 rps, 6 p50, 7 p99, 8 bytes, 9 bad, 10 and 11 CPU us per
# answer of the stand-in and of the proxy, 12 other work's share of the servers' CPU)
# for one target, one line per round, in round order.
series() {
  awk -F'\t' -v e="$1" -v p="$2" -v c="$3" -v col="$4" \
    '$1 == e && $2 == p && $3 == c {print $4 "\t" $col}' "$work/results.tsv" |
    sort -n | cut -f2
}

# "median min max" of numbers on stdin.
stats() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "nan nan nan"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR] }'
}

# Round-by-round a-b or a/b of two columns (rounds are interleaved, so round r of one
# target ran next to round r of the other).
paired() {
  local op=$1 a=$2 b=$3
  paste <(echo "$a") <(echo "$b") |
    awk -v op="$op" '{ if (op == "-") print $1 - $2; else print $1 / $2 }'
}

# "median (min..max)" with a printf format for the numbers.
fmt() {
  local format=$1 m lo hi
  read -r m lo hi
  # shellcheck disable=SC2059 # the format is the caller's
  printf "$format ($format..$format)" "$m" "$lo" "$hi"
}

# Every target's figures; also sets other_max for the summary.
print_table() {
  local endpoint c path
  echo
  echo "Throughput and latency: median (min..max) of $repeats runs of ${secs}s each"
  printf '%-9s %-6s %-7s %-26s %-26s %-26s %-14s %6s %4s %6s\n' \
    endpoint conns path "req/s" "p50 ms" "p99 ms" "cpu us/req" "bytes" "bad" "other"
  for endpoint in "${endpoints[@]}"; do
    for c in "${conns[@]}"; do
      for path in "${paths[@]}"; do
        printf '%-9s %-6s %-7s %-26s %-26s %-26s %-14s %6s %4s %6s\n' "$endpoint" "$c" "$path" \
          "$(series "$endpoint" "$path" "$c" 5 | stats | fmt %.0f)" \
          "$(series "$endpoint" "$path" "$c" 6 | stats | fmt %.3f)" \
          "$(series "$endpoint" "$path" "$c" 7 | stats | fmt %.3f)" \
          "$(cpu_cell "$endpoint" "$path" "$c")" \
          "$(series "$endpoint" "$path" "$c" 8 | stats | awk '{printf "%.0f", $1}')" \
          "$(series "$endpoint" "$path" "$c" 9 | awk '{s += $1} END {print s + 0}')" \
          "$(series "$endpoint" "$path" "$c" 12 | stats | awk '{printf "%.0f%%", $3}')"
      done
    done
  done
  echo "(cpu us/req: median CPU time per answer of the stand-in + the proxy (nginx's worker or"
  echo " the bridge), from /proc/<pid>/stat; bytes: body per answer; bad: answers other than"
  echo " 200 plus failed requests, all runs together; other: the most of CPU $server_cpu that"
  echo " anything but the servers used in one run - kernel work such as interrupts counts"
  echo " too, so a few percent is normal; much more means other jobs disturbed the run)"
  if [ -n "$baseline_bin" ]; then
    echo "(before: $baseline_bin, the baseline bridge, with the same settings on the same CPU)"
  fi
  other_max=$(cut -f12 "$work/results.tsv" | stats | awk '{printf "%.0f", $3}')
  if [ "$other_max" -gt 10 ]; then
    echo "WARNING: other work took up to $other_max% of CPU $server_cpu in a run;" \
      "the figures are disturbed - rerun on a quiet machine"
  fi
}

# "sim + proxy" CPU microseconds per answer (medians), "sim" alone for the direct path.
cpu_cell() {
  local sim proxy
  sim=$(series "$1" "$2" "$3" 10 | stats | awk '{printf "%.0f", $1}')
  proxy=$(series "$1" "$2" "$3" 11 | stats | awk '{printf "%.0f", $1}')
  if [ "$2" = direct ]; then echo "$sim"; else echo "$sim + $proxy"; fi
}

# The throughput target over nginx at $1 connections.
ratio_target() {
  if [ "$1" -le 1 ]; then echo "$target_ratio_one"; else echo "$target_ratio_more"; fi
}

# Each bridge (the build, and the baseline as "before") against the targets, per endpoint
# and connection count; also collects the current build's lines of the README summary in
# $work/summary.txt. The path column is there only when there is a baseline.
print_comparison() {
  local endpoint c path added50 added99 ratio cpu_bridge cpu_nginx p50_cell row_format lead
  row_format='%-9s %-6s %-30s %-30s %-26s\n'
  [ -z "$baseline_bin" ] || row_format='%-9s %-6s %-7s %-30s %-30s %-26s\n'
  echo
  echo "Bridge vs direct (added latency) and vs nginx (throughput ratio), round by round:"
  lead=(endpoint conns)
  [ -z "$baseline_bin" ] || lead+=(path)
  # shellcheck disable=SC2059 # the format is chosen above
  printf "$row_format" "${lead[@]}" "added p50 ms (<= $target_p50_ms at c=1)" \
    "added p99 ms" "req/s ratio to nginx (>= $target_ratio_one at c=1, >= $target_ratio_more above)"
  for endpoint in "${endpoints[@]}"; do
    for c in "${conns[@]}"; do
      for path in "${bridges[@]}"; do
        added50=$(paired - "$(series "$endpoint" "$path" "$c" 6)" \
          "$(series "$endpoint" direct "$c" 6)" | stats | fmt %+.3f)
        added99=$(paired - "$(series "$endpoint" "$path" "$c" 7)" \
          "$(series "$endpoint" direct "$c" 7)" | stats | fmt %+.3f)
        ratio=$(paired / "$(series "$endpoint" "$path" "$c" 5)" \
          "$(series "$endpoint" nginx "$c" 5)" | stats | fmt %.2fx)
        # Above one connection latency is queueing (see below): no latency target there.
        p50_cell=$added50
        [ "$c" -gt 1 ] || p50_cell="$added50 $(verdict "$added50" '<=' "$target_p50_ms")"
        lead=("$endpoint" "$c")
        [ -z "$baseline_bin" ] || lead+=("$path")
        # shellcheck disable=SC2059 # the format is chosen above
        printf "$row_format" "${lead[@]}" "$p50_cell" "$added99" \
          "$ratio $(verdict "$ratio" '>=' "$(ratio_target "$c")")"
        [ "$path" = bridge ] || continue
        cpu_bridge=$(series "$endpoint" bridge "$c" 11 | stats | awk '{printf "%.0f", $1}')
        cpu_nginx=$(series "$endpoint" nginx "$c" 11 | stats | awk '{printf "%.0f", $1}')
        printf '| `%s` | %s | %s ms | %s ms | %s | %s / %s µs |\n' "$endpoint" "$c" \
          "${added50%% *}" "${added99%% *}" "${ratio%% *}" "$cpu_bridge" "$cpu_nginx" \
          >>"$work/summary.txt"
      done
    done
  done
  echo "(at 64 connections the servers' CPU is saturated, so latency there is mostly queueing:"
  echo " p50 is about connections / throughput; the hop's own latency shows at 1 connection)"
  if [ -n "$baseline_bin" ]; then
    echo "(bridge: this build, target/release/moodle-bridge; before: $baseline_bin)"
  fi
}

# The floors against nginx, and the bridge against its floor: how much of the gap to nginx
# is the libraries' (axum serving, reqwest or hyper calling) and how much is the bridge's
# own work (authentication, JSON, envelope, metrics, logs). Nothing without BENCH_FLOOR.
print_floor() {
  local endpoint c path row
  [ "${#floors[@]}" -gt 0 ] || return 0
  echo
  echo "The libraries' floor: req/s ratios, round by round (floor: axum + reqwest passing"
  echo "Moodle's answer through, nothing else; floor-hyper: the same with a hyper-util client):"
  printf '%-9s %-6s %-26s %-26s %-26s\n' endpoint conns "floor / nginx" "floor-hyper / nginx" \
    "bridge / floor-hyper"
  for endpoint in "${endpoints[@]}"; do
    for c in "${conns[@]}"; do
      row=()
      for path in floor floor-hyper; do
        row+=("$(paired / "$(series "$endpoint" "$path" "$c" 5)" \
          "$(series "$endpoint" nginx "$c" 5)" | stats | fmt %.2fx)")
      done
      row+=("$(paired / "$(series "$endpoint" bridge "$c" 5)" \
        "$(series "$endpoint" floor-hyper "$c" 5)" | stats | fmt %.2fx)")
      printf '%-9s %-6s %-26s %-26s %-26s\n' "$endpoint" "$c" "${row[@]}"
    done
  done
  echo "(a floor below a target means no proxy built on these libraries reaches it here;"
  echo " the bridge's REST calls use the hyper-util client, so bridge / floor-hyper is the share"
  echo " of the floor its own work leaves: authentication, JSON, envelope, metrics, logs)"
}

# "ok" or "MISSED" for the median (first number of a fmt) against a target.
verdict() {
  awk -v v="${1%% *}" -v op="$2" -v t="$3" 'BEGIN {
    v += 0
    ok = (op == "<=") ? (v <= t) : (op == "<") ? (v < t) : (v >= t)
    print ok ? "ok" : "MISSED" }'
}

print_startup() {
  local ready rss
  ready=$(cut -f2 "$work/startup.tsv" | awk '{print $1 / 1000}' | stats | fmt %.1f)
  # VmRSS is in KiB; the target is in MB (10^6 bytes).
  rss=$(cut -f3 "$work/startup.tsv" | awk '{print $1 * 1024 / 1e6}' | stats | fmt %.1f)
  echo
  echo "Bridge process, median (min..max) of $ready_repeats starts:"
  echo "  start to ready: $ready ms  [target < 200 ms: $(verdict "$ready" '<' 200)]"
  echo "  idle RSS:       $rss MB  [target < 30 MB: $(verdict "$rss" '<' 30)]"
  echo "  after the load runs: RSS $(mb VmRSS) MB, peak $(mb VmHWM) MB"
  if [ -n "$baseline_bin" ]; then
    echo "  before (baseline) after the load runs: RSS $(mb VmRSS before) MB, peak $(mb VmHWM before) MB"
  fi
  echo "${ready%% *} ${rss%% *}" >"$work/startup-medians"
}

# A memory figure ($1) of the bridge after the load runs, in MB; $2 "before": the baseline's.
mb() {
  awk -v k="$1:" '$1 == k {printf "%.1f", $2 * 1024 / 1e6}' "$work/after-load${2:+-$2}.status"
}

# A block for the README's performance section.
print_summary() {
  local ready rss cpu
  read -r ready rss <"$work/startup-medians"
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  cat <<EOF

---- summary for README (Performance) ----
Measured with \`scripts/bench-gateway\` on $cpu ($cpus CPUs), oha $("$oha" --version | awk '{print $2}') on
CPU $load_cpu, moodle-sim and the bridge or nginx $(nginx_version) on CPU $server_cpu; bridge cache off
(\`MOODLE_CACHE_TTL_SECONDS=0\`), ${secs}s runs, median of $repeats interleaved rounds. Added latency is
the bridge's \`GET /api/moodle/…\` minus the direct \`POST server.php\` to the stand-in; the
throughput ratio is the bridge's requests/s over nginx proxying that POST; CPU is the
proxy's own time per request (bridge / nginx worker).

| endpoint | connections | added p50 | added p99 | throughput vs nginx | CPU per request |
|---|---|---|---|---|---|
$(<"$work/summary.txt")

Idle RSS ${rss} MB; start to ready ${ready} ms (database opened and migrated, Moodle
token checked). Targets: added p50 <= $target_p50_ms ms at 1 connection, throughput >= ${target_ratio_one}x
nginx at 1 connection and >= ${target_ratio_more}x at more, RSS < 30 MB, ready < 200 ms.
$([ "$other_max" -le 10 ] || echo "(Disturbed run: other work took up to $other_max% of the servers' CPU.)")
------------------------------------------
EOF
}

nginx_version() {
  "$(nginx_cmd)" -v 2>&1 | sed 's|.*nginx/||'
}
