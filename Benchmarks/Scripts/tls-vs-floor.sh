#!/usr/bin/env bash
# TLS echo server against the C floor (Benchmarks/TLSFloor: OpenSSL 3 driven directly from C)
# and against SwiftNIO + swift-nio-ssl (the kit's nio-tls-echo), same run, interleaved, server
# pinned to CPU 0 and the kit's TLS load generator (tlsload) to CPU 1. Loopback only. TLS 1.3,
# TLS_AES_128_GCM_SHA256 (tlsload's defaults), ECDSA P-256 certificate (the kit's
# make-test-cert.sh). Prints one RESULT line per run, tagged with the server, the workload and
# the machine's other CPU use.
#
#   Benchmarks/Scripts/tls-vs-floor.sh [ROUNDS] [SECONDS] | tee tls.txt
#   Benchmarks/Scripts/summarize-tls.py tls.txt
#
# Needs the benchmark kit beside the repository (../shared/bench, or BENCH_KIT=DIR) and
# libssl-dev. The first run compiles BoringSSL for nio-tls-echo (several minutes).
# SERVERS overrides the servers: any of floor, nio, handler, async (default: all four).
# WORKLOADS overrides the list, name=tlsload options separated by '|', by default
#   full=--handshakes -c 16            full handshakes (connect, handshake, 1-byte echo, close)
#   resumed=--handshakes --resume -c 16   the same, each connection resuming its slot's session
#   bulk=-c 4 -s 16384 -p 4            4 connections, 4 messages of 16 KiB in flight on each
#   idle=--idle -c 2000                2,000 connections held idle after handshake and one echo:
#                                      the server's RSS growth per connection
# Every run starts a fresh server. `other_cpu_pct` is the CPU (percent of one CPU, /proc/stat)
# that everything but the server and tlsload used over the run: above ~20 the run was disturbed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
# shellcheck source=bench-common.sh
source "$here/Benchmarks/Scripts/bench-common.sh"
rounds="${1:-3}"
seconds="${2:-4}"
port_base=19500
IFS='|' read -r -a workloads <<< "${WORKLOADS:-full=--handshakes -c 16|resumed=--handshakes --resume -c 16|bulk=-c 4 -s 16384 -p 4|idle=--idle -c 2000}"
read -r -a servers <<< "${SERVERS:-floor nio handler async}"
ulimit -n "$(ulimit -Hn)"

tlsload="$(TLSLOAD=/tmp/eventloop-tlsload bash "$kit/build-tlsload.sh")"
floor="$(TLS_FLOOR=/tmp/eventloop-tls-floor-echo bash "$here/Benchmarks/TLSFloor/build.sh")"
certs=/tmp/eventloop-tls-certs
[ -s "$certs/server.key" ] || bash "$kit/make-test-cert.sh" "$certs" >/dev/null
nio_dir=/tmp/eventloop-nio-tls-echo
if [[ " ${servers[*]} " == *" nio "* && ! -x "$nio_dir/.build/release/nio-tls-echo" ]]; then
  rm -rf "$nio_dir" && mkdir -p "$nio_dir" && cp -r "$kit/nio-tls-echo/." "$nio_dir/"
  (cd "$nio_dir" && swift build -c release >/dev/null)
fi
(cd "$here" && swift build -c release --product EchoExample >/dev/null)
echo_bin="$here/.build/release/EchoExample"
cert="$certs/server.pem" key="$certs/server.key"

start_server() { # name port -> pid
  case "$1" in
    floor) taskset -c 0 "$floor" --port "$2" --cert "$cert" --key "$key" >/dev/null 2>&1 & ;;
    nio) taskset -c 0 "$nio_dir/.build/release/nio-tls-echo" --port "$2" --threads 1 --cert "$cert" --key "$key" >/dev/null 2>&1 & ;;
    async|handler)
      taskset -c 0 "$echo_bin" serve --listen "127.0.0.1:$2" --threads 1 --api "$1" \
        --tls-cert "$cert" --tls-key "$key" >/dev/null 2>&1 & ;;
  esac
  local pid=$!
  wait_port "$2" >&2 || true   # a server that never listens gives a failed RESULT line
  sleep 0.3
  echo "$pid"
}

busy_ticks() { # all CPUs' non-idle jiffies so far
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
tck=$(getconf CLK_TCK)
port=$port_base
for ((round = 1; round <= rounds; round++)); do
  for entry in "${workloads[@]}"; do
    name="${entry%%=*}" options="${entry#*=}"
    for server in "${servers[@]}"; do
      port=$((port + 1))
      pid=$(start_server "$server" "$port")
      read -r su ss <<< "$(times_of "$pid")"
      b0=$(busy_ticks) t0=$(date +%s.%N)
      # The subshell's `times` (second line) is tlsload's user and system time.
      # shellcheck disable=SC2086
      out=$( (taskset -c 1 "$tlsload" --port "$port" $options -d "$seconds" --warmup 1 --server-pid "$pid" 2>/dev/null || true; times) )
      b1=$(busy_ticks) t1=$(date +%s.%N)
      read -r eu es <<< "$(times_of "$pid")"
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      line=$(grep '^RESULT' <<< "$out" | tail -1 || true)
      client_s=$(tail -1 <<< "$out" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } print t }')
      other=$(awk -v b="$((b1 - b0))" -v s="$((eu + es - su - ss))" -v c="$client_s" -v t0="$t0" -v t1="$t1" -v h="$tck" \
        'BEGIN { o = ((b - s) / h - c) / (t1 - t0) * 100; if (o < 0) o = 0; printf "%.1f", o }')
      echo "server=$server workload=$name round=$round other_cpu_pct=$other ${line:-RESULT status=fail reason=no_output}"
    done
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
