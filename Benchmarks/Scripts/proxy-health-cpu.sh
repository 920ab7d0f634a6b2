#!/usr/bin/env bash
# CPU the active health checks cost: the proxy (release build) in front of 64 tiny loopback
# upstreams, idle (no client) for SECONDS, once without health checks and once with
# `--health-interval 1 --health-send 'PING\r\n' --health-expect '+PONG'`, and once with connect-only
# checks (`--health-interval 1`). Prints each run's
# user + system CPU from /proc/<pid>/stat as a share of one core.
#
#   swift build -c release --product ProxyExample
#   Benchmarks/Scripts/proxy-health-cpu.sh [SECONDS=30] [UPSTREAMS=64]
set -euo pipefail
seconds=${1:-30}
count=${2:-64}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PROXY_BIN:-$root/.build/release/ProxyExample}
tmpdir=$(mktemp -d)
# shellcheck source=proxy-bench-common.sh
source "$(dirname "$0")/proxy-bench-common.sh"
ticks=$(getconf CLK_TCK)

# COUNT listeners on 127.0.0.1 (ports printed one a line), answering +PONG to PING, in one
# process (its CPU is not counted).
python3 -u - "$count" > "$tmpdir/ports" <<'PY' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, "listener"); print(s.getsockname()[1])
while True:
    for key, _ in sel.select():
        if key.data == "listener":
            conn, _ = key.fileobj.accept(); conn.setblocking(False)
            sel.register(conn, selectors.EVENT_READ, "conn")
        else:
            try:
                data = key.fileobj.recv(64)
                if data.startswith(b"PING"): key.fileobj.send(b"+PONG\r\n")
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj); key.fileobj.close()
PY
pids+=($!)
for _ in $(seq 100); do [ "$(wc -l < "$tmpdir/ports")" -ge "$count" ] && break; sleep 0.1; done
upstreams=()
while read -r port; do upstreams+=(--upstream "127.0.0.1:$port"); done < "$tmpdir/ports"

# run LABEL ARGS...: the proxy idle for `seconds` after a 3 s warm-up; prints its CPU share.
run() {
  local label=$1; shift
  "$bin" --listen 127.0.0.1:0 "${upstreams[@]}" --threads 2 "$@" 2> "$tmpdir/$label.log" &
  local pid=$!
  pids+=("$pid")
  sleep 3
  read -r u0 s0 < <(times_of "$pid")
  sleep "$seconds"
  read -r u1 s1 < <(times_of "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local used=$(( (u1 - u0) + (s1 - s0) ))
  awk -v t="$used" -v hz="$ticks" -v s="$seconds" -v l="$label" \
    'BEGIN { printf "%-28s cpu %.2f s in %d s = %.2f %% of one core\n", l, t / hz, s, 100 * t / hz / s }'
  echo "  upstreams marked down: $(grep -c "is down" "$tmpdir/$label.log" || true)"
}

echo "ProxyExample, $count upstreams, idle for $seconds s, $(nproc) cores"
run "no health checks"
run "health checks every 1 s" --health-interval 1 --health-send 'PING\r\n' --health-expect '+PONG'
run "connect-only checks every 1 s" --health-interval 1
