#!/usr/bin/env bash
# What the PROXY protocol costs the proxy example, same run, interleaved: two proxies chained
# (client -> A -> B -> server), once plain and once with A `--send-proxy v2` (or v1) into B
# `--accept-proxy`, so both ends of the protocol are in the measured path. iperf3 throughput
# (1 and 8 streams) and redis-benchmark with keep-alive off (a new connection, so a new header,
# per request). Loopback only; client, proxies and server share the cores (unpinned).
#
#   Benchmarks/Scripts/proxy-protocol-cost.sh [ROUNDS] [SECONDS]
#
# Prints one RESULT line per run:  RESULT variant=NAME test=NAME rate=N unit=…
# then, per test, the median of each variant and its ratio to `plain`.
# VARIANTS overrides the list (default "plain pp-v2 pp-v1"); TESTS the tests (default
# "iperf-1 iperf-8 redis-new-conns"); THREADS each proxy's threads (default 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
seconds="${2:-5}"
threads="${THREADS:-1}"
read -r -a variants <<< "${VARIANTS:-plain pp-v2 pp-v1}"
read -r -a tests <<< "${TESTS:-iperf-1 iperf-8 redis-new-conns}"
tmpdir="$(mktemp -d /tmp/proxy-pp-bench.XXXXXX)"
iperf_port=19620
redis_port=19621
port=19630

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

start_chain() { # variant upstream_port -> sets chain_pids, front
  local send=() accept=()
  case "$1" in
    pp-v1) send=(--send-proxy v1); accept=(--accept-proxy) ;;
    pp-v2) send=(--send-proxy v2); accept=(--accept-proxy) ;;
  esac
  port=$((port + 2))
  "$proxy_bin" --listen "127.0.0.1:$((port + 1))" --upstream "127.0.0.1:$2" --threads "$threads" \
    "${accept[@]}" --log-level warning >/dev/null 2>&1 &
  chain_pids=($!)
  "$proxy_bin" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$((port + 1))" --threads "$threads" \
    "${send[@]}" --log-level warning >/dev/null 2>&1 &
  chain_pids+=($!)
  pids+=("${chain_pids[@]}")
  front=$port
  wait_port "$((port + 1))"
  wait_port "$port"
}

stop_chain() {
  kill "${chain_pids[@]}" 2>/dev/null || true
  wait "${chain_pids[@]}" 2>/dev/null || true
}

run_test() { # test port -> "rate unit"
  case "$1" in
    iperf-*)
      iperf3 -c 127.0.0.1 -p "$2" -t "$seconds" -P "${1#iperf-}" -J 2>/dev/null |
        python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum_received"]; print("%.3f Gbit/s" % (e["bits_per_second"]/1e9))'
      ;;
    redis-new-conns)
      redis-benchmark -h 127.0.0.1 -p "$2" -t ping_inline -n $((seconds * 3000)) -c 8 -k 0 -q 2>/dev/null |
        tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1 req\/s/p' | tail -1
      ;;
  esac
}

results="$tmpdir/results"
for test in "${tests[@]}"; do
  upstream=$iperf_port
  [[ "$test" == redis-* ]] && upstream=$redis_port
  for _ in $(seq "$rounds"); do
    for variant in "${variants[@]}"; do
      start_chain "$variant" "$upstream"
      read -r rate unit <<< "$(run_test "$test" "$front")"
      stop_chain
      echo "RESULT variant=$variant test=$test rate=$rate unit=$unit" | tee -a "$results"
    done
  done
done

python3 - "$results" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    runs.setdefault((fields["test"], fields["unit"]), {}).setdefault(fields["variant"], []).append(float(fields["rate"]))
for (test, unit), by_variant in runs.items():
    base = statistics.median(by_variant.get("plain", [float("nan")]))
    for variant, rates in by_variant.items():
        median = statistics.median(rates)
        print(f"SUMMARY test={test} variant={variant} median={median:.4g} {unit} ratio_vs_plain={median / base:.3f} runs={len(rates)}")
PY
