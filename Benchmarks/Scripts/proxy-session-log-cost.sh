#!/usr/bin/env bash
# CPU the session log line costs per connection: a client makes CONNS short connections
# through the proxy (release build, one reactor; one byte each way, then close), alternately
# at --log-level notice (no session line) and info (one line each), ROUNDS times. Prints each
# run's proxy CPU (user + system, /proc/<pid>/stat) per connection, and the medians.
# (callgrind cannot load the release binary's debug info here, so this counts CPU time, not
# instructions: compare the two within one run.)
#
#   swift build -c release --product ProxyExample
#   Benchmarks/Scripts/proxy-session-log-cost.sh [CONNS=5000] [ROUNDS=3]
set -euo pipefail
conns=${1:-5000}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PROXY_BIN:-$root/.build/release/ProxyExample}
tmpdir=$(mktemp -d)
# shellcheck source=proxy-bench-common.sh
source "$(dirname "$0")/proxy-bench-common.sh"
ticks=$(getconf CLK_TCK)

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

# run LABEL ARGS...: the proxy's CPU per connection (µs) over `conns` connections.
run() {
  local label=$1; shift
  "$bin" --listen 127.0.0.1:0 --upstream "127.0.0.1:$upstream" --threads 1 "$@" 2> "$tmpdir/run.log" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do grep -q "listening on" "$tmpdir/run.log" && break; sleep 0.05; done
  local port
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmpdir/run.log" | grep -o '[0-9]*$')
  read -r u0 s0 < <(times_of "$pid")
  python3 - "$port" "$conns" <<'PY'
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"x"); c.recv(1); c.close()
PY
  sleep 0.5
  read -r u1 s1 < <(times_of "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local lines
  lines=$(grep -c '^session ' "$tmpdir/run.log" || true)
  awk -v t="$(( (u1 - u0) + (s1 - s0) ))" -v hz="$ticks" -v n="$conns" -v l="$label" -v lines="$lines" \
    'BEGIN { printf "%-10s %7.1f us per connection (session lines: %d)\n", l, 1e6 * t / hz / n, lines }' | tee -a "$tmpdir/results"
}

echo "ProxyExample, $conns connections per run, one reactor, $rounds rounds"
for _ in $(seq "$rounds"); do
  run notice --log-level notice
  run info --log-level info
done
for level in notice info; do
  grep "^$level " "$tmpdir/results" | awk '{ print $2 }' | sort -n | awk -v l="$level" '{ v[NR] = $1 } END { printf "median %-8s %7.1f us per connection\n", l, v[int((NR + 1) / 2)] }'
done
