#!/usr/bin/env bash
# Instructions the session log line costs per connection: the proxy (release build) runs under
# callgrind while a client makes CONNS short connections through it (one byte each way, then
# close), once at --log-level notice (no session lines) and once at info (one line each), plus
# a run with no connection for the start-up and shutdown cost. Prints each run's instruction
# count and the per-connection figures.
#
#   swift build -c release --product ProxyExample
#   Benchmarks/Scripts/proxy-session-log-cost.sh [CONNS=2000]
set -euo pipefail
conns=${1:-2000}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PROXY_BIN:-$root/.build/release/ProxyExample}
tmpdir=$(mktemp -d)
# shellcheck source=proxy-bench-common.sh
source "$(dirname "$0")/proxy-bench-common.sh"

# An echo upstream in Python (its cost is not counted).
python3 -u - > "$tmpdir/upstream-port" <<'PY' &
import selectors, socket
sel = selectors.DefaultSelector()
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(512); s.setblocking(False)
sel.register(s, selectors.EVENT_READ, None); print(s.getsockname()[1])
while True:
    for key, _ in sel.select():
        if key.data is None:
            conn, _ = s.accept(); conn.setblocking(False); sel.register(conn, selectors.EVENT_READ, 1)
        else:
            try: data = key.fileobj.recv(4096)
            except OSError: data = b""
            if data: key.fileobj.send(data)
            else: sel.unregister(key.fileobj); key.fileobj.close()
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$tmpdir/upstream-port" ] && break; sleep 0.1; done
upstream=$(cat "$tmpdir/upstream-port")

# run LABEL COUNT ARGS...: total instructions (callgrind Ir) of a proxy run serving COUNT connections.
run() {
  local label=$1 count=$2; shift 2
  valgrind --tool=callgrind --callgrind-out-file="$tmpdir/$label.out" \
    "$bin" --listen 127.0.0.1:0 --upstream "127.0.0.1:$upstream" --threads 1 "$@" 2> "$tmpdir/$label.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 600); do grep -q "listening on" "$tmpdir/$label.log" && break; sleep 0.1; done
  local port
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmpdir/$label.log" | grep -o '[0-9]*$')
  python3 - "$port" "$count" <<'PY'
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"x"); c.recv(1); c.close()
PY
  sleep 1
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  grep -h '^summary:\|^totals:' "$tmpdir/$label.out" | awk '{ print $2 }' | head -1 > "$tmpdir/$label.ir"
  printf '%-34s %15s Ir  (session lines: %s)\n' "$label" "$(cat "$tmpdir/$label.ir")" "$(grep -c '^session ' "$tmpdir/$label.log" || true)"
}

echo "ProxyExample under callgrind, $conns connections, one reactor"
run "idle (no connection)" 0 --log-level notice
run "notice (no session line)" "$conns" --log-level notice
run "info (a session line each)" "$conns" --log-level info
awk -v n="$conns" -v idle="$(cat "$tmpdir/idle (no connection).ir")" \
    -v off="$(cat "$tmpdir/notice (no session line).ir")" -v on="$(cat "$tmpdir/info (a session line each).ir")" 'BEGIN {
  printf "per connection without the line: %.0f instructions\n", (off - idle) / n
  printf "the session line adds:           %.0f instructions per connection (%.1f %%)\n", (on - off) / n, 100 * (on - off) / (off - idle)
}'
