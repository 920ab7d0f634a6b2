#!/usr/bin/env bash
# Soak test of both examples: builds them in release, starts `EchoExample serve` on 127.0.0.1
# (port 0) and `ProxyExample` in front of it, and for DURATION seconds drives both, directly and
# through the proxy, with long-lived connections (one `bench` run each for the whole time) and
# churning ones (back-to-back short `bench` runs, alternately direct and through the proxy,
# each opening and closing CHURN_CONNS connections), every echoed byte checked by bench.
# Samples both processes' RSS and open fds every second into a CSV.
#
# Fails (exit 1) when, for the echo server or the proxy, after the warm-up (the first 20% of the
# run, at least 5 s):
#   - RSS rises above rss_start * 1.10 + 4 MiB (rss_start = the first sample after warm-up), or
#   - the fd count once the load has gone differs from the fd count before it by more than 2,
#     or ever exceeds the baseline + every connection the clients can hold (twice for the
#     proxy: client and upstream side) + 16,
#   - or any bench run reports an error, or either process does not exit cleanly on SIGTERM.
# Prints one SOAK line per process:
#   SOAK process=echo|proxy duration=… rss_start_kib=… rss_end_kib=… rss_max_kib=… fds_start=… fds_end=… status=ok|fail
#
# Usage: Scripts/soak.sh [DURATION_SECONDS]   (default 60; needs a Linux /proc)
# Environment: SOAK_DIR (output folder, default .build/soak), LONG_CONNS (default 200),
#              CHURN_CONNS (default 50), THREADS (server reactors, default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=${1:-60}
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 ]] || { echo "usage: $0 DURATION_SECONDS (at least 10)" >&2; exit 2; }
OUT=${SOAK_DIR:-.build/soak}
LONG_CONNS=${LONG_CONNS:-200}
CHURN_CONNS=${CHURN_CONNS:-50}
THREADS=${THREADS:-2}
WARMUP=$(( DURATION / 5 > 5 ? DURATION / 5 : 5 ))
mkdir -p "$OUT"
CSV="$OUT/soak.csv"

echo "== building EchoExample and ProxyExample (release)"
{ swift build -c release --product EchoExample && swift build -c release --product ProxyExample; } >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 2; }
BIN="$(swift build -c release --show-bin-path)/EchoExample"
PROXY_BIN="$(swift build -c release --show-bin-path)/ProxyExample"
ulimit -n "$(ulimit -Hn)"

