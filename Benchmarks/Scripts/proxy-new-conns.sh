#!/usr/bin/env bash
# New connections per second through the proxy example and HAProxy (tcp mode, the same thread
# count), interleaved round by round so both see the same machine load: redis-benchmark with
# keep-alive off (one GET per connection) against one redis-server. Loopback only.
#
#   Benchmarks/Scripts/proxy-new-conns.sh [ROUNDS] [CONNECTIONS]
#
# Prints one line per run:
#   proxy=NAME round=N rate=CONNS_PER_S user_us_per_req=N sys_us_per_req=N \
#     redis_us_per_req=N bench_us_per_req=N idle_pct=N proxy_sleeps_per_req=N
# with the proxy's user and system CPU per connection from /proc, the CPU (user and system) that
# redis-server and redis-benchmark spent per connection in the same run, the share of the
# machine's CPU time left idle, and how often per connection a proxy thread went to sleep
# (voluntary context switches of all its threads).
# BASELINE_BIN adds a second build of the proxy (another commit's ProxyExample) as "baseline";
# "minimal" is Benchmarks/MinimalProxy, the library's forwarding without the example's
# admission, metrics and registry (built on demand), and "minimal-callbacks" the same without a
# task per client (reactor-thread callbacks);
# PROXIES overrides the list (default: "haproxy ours", plus "baseline" with BASELINE_BIN).
# THREADS sets both proxies' threads (default 2). Needs haproxy, redis-server and
# redis-benchmark (apt-get install haproxy redis-server redis-tools).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-8}"
connections="${2:-20000}"
threads="${THREADS:-2}"
default_proxies="haproxy ours"
[ -n "${BASELINE_BIN:-}" ] && default_proxies="haproxy baseline ours"
read -r -a proxies <<< "${PROXIES:-$default_proxies}"
tmpdir="$(mktemp -d /tmp/proxy-new-conns.XXXXXX)"
redis_port=19621
proxy_port=19630

(cd "$here" && swift build -c release --product ProxyExample >/dev/null)
ours_bin="$here/.build/release/ProxyExample"
minimal_bin="$here/Benchmarks/MinimalProxy/.build/release/MinimalProxy"
if [[ " ${proxies[*]} " == *" minimal"* ]]; then
  (cd "$here/Benchmarks/MinimalProxy" && swift build -c release >/dev/null 2>&1)
fi

# shellcheck source=proxy-bench-common.sh
source "$here/Benchmarks/Scripts/proxy-bench-common.sh"

redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --protected-mode no >/dev/null 2>&1 &
pids+=($!)
wait_port "$redis_port"

start_proxy() { # name -> sets proxy_pid, proxy_port
  proxy_port=$((proxy_port + 1))
  case "$1" in
    haproxy)
      haproxy_config "$threads" "$proxy_port" "$redis_port" > "$tmpdir/haproxy.cfg"
      haproxy -f "$tmpdir/haproxy.cfg" -db >/dev/null 2>&1 &
      ;;
    ours|baseline)
      local bin="$ours_bin"
      [ "$1" = baseline ] && bin="$BASELINE_BIN"
      "$bin" --listen "127.0.0.1:$proxy_port" --upstream "127.0.0.1:$redis_port" --threads "$threads" \
        --log-level warning >/dev/null 2>&1 &
      ;;
    minimal|minimal-callbacks)
      local mode=()
      [ "$1" = minimal-callbacks ] && mode=(--callbacks)
      "$minimal_bin" --listen "127.0.0.1:$proxy_port" --upstream "127.0.0.1:$redis_port" --threads "$threads" "${mode[@]}" >/dev/null 2>&1 &
      ;;
  esac
  proxy_pid=$!
  pids+=("$proxy_pid")
  wait_port "$proxy_port"
}

machine_idle() { # -> "idle_ticks total_ticks" of the whole machine
  awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}
sleeps_of() { # pid -> voluntary context switches of all its threads
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }'
}
redis_pid="${pids[0]}"

hz=$(getconf CLK_TCK)
for ((round = 1; round <= rounds; round++)); do
  for proxy in "${proxies[@]}"; do
    start_proxy "$proxy"
    read -r user0 sys0 < <(times_of "$proxy_pid")
    read -r redis_user0 redis_sys0 < <(times_of "$redis_pid"); sleeps0=$(sleeps_of "$proxy_pid")
    read -r idle0 total0 < <(machine_idle)
    # redis-benchmark's own CPU comes from its rusage (bash's `times` for a finished child).
    output=$( { redis-benchmark -h 127.0.0.1 -p "$proxy_port" -t get -n "$connections" -c 50 -q -k 0 2>/dev/null; times; } |
      tr '\r' '\n')
    read -r user1 sys1 < <(times_of "$proxy_pid")
    read -r redis_user1 redis_sys1 < <(times_of "$redis_pid"); sleeps1=$(sleeps_of "$proxy_pid")
    read -r idle1 total1 < <(machine_idle)
    rate=$(awk '/GET:/ { for (i = 1; i <= NF; i++) if ($i == "requests") r = $(i - 1) } END { print r }' <<< "$output")
    bench_seconds=$(awk '/^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/ { n++ } n == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2]; exit }' <<< "$output")
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    awk -v p="$proxy" -v r="$round" -v rate="$rate" -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v hz="$hz" -v n="$connections" \
      -v rc=$((redis_user1 + redis_sys1 - redis_user0 - redis_sys0)) -v bs="$bench_seconds" -v idle=$((idle1 - idle0)) -v total=$((total1 - total0)) -v sl=$((sleeps1 - sleeps0)) \
      'BEGIN { printf "proxy=%s round=%d rate=%s user_us_per_req=%.0f sys_us_per_req=%.0f redis_us_per_req=%.0f bench_us_per_req=%.0f idle_pct=%.1f proxy_sleeps_per_req=%.3f\n",
               p, r, rate, u / hz / n * 1e6, s / hz / n * 1e6, rc / hz / n * 1e6, bs / n * 1e6, (total > 0 ? 100 * idle / total : 0), sl / n }'
  done
done
