#!/usr/bin/env bash
# What an idle connection costs in allocations: records every malloc (size) and every
# swift_task_alloc (async frame, size) the server makes while N connections open, echo one
# message each and go idle, with uprobes (perf probe), and prints the sizes per connection
# (count / N). Counts do not depend on the machine's speed or load.
#
#   Benchmarks/Scripts/idle-allocs.sh [CONNS] [SERVERS] [ECHO_BINARY]   # SERVERS: async handler
#
# Needs root and perf (Debian's linux-perf). Loopback only; every phase is bounded.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
conns="${1:-2000}"
read -r -a servers <<< "${2:-async handler}"
binary="${3:-$here/.build/release/EchoExample}"
ulimit -n "$(ulimit -Hn)"
concurrency=/opt/swift/usr/lib/swift/linux/libswift_Concurrency.so
[ -f "$concurrency" ] || concurrency="$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux/libswift_Concurrency.so"
libc="$(ldconfig -p | awk '/libc.so.6 .*x86-64/ && !found { print $NF; found = 1 }')"
built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
loadgen="${built%%$'\n'*}"
# shellcheck source=bench-common.sh
source "$here/Benchmarks/Scripts/bench-common.sh"

perf probe -q -d 'probe_*:*' 2>/dev/null || true
cleanup() { perf probe -q -d 'probe_*:*' 2>/dev/null || true; }
trap cleanup EXIT
perf probe -q -x "$libc" -a 'malloc size=%di:u64' >/dev/null
perf probe -q -x "$libc" -a 'posix_memalign size=%dx:u64' >/dev/null
perf probe -q -x "$concurrency" -a 'swift_task_alloc size=%di:u64' >/dev/null
events="$(perf probe -l 2>/dev/null | awk '{ print $1 }' | paste -sd, -)"

port=19450
for server in "${servers[@]}"; do
  port=$((port + 1))
  taskset -c 0 "$binary" --listen "127.0.0.1:$port" --threads 1 --api "$server" >/dev/null 2>&1 &
  pid=$!
  wait_port "$port"
  sleep 2
  data=$(mktemp)
  perf record -q -m 2048 -e "$events" -p "$pid" -o "$data" 2>/dev/null &
  recorder=$!
  sleep 1
  log=$(mktemp)
  taskset -c 1 "$loadgen" --port "$port" --idle -c "$conns" -d 2 --connect-timeout 60 >"$log" 2>&1 || true
  kill -INT "$recorder"; wait "$recorder" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "ALLOCS server=$server conns=$conns open=$(grep -o 'IDLE_READY open=[0-9]*' "$log" | head -1 | cut -d= -f2)"
  perf script -i "$data" -F event,trace 2>/dev/null |
    sed -E 's/^ *probe_[a-zA-Z_]+:([a-z_]+): *\([0-9a-f]+\) size=([0-9]+).*/\1 \2/' |
    sort | uniq -c | sort -k2,2 -k1,1nr |
    awk -v n="$conns" '{ per = $1 / n; if (per >= 0.5) printf "  %-18s size=%-6d per_conn=%.2f bytes_per_conn=%.0f\n", $2, $3, per, per * $3 }'
  rm -f "$data" "$log"
done