SERVER_PID= PROXY_PID= LONG_PID= PROXY_LONG_PID= CHURN_PID=
cleanup() {
    for pid in $CHURN_PID $LONG_PID $PROXY_LONG_PID $PROXY_PID $SERVER_PID; do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in $CHURN_PID $LONG_PID $PROXY_LONG_PID $PROXY_PID $SERVER_PID; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN" serve --listen 127.0.0.1:0 --threads "$THREADS" --log-level notice >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$OUT/server.log" && break; sleep 0.1; done
PORT=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$OUT/server.log" | head -1 | cut -d: -f2)
[[ -n "$PORT" ]] || { echo "server did not start:"; cat "$OUT/server.log"; exit 1; }
"$PROXY_BIN" --listen 127.0.0.1:0 --upstream "127.0.0.1:$PORT" --threads "$THREADS" --log-level notice >"$OUT/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$OUT/proxy.log" && break; sleep 0.1; done
PROXY_PORT=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$OUT/proxy.log" | head -1 | cut -d: -f2)
[[ -n "$PROXY_PORT" ]] || { echo "proxy did not start:"; cat "$OUT/proxy.log"; exit 1; }
echo "== echo pid $SERVER_PID on 127.0.0.1:$PORT, proxy pid $PROXY_PID on 127.0.0.1:$PROXY_PORT; $DURATION s, warm-up $WARMUP s, $LONG_CONNS long-lived + $CHURN_CONNS churning connections each"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/${1:-$SERVER_PID}/status"; }
fds() { ls "/proc/${1:-$SERVER_PID}/fd" | wc -l; }
FDS_IDLE_BEFORE=$(fds)
PROXY_FDS_IDLE_BEFORE=$(fds "$PROXY_PID")

# Long-lived connections for the whole run, direct and through the proxy.
"$BIN" bench --connect "127.0.0.1:$PORT" -c "$LONG_CONNS" -s 256 -p 1 -d "$DURATION" --warmup 0 --threads 1 >"$OUT/long.log" 2>&1 &
LONG_PID=$!
"$BIN" bench --connect "127.0.0.1:$PROXY_PORT" -c "$LONG_CONNS" -s 256 -p 1 -d "$DURATION" --warmup 0 --threads 1 >"$OUT/proxy-long.log" 2>&1 &
PROXY_LONG_PID=$!

# Churn: short bench runs back to back until the end; each failure is counted.
END=$(( $(date +%s) + DURATION ))
(
    runs=0 failed=0
    while (( $(date +%s) < END )); do
        target=$(( runs % 2 == 0 ? PORT : PROXY_PORT ))
        timeout 30 "$BIN" bench --connect "127.0.0.1:$target" -c "$CHURN_CONNS" -s 64 -p 1 -d 0.2 --warmup 0 --threads 1 \
            >"$OUT/churn-last.log" 2>&1 || { failed=$((failed + 1)); cp "$OUT/churn-last.log" "$OUT/churn-failed-$failed.log"; }
        runs=$((runs + 1))
        echo "$runs $failed" >"$OUT/churn.count"
    done
) &
CHURN_PID=$!

echo "t_s,rss_kib,fds,churn_runs,proxy_rss_kib,proxy_fds" >"$CSV"
START=$(date +%s.%N)
for (( t = 1; t <= DURATION; t++ )); do
    sleep "$(awk -v s="$START" -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { d = s + t - now; print (d > 0 ? d : 0) }')"
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; tail -20 "$OUT/server.log"; exit 1; }
    kill -0 "$PROXY_PID" 2>/dev/null || { echo "proxy died:"; tail -20 "$OUT/proxy.log"; exit 1; }
    echo "$t,$(rss),$(fds),$(cut -d' ' -f1 "$OUT/churn.count" 2>/dev/null || echo 0),$(rss "$PROXY_PID"),$(fds "$PROXY_PID")" >>"$CSV"
done

# Let the clients finish (bounded), then measure the idle server again.
for _ in $(seq 300); do kill -0 "$LONG_PID" 2>/dev/null || kill -0 "$PROXY_LONG_PID" 2>/dev/null || kill -0 "$CHURN_PID" 2>/dev/null || break; sleep 0.1; done
LONG_STATUS=0; wait "$LONG_PID" || LONG_STATUS=$?
PROXY_LONG_STATUS=0; wait "$PROXY_LONG_PID" || PROXY_LONG_STATUS=$?
wait "$CHURN_PID" || true
LONG_PID= PROXY_LONG_PID= CHURN_PID=
read -r CHURN_RUNS CHURN_FAILED <"$OUT/churn.count" || { CHURN_RUNS=0; CHURN_FAILED=0; }
FDS_IDLE_AFTER=$FDS_IDLE_BEFORE
for _ in $(seq 50); do FDS_IDLE_AFTER=$(fds); (( FDS_IDLE_AFTER <= FDS_IDLE_BEFORE )) && break; sleep 0.1; done
PROXY_FDS_IDLE_AFTER=$PROXY_FDS_IDLE_BEFORE
for _ in $(seq 50); do PROXY_FDS_IDLE_AFTER=$(fds "$PROXY_PID"); (( PROXY_FDS_IDLE_AFTER <= PROXY_FDS_IDLE_BEFORE )) && break; sleep 0.1; done
RSS_IDLE_AFTER=$(rss)
PROXY_RSS_IDLE_AFTER=$(rss "$PROXY_PID")

