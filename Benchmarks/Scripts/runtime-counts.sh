#!/usr/bin/env bash
# Counts calls into the Swift concurrency runtime and the C library per echoed message (echo)
# or per proxied connection (proxy), with uprobes (perf probe). Counts do not depend on the
# machine's speed or load, so two builds can be compared on a busy machine.
#
#   Benchmarks/Scripts/runtime-counts.sh echo  [ECHO_BINARY]    # async echo, -c 50 -s 64 -p 1, 3 s
#   Benchmarks/Scripts/runtime-counts.sh echo-conns [ECHO_BINARY]   # async echo, 2,000 connections:
#                                                          # connect, one 64-byte echo, close
#   Benchmarks/Scripts/runtime-counts.sh proxy [PROXY_BINARY]   # redis-benchmark -k 0 through the proxy
#
# Needs root, perf (Debian's linux-perf), and for `proxy` redis-server and redis-benchmark.
# The binaries default to this checkout's release builds. Loopback only; everything stops by itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${BENCH_KIT:-$here/../shared/bench}"
mode="${1:?echo or proxy}"
concurrency=/opt/swift/usr/lib/swift/linux/libswift_Concurrency.so
[ -f "$concurrency" ] || concurrency="$(dirname "$(dirname "$(command -v swift)")")/lib/swift/linux/libswift_Concurrency.so"
libc="$(ldconfig -p | awk '/libc.so.6 .*x86-64/ && !found { print $NF; found = 1 }')"

perf probe -q -d 'probe_*:*' 2>/dev/null || true
cleanup() { perf probe -q -d 'probe_*:*' 2>/dev/null || true; }
trap cleanup EXIT
add() { perf probe -q -x "$1" -a "$2" >/dev/null; }
status_lock=$(nm "$concurrency" | awk '/ _ZL20withStatusRecordLockPN5swift9AsyncTaskENS_16ActiveTaskStatus/ && !found { print $1; found = 1 }')
add "$concurrency" "status_record_lock=0x$status_lock"
add "$concurrency" swift_task_switch
add "$concurrency" swift_task_alloc
add "$concurrency" swift_task_addCancellationHandler
add "$libc" malloc
add "$libc" pthread_mutex_lock
events="$(perf probe -l 2>/dev/null | awk '{ print $1 }' | paste -sd, -)"

# shellcheck source=bench-common.sh
source "$here/Benchmarks/Scripts/bench-common.sh"

case "$mode" in
  echo)
    binary="${2:-$here/.build/release/EchoExample}"
    built="$(LOADGEN=/tmp/eventloop-loadgen UDPLOAD=/tmp/eventloop-udpload bash "$kit/build-loadgen.sh")"
    loadgen="${built%%$'\n'*}"
    port=19391
    taskset -c 0 "$binary" --listen "127.0.0.1:$port" --threads 1 --api async >/dev/null 2>&1 &
    server=$!
    wait_port "$port"
    # perf counts the server for exactly as long as the load generator runs.
    result="$(perf stat -e "$events" -p "$server" -x, -o /tmp/runtime-counts.out -- \
      taskset -c 1 "$loadgen" --port "$port" -c 50 -s 64 -p 1 -d 3 --warmup 0 2>/dev/null || true)"
    units=$(printf '%s\n' "$result" | tr ' ' '\n' | awk -F= '$1 == "msgs" { n = $2 } END { print n }')
    unit="message"
    ;;
  echo-conns)
    binary="${2:-$here/.build/release/EchoExample}"
    port=19394
    "$binary" --listen "127.0.0.1:$port" --threads 1 --api async >/dev/null 2>&1 &
    server=$!
    wait_port "$port"
    # Connections one after another: connect, one 64-byte echo, close.
    churn='
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(count):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.sendall(b"x" * 64)
        received = 0
        while received < 64:
            chunk = client.recv(64)
            if not chunk:
                sys.exit("the server closed a connection early")
            received += len(chunk)
'
    python3 -c "$churn" "$port" 200   # warm-up
    units=2000
    perf stat -e "$events" -p "$server" -x, -o /tmp/runtime-counts.out -- python3 -c "$churn" "$port" "$units"
    unit="connection"
    ;;
  proxy)
    binary="${2:-$here/.build/release/ProxyExample}"
    redis_port=19392 port=19393
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null 2>&1 &
    redis=$!
    wait_port "$redis_port"
    "$binary" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$redis_port" --threads 2 --splice off --log-level warning >/dev/null 2>&1 &
    server=$!
    wait_port "$port"
    redis-benchmark -h 127.0.0.1 -p "$port" -t get -n 2000 -c 50 -q -k 0 >/dev/null 2>&1   # warm-up
    units=10000
    perf stat -e "$events" -p "$server" -x, -o /tmp/runtime-counts.out -- \
      redis-benchmark -h 127.0.0.1 -p "$port" -t get -n "$units" -c 50 -q -k 0 >/dev/null 2>&1
    unit="connection"
    ;;
  *) echo "usage: $0 echo|echo-conns|proxy [BINARY]" >&2; exit 64 ;;
esac
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
[ "$mode" = proxy ] && { kill "$redis" 2>/dev/null || true; wait "$redis" 2>/dev/null || true; }
echo "binary=$binary ${unit}s=$units"
grep -v '^#' /tmp/runtime-counts.out | awk -F, -v n="$units" -v unit="$unit" \
  'NF > 2 { name = $3; sub(/^probe_[^:]*:/, "", name); printf "%-34s %10d  %6.2f per %s\n", name, $1, $1 / n, unit }'
