#!/usr/bin/env bash
# Echo server against SwiftNIO's, same run, interleaved, server pinned to CPU 0 and the load
# generator to CPU 1. Loopback only. Prints one RESULT line per run, tagged with the server.
#
#   Benchmarks/Scripts/echo-vs-nio.sh [ROUNDS] [SECONDS]
#
# Needs the benchmark kit beside the repository (../shared/bench, or BENCH_KIT=DIR).
# WORKLOADS overrides the list, e.g. WORKLOADS="-c 50 -s 64 -p 1|-c 1000 -s 512 -p 1".
# SERVERS overrides the servers: any of nio, async, handler (default: all three), and
# async-base, handler-base: the same levels of another build of EchoExample, BASELINE_BIN=PATH
# (for instance an earlier commit built in a `git worktree`), to measure a change in one run.
# PIN=0 runs everything unpinned with THREADS reactor/event-loop threads (default 2) on both
# cores, the load generator sharing them; SwiftNIO then runs with its default thread count.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
rounds="${1:-3}"
seconds="${2:-3}"
port_base=19300
IFS='|' read -r -a workloads <<< "${WORKLOADS:--c 50 -s 64 -p 1|-c 1000 -s 512 -p 1|-c 50 -s 64 -p 16|-c 1 -s 64 -p 1|-c 4 -s 16384 -p 4}"
read -r -a servers <<< "${SERVERS:-nio async handler}"
pin="${PIN:-1}"
threads="${THREADS:-2}"
if [ "$pin" = 1 ]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); nio_threads=(--threads 1); our_threads=1
else server_cpu=(); client_cpu=(); nio_threads=(); our_threads="$threads"; fi

built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
loadgen="${built%%$'\n'*}"
nio_dir=/tmp/eventloop-nio-echo
if [ ! -x "$nio_dir/.build/release/nio-echo" ]; then
  rm -rf "$nio_dir" && mkdir -p "$nio_dir" && cp -r "$kit/nio-echo/." "$nio_dir/"
  (cd "$nio_dir" && swift build -c release >/dev/null)
fi
(cd "$here" && swift build -c release --product EchoExample >/dev/null)
echo_bin="$here/.build/release/EchoExample"

start_server() { # name port -> pid
  case "$1" in
    nio) "${server_cpu[@]}" "$nio_dir/.build/release/nio-echo" --port "$2" "${nio_threads[@]}" >/dev/null 2>&1 & ;;
    async|handler) "${server_cpu[@]}" "$echo_bin" --listen "127.0.0.1:$2" --threads "$our_threads" --api "$1" >/dev/null 2>&1 & ;;
    async-base|handler-base)
      "${server_cpu[@]}" "${BASELINE_BIN:?BASELINE_BIN names the baseline EchoExample}" --listen "127.0.0.1:$2" \
        --threads "$our_threads" --api "${1%-base}" >/dev/null 2>&1 & ;;
  esac
  local pid=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "$pid"
}

port=$port_base
for ((round = 1; round <= rounds; round++)); do
  for workload in "${workloads[@]}"; do
    for server in "${servers[@]}"; do
      port=$((port + 1))
      pid=$(start_server "$server" "$port")
      # shellcheck disable=SC2086
      line=$("${client_cpu[@]}" "$loadgen" --port "$port" $workload -d "$seconds" --warmup 1 --server-pid "$pid" 2>/dev/null | tail -1 || true)
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      echo "server=$server round=$round $line"
    done
  done
done
