#!/usr/bin/env bash
# The proxy example against HAProxy (tcp mode, the same thread count), same run, interleaved:
# iperf3 throughput (1 and 8 streams) and redis-benchmark (plain, pipelined, and with
# keep-alive off for new connections per second) through each proxy, plus the direct rate.
# Client, proxy and server share the machine's cores (unpinned). Loopback only.
#
#   Benchmarks/Scripts/proxy-vs-haproxy.sh [ROUNDS] [SECONDS]
#
# Prints one RESULT line per run:
#   RESULT proxy=NAME test=NAME rate=N unit=… cpu_s=N work=N cpu_per_unit=N
# where rate is Gbit/s (iperf3) or requests/s (redis), work is GB or requests, and cpu_s the
# proxy's user+system CPU seconds during the run (from /proc).
# PROXIES overrides the list (default: "direct haproxy haproxy-splice ours-splice-off ours-splice-auto ours-splice-on").
# TESTS overrides the tests (default: "iperf-1 iperf-8 redis redis-pipelined redis-new-conns").
# THREADS sets both proxies' threads (default 2). Needs haproxy, iperf3, redis-server and
# redis-benchmark (apt-get install haproxy iperf3 redis-server redis-tools).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
seconds="${2:-5}"
threads="${THREADS:-2}"
read -r -a proxies <<< "${PROXIES:-direct haproxy haproxy-splice ours-splice-off ours-splice-auto ours-splice-on}"
read -r -a tests <<< "${TESTS:-iperf-1 iperf-8 redis redis-pipelined redis-new-conns}"
tmpdir="$(mktemp -d /tmp/proxy-bench.XXXXXX)"
iperf_port=19520
redis_port=19521
proxy_port=19530

(cd "$here" && swift build -c release --product ProxyExample >/dev/null)
proxy_bin="$here/.build/release/ProxyExample"

# shellcheck source=proxy-bench-common.sh
source "$here/Benchmarks/Scripts/proxy-bench-common.sh"

iperf3 -s -B 127.0.0.1 -p "$iperf_port" >/dev/null 2>&1 &
pids+=($!)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --protected-mode no >/dev/null 2>&1 &
pids+=($!)
wait_port "$iperf_port"
wait_port "$redis_port"

cpu_ticks() { # pid -> utime+stime in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

start_proxy() { # name upstream_port -> sets proxy_pid, port
  proxy_port=$((proxy_port + 1))
  case "$1" in
    haproxy|haproxy-splice)
      local splice=""
      [ "$1" = haproxy-splice ] && splice=yes
      haproxy_config "$threads" "$proxy_port" "$2" "$splice" > "$tmpdir/haproxy.cfg"
      haproxy -f "$tmpdir/haproxy.cfg" -db >/dev/null 2>&1 &
      ;;
    ours-splice-*)
      "$proxy_bin" --listen "127.0.0.1:$proxy_port" --upstream "127.0.0.1:$2" --threads "$threads" \
        --splice "${1#ours-splice-}" --log-level warning >/dev/null 2>&1 &
      ;;
  esac
  proxy_pid=$!
  pids+=("$proxy_pid")
  wait_port "$proxy_port"
}

stop_proxy() {
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
}

run_test() { # test port -> "rate unit work"
  case "$1" in
    iperf-*)
      local streams="${1#iperf-}"
      iperf3 -c 127.0.0.1 -p "$2" -t "$seconds" -P "$streams" -J 2>/dev/null |
        python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum_received"]; print("%.3f Gbit/s %.4f" % (e["bits_per_second"]/1e9, e["bytes"]/1e9))'
      ;;
    redis|redis-pipelined|redis-new-conns)
      local extra=() requests=$((seconds * 40000))
      [ "$1" = redis-pipelined ] && extra=(-P 16) && requests=$((seconds * 300000))
      [ "$1" = redis-new-conns ] && extra=(-k 0) && requests=$((seconds * 4000))
      redis-benchmark -h 127.0.0.1 -p "$2" -t get -n "$requests" -c 50 -q "${extra[@]}" 2>/dev/null |
        tr '\r' '\n' | awk -v n="$requests" '/GET:/ { for (i = 1; i <= NF; i++) if ($i == "requests") r = $(i - 1) } END { printf "%s req/s %d\n", r, n }'
      ;;
  esac
}

hz=$(getconf CLK_TCK)
for ((round = 1; round <= rounds; round++)); do
  for test in "${tests[@]}"; do
    upstream=$iperf_port
    [[ "$test" == redis* ]] && upstream=$redis_port
    for proxy in "${proxies[@]}"; do
      if [ "$proxy" = direct ]; then
        read -r rate unit work < <(run_test "$test" "$upstream")
        echo "RESULT proxy=direct test=$test round=$round rate=$rate unit=$unit work=$work cpu_s=0 cpu_per_unit=0"
        continue
      fi
      start_proxy "$proxy" "$upstream"
      before=$(cpu_ticks "$proxy_pid")
      read -r rate unit work < <(run_test "$test" "$proxy_port")
      after=$(cpu_ticks "$proxy_pid")
      stop_proxy
      cpu=$(python3 -c "print(f'{($after - $before) / $hz:.3f}')")
      per=$(python3 -c "w=float('$work' or 0); print(f'{$cpu / w:.3g}' if w > 0 else 'nan')")
      echo "RESULT proxy=$proxy test=$test round=$round rate=$rate unit=$unit work=$work cpu_s=$cpu cpu_per_unit=$per"
    done
  done
done
