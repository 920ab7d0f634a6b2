#!/usr/bin/env bash
# UDP echo against SwiftNIO's (Benchmarks/NIOUDPEcho: DatagramBootstrap with vector reads on),
# same run, interleaved, server pinned to CPU 0 and the load generator to CPU 1. Loopback only.
# Builds both with -c release, then prints one RESULT line per run, tagged with the server.
#
#   Benchmarks/Scripts/udp-vs-nio.sh [ROUNDS] [SECONDS]
#
# SERVERS: any of nio (vector reads 32), nio-b1 (vector reads off), async, handler (batch 32,
#   segmentation offload on), async-nogso, handler-nogso (batch 32, --no-udp-gso), async-b1,
#   handler-b1 (--udp-batch 1: one recvmsg and sendmsg per datagram); default all.
# WORKLOADS: '|'-separated load-generator flags (default: 64-byte datagrams, 16 flows, 8 in
#   flight each, batch 32; and 1,400-byte datagrams).
# CLIENT: swift (default) drives the servers with `EchoExample bench --udp` on one reactor
#   (--server-pid gives the server's CPU per datagram); c uses the benchmark kit's udpload
#   instead (C, epoll, one thread; needs the kit beside the repository, ../shared/bench, or
#   BENCH_KIT=DIR). The Swift client loads the servers harder than udpload here.
# SCRATCH: the build folder for the library's release build (default .build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
rounds="${1:-3}"
seconds="${2:-3}"
port_base=19700
IFS='|' read -r -a workloads <<< "${WORKLOADS:--f 16 -s 64 -p 8 --batch 32|-f 16 -s 1400 -p 4 --batch 32}"
read -r -a servers <<< "${SERVERS:-nio async handler async-nogso handler-nogso nio-b1 async-b1 handler-b1}"
client="${CLIENT:-swift}"
scratch="${SCRATCH:-$here/.build}"

(cd "$here" && swift build -c release --scratch-path "$scratch" --product EchoExample >/dev/null)
echo_bin="$scratch/release/EchoExample"
nio_scratch="${NIO_SCRATCH:-$here/Benchmarks/NIOUDPEcho/.build}"
(cd "$here/Benchmarks/NIOUDPEcho" && swift build -c release --scratch-path "$nio_scratch" >/dev/null)
nio_bin="$nio_scratch/release/NIOUDPEcho"
if [ "$client" = c ]; then
  built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
  udpload="${built##*$'\n'}"
fi

start_server() { # name port -> pid (waits for the "listening on" line)
  local log; log="$(mktemp)"
  case "$1" in
    nio) taskset -c 0 "$nio_bin" --port "$2" --threads 1 --vector-reads 32 >"$log" 2>&1 & ;;
    nio-b1) taskset -c 0 "$nio_bin" --port "$2" --threads 1 --vector-reads 0 >"$log" 2>&1 & ;;
    async|handler) taskset -c 0 "$echo_bin" serve --udp-listen "127.0.0.1:$2" --threads 1 --api "$1" >"$log" 2>&1 & ;;
    async-b1|handler-b1) taskset -c 0 "$echo_bin" serve --udp-listen "127.0.0.1:$2" --threads 1 --api "${1%-b1}" --udp-batch 1 >"$log" 2>&1 & ;;
    async-nogso|handler-nogso) taskset -c 0 "$echo_bin" serve --udp-listen "127.0.0.1:$2" --threads 1 --api "${1%-nogso}" --no-udp-gso >"$log" 2>&1 & ;;
  esac
  local pid=$!
  for _ in $(seq 200); do
    if grep -q "listening on" "$log"; then break; fi
    sleep 0.05
  done
  rm -f "$log"
  echo "$pid"
}

run_client() { # port workload
  if [ "$client" = c ]; then
    # shellcheck disable=SC2086
    taskset -c 1 "$udpload" --port "$1" $2 -d "$seconds" --warmup 1 --server-pid "$3" 2>/dev/null | tail -1 || true
  else
    local flags="${2/-f /-c }"
    # shellcheck disable=SC2086
    taskset -c 1 "$echo_bin" bench --udp --connect "127.0.0.1:$1" --threads 1 $flags -d "$seconds" --warmup 1 --server-pid "$3" 2>/dev/null | tail -1 || true
  fi
}

port=$port_base
for ((round = 1; round <= rounds; round++)); do
  for workload in "${workloads[@]}"; do
    for server in "${servers[@]}"; do
      port=$((port + 1))
      pid=$(start_server "$server" "$port")
      line=$(run_client "$port" "$workload" "$pid")
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      echo "server=$server round=$round $line"
    done
  done
done
