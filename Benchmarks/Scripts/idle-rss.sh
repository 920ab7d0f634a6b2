#!/usr/bin/env bash
# Server memory per idle connection: start a server, open N idle connections with the kit's
# load generator (--idle: one echo checked per connection, then held), and report the growth
# of the server's resident set divided by N. Loopback only; every phase is bounded.
#
#   Benchmarks/Scripts/idle-rss.sh [CONNS] [SERVERS]     # SERVERS: any of nio async handler
#
# async-base and handler-base in SERVERS run the same levels of another build of EchoExample,
# BASELINE_BIN=PATH (for instance an earlier commit), to measure a change in one run.
#
# Prints one line per server: `IDLE server=… conns=… open=… rss_before_kib=… rss_after_kib=…
# bytes_per_conn=… server_fds=…`. Both processes raise their soft fd limit to the hard limit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
conns="${1:-10000}"
read -r -a servers <<< "${2:-nio async handler}"
ulimit -n "$(ulimit -Hn)"

built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
loadgen="${built%%$'\n'*}"
nio_dir=/tmp/eventloop-nio-echo
if [[ " ${servers[*]} " == *" nio "* && ! -x "$nio_dir/.build/release/nio-echo" ]]; then
  rm -rf "$nio_dir" && mkdir -p "$nio_dir" && cp -r "$kit/nio-echo/." "$nio_dir/"
  (cd "$nio_dir" && swift build -c release >/dev/null)
fi
(cd "$here" && swift build -c release --product EchoExample >/dev/null)

port=19400
for server in "${servers[@]}"; do
  port=$((port + 1))
  case "$server" in
    nio) taskset -c 0 "$nio_dir/.build/release/nio-echo" --port "$port" --threads 1 >/dev/null 2>&1 & ;;
    async-base|handler-base)
      taskset -c 0 "${BASELINE_BIN:?BASELINE_BIN names the baseline EchoExample}" --listen "127.0.0.1:$port" --threads 1 \
        --api "${server%-base}" >/dev/null 2>&1 & ;;
    *) taskset -c 0 "$here/.build/release/EchoExample" --listen "127.0.0.1:$port" --threads 1 --api "$server" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  sleep 0.5
  before=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  log=$(mktemp)
  taskset -c 1 "$loadgen" --port "$port" --idle -c "$conns" -d 3 --connect-timeout 60 >"$log" 2>&1 &
  client=$!
  for _ in $(seq 1200); do grep -q IDLE_READY "$log" && break; sleep 0.1; done
  sleep 1
  after=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  wait "$client" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  open=$(grep -o 'IDLE_READY open=[0-9]*' "$log" | head -1 | cut -d= -f2)
  echo "IDLE server=$server conns=$conns open=${open:-0} rss_before_kib=$before rss_after_kib=$after bytes_per_conn=$(( (after - before) * 1024 / conns )) server_fds=$fds"
  rm -f "$log"
done