stop() { # pid -> STOP_STATUS: its exit status after SIGTERM
    kill -TERM "$1"
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    STOP_STATUS=0
    wait "$1" || STOP_STATUS=$?
}
stop "$PROXY_PID"; PROXY_STATUS=$STOP_STATUS
PROXY_PID=
stop "$SERVER_PID"; SERVER_STATUS=$STOP_STATUS
SERVER_PID=

STATUS=ok
OVERALL=ok
problem() { echo "FAIL: $*"; STATUS=fail; OVERALL=fail; }

# check NAME RSS_COLUMN FDS_COLUMN FDS_BEFORE FDS_AFTER FDS_PER_CONN EXIT LONG_LOG LONG_STATUS
check() {
    STATUS=ok
    local name=$1 rss_col=$2 fds_col=$3 before=$4 after=$5 per_conn=$6 exit_status=$7 long_log=$8 long_status=$9
    read -r RSS_START RSS_END RSS_MAX FDS_MAX < <(awk -F, -v w="$WARMUP" -v r="$rss_col" -v f="$fds_col" 'NR > 1 && $1 > w {
        if (start == "") start = $r; last = $r; if ($r > max) max = $r }
        NR > 1 && $f > fmax { fmax = $f }
        END { print start, last, max, fmax }' "$CSV")
    local rss_bound=$(( RSS_START * 110 / 100 + 4096 ))
    local fds_bound=$(( before + per_conn * (LONG_CONNS * 2 + CHURN_CONNS) + 16 ))
    (( RSS_MAX <= rss_bound )) || problem "$name: RSS rose to $RSS_MAX KiB after warm-up (bound $rss_bound KiB)"
    (( after - before <= 2 && before - after <= 2 )) || problem "$name: idle fds $before before the load, $after after"
    (( FDS_MAX <= fds_bound )) || problem "$name: fds reached $FDS_MAX (bound $fds_bound)"
    grep -q "status=ok" "$long_log" && (( long_status == 0 )) || problem "$name: long-lived bench failed (exit $long_status): $(tail -1 "$long_log")"
    (( exit_status == 0 )) || problem "$name exited with $exit_status on SIGTERM"
    echo "SOAK process=$name duration=$DURATION warmup=$WARMUP rss_start_kib=$RSS_START rss_end_kib=$RSS_END rss_max_kib=$RSS_MAX rss_bound_kib=$rss_bound fds_start=$before fds_end=$after fds_max=$FDS_MAX status=$STATUS"
}

echo "long-lived direct: $(grep '^RESULT' "$OUT/long.log" || echo none)"
echo "long-lived through the proxy: $(grep '^RESULT' "$OUT/proxy-long.log" || echo none)"
echo "churn: $CHURN_RUNS runs of $CHURN_CONNS connections (half through the proxy), $CHURN_FAILED failed; idle after the load: echo rss_kib=$RSS_IDLE_AFTER fds=$FDS_IDLE_AFTER, proxy rss_kib=$PROXY_RSS_IDLE_AFTER fds=$PROXY_FDS_IDLE_AFTER; samples in $CSV"
(( CHURN_FAILED == 0 )) || { echo "FAIL: $CHURN_FAILED of $CHURN_RUNS churn runs failed (see $OUT/churn-failed-*.log)"; OVERALL=fail; }
(( CHURN_RUNS > 0 )) || { echo "FAIL: no churn run completed"; OVERALL=fail; }
check echo 2 3 "$FDS_IDLE_BEFORE" "$FDS_IDLE_AFTER" 1 "$SERVER_STATUS" "$OUT/long.log" "$LONG_STATUS"
check proxy 5 6 "$PROXY_FDS_IDLE_BEFORE" "$PROXY_FDS_IDLE_AFTER" 2 "$PROXY_STATUS" "$OUT/proxy-long.log" "$PROXY_LONG_STATUS"
[[ "$OVERALL" == ok ]]
