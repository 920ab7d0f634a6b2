#!/usr/bin/env bash
# Soak test of the echo example: builds it in release, starts `EchoExample serve` on
# 127.0.0.1 (port 0), and for DURATION seconds drives it with long-lived connections (one
# `bench` run for the whole time) and churning ones (back-to-back short `bench` runs, each
# opening and closing CHURN_CONNS connections), every echoed byte checked by bench. Samples the
# server's RSS and open fds every second into a CSV.
#
# Fails (exit 1) when, after the warm-up (the first 20% of the run, at least 5 s):
#   - RSS rises above rss_start * 1.10 + 4 MiB (rss_start = the first sample after warm-up), or
#   - the fd count once the load has gone differs from the fd count before it by more than 2,
#     or ever exceeds the baseline + every connection the clients can hold + 16,
#   - or any bench run reports an error, or the server does not exit cleanly on SIGTERM.
# Prints: SOAK duration=… rss_start_kib=… rss_end_kib=… rss_max_kib=… fds_start=… fds_end=… status=ok|fail
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

echo "== building EchoExample (release)"
swift build -c release --product EchoExample >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 2; }
BIN="$(swift build -c release --show-bin-path)/EchoExample"
ulimit -n "$(ulimit -Hn)"

SERVER_PID= LONG_PID= CHURN_PID=
cleanup() {
    for pid in $CHURN_PID $LONG_PID $SERVER_PID; do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in $CHURN_PID $LONG_PID $SERVER_PID; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN" serve --listen 127.0.0.1:0 --threads "$THREADS" --log-level notice >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$OUT/server.log" && break; sleep 0.1; done
PORT=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$OUT/server.log" | head -1 | cut -d: -f2)
[[ -n "$PORT" ]] || { echo "server did not start:"; cat "$OUT/server.log"; exit 1; }
echo "== server pid $SERVER_PID on 127.0.0.1:$PORT; $DURATION s, warm-up $WARMUP s, $LONG_CONNS long-lived + $CHURN_CONNS churning connections"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
FDS_IDLE_BEFORE=$(fds)

# Long-lived connections for the whole run.
"$BIN" bench --connect "127.0.0.1:$PORT" -c "$LONG_CONNS" -s 256 -p 1 -d "$DURATION" --warmup 0 --threads 1 >"$OUT/long.log" 2>&1 &
LONG_PID=$!

# Churn: short bench runs back to back until the end; each failure is counted.
END=$(( $(date +%s) + DURATION ))
(
    runs=0 failed=0
    while (( $(date +%s) < END )); do
        timeout 30 "$BIN" bench --connect "127.0.0.1:$PORT" -c "$CHURN_CONNS" -s 64 -p 1 -d 0.2 --warmup 0 --threads 1 \
            >"$OUT/churn-last.log" 2>&1 || { failed=$((failed + 1)); cp "$OUT/churn-last.log" "$OUT/churn-failed-$failed.log"; }
        runs=$((runs + 1))
        echo "$runs $failed" >"$OUT/churn.count"
    done
) &
CHURN_PID=$!

echo "t_s,rss_kib,fds,churn_runs" >"$CSV"
START=$(date +%s.%N)
for (( t = 1; t <= DURATION; t++ )); do
    sleep "$(awk -v s="$START" -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { d = s + t - now; print (d > 0 ? d : 0) }')"
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; tail -20 "$OUT/server.log"; exit 1; }
    echo "$t,$(rss),$(fds),$(cut -d' ' -f1 "$OUT/churn.count" 2>/dev/null || echo 0)" >>"$CSV"
done

# Let the clients finish (bounded), then measure the idle server again.
for _ in $(seq 300); do kill -0 "$LONG_PID" 2>/dev/null || kill -0 "$CHURN_PID" 2>/dev/null || break; sleep 0.1; done
LONG_STATUS=0; wait "$LONG_PID" || LONG_STATUS=$?
wait "$CHURN_PID" || true
LONG_PID= CHURN_PID=
read -r CHURN_RUNS CHURN_FAILED <"$OUT/churn.count" || { CHURN_RUNS=0; CHURN_FAILED=0; }
FDS_IDLE_AFTER=$FDS_IDLE_BEFORE
for _ in $(seq 50); do FDS_IDLE_AFTER=$(fds); (( FDS_IDLE_AFTER <= FDS_IDLE_BEFORE )) && break; sleep 0.1; done
RSS_IDLE_AFTER=$(rss)

kill -TERM "$SERVER_PID"
SERVER_STATUS=0
for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SERVER_PID" || SERVER_STATUS=$?
SERVER_PID=

read -r RSS_START RSS_END RSS_MAX FDS_MAX < <(awk -F, -v w="$WARMUP" 'NR > 1 && $1 > w {
    if (start == "") start = $2; last = $2; if ($2 > max) max = $2 }
    NR > 1 && $3 > fmax { fmax = $3 }
    END { print start, last, max, fmax }' "$CSV")
RSS_BOUND=$(( RSS_START * 110 / 100 + 4096 ))
FDS_BOUND=$(( FDS_IDLE_BEFORE + LONG_CONNS + CHURN_CONNS + 16 ))

STATUS=ok
problem() { echo "FAIL: $*"; STATUS=fail; }
(( RSS_MAX <= RSS_BOUND )) || problem "RSS rose to $RSS_MAX KiB after warm-up (bound $RSS_BOUND KiB)"
(( FDS_IDLE_AFTER - FDS_IDLE_BEFORE <= 2 && FDS_IDLE_BEFORE - FDS_IDLE_AFTER <= 2 )) || problem "idle fds $FDS_IDLE_BEFORE before the load, $FDS_IDLE_AFTER after"
(( FDS_MAX <= FDS_BOUND )) || problem "fds reached $FDS_MAX (bound $FDS_BOUND)"
grep -q "status=ok" "$OUT/long.log" && (( LONG_STATUS == 0 )) || problem "long-lived bench failed (exit $LONG_STATUS): $(tail -1 "$OUT/long.log")"
(( CHURN_FAILED == 0 )) || problem "$CHURN_FAILED of $CHURN_RUNS churn runs failed (see $OUT/churn-failed-*.log)"
(( CHURN_RUNS > 0 )) || problem "no churn run completed"
(( SERVER_STATUS == 0 )) || problem "server exited with $SERVER_STATUS on SIGTERM"

echo "long-lived: $(grep '^RESULT' "$OUT/long.log" || echo none)"
echo "churn: $CHURN_RUNS runs of $CHURN_CONNS connections, $CHURN_FAILED failed; idle after the load: rss_kib=$RSS_IDLE_AFTER fds=$FDS_IDLE_AFTER; samples in $CSV"
echo "SOAK duration=$DURATION warmup=$WARMUP rss_start_kib=$RSS_START rss_end_kib=$RSS_END rss_max_kib=$RSS_MAX rss_bound_kib=$RSS_BOUND fds_start=$FDS_IDLE_BEFORE fds_end=$FDS_IDLE_AFTER fds_max=$FDS_MAX status=$STATUS"
[[ "$STATUS" == ok ]]
