#!/usr/bin/env bash
# The proxy across shaped links against a direct transfer over the same link, and the link
# emulator's own ceiling. Needs CAP_NET_ADMIN, socat, sha256sum (Scripts/netlab.sh does the rest).
#
#   Scripts/netlab-bench.sh [ROUNDS] [MEGABYTES]      (defaults: 5 rounds of 64 MiB)
#
# Builds ProxyExample with -c release, then per round, on one netlab with the contract's
# conditions (delay 20 ms ± 5 ms, loss 1 %, reordering 5 %, 50 Mbit/s each way), times MEGABYTES
# of random bytes from a client on the client side to a hashing sink on the server side, once
# direct and once through the proxy (beside the client, upstream across the link), in turns.
# A transfer ends when the sink's SHA-256 of what it received has come back (after the client's
# half-close), so it is timed end to end and checked. Prints one line per transfer, then the
# medians and their ratio. Last, the emulator's ceiling: 512 MiB direct across an unshaped link
# (no delay, loss or rate limit), with the emulator's packet counters.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-5}
MEGABYTES=${2:-64}
NAME="elnlbench$$"
WORK=$(mktemp -d)
trap 'Scripts/netlab.sh down "$NAME" >/dev/null 2>&1 || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

swift build -c release --product ProxyExample >/dev/null
PROXY="$(swift build -c release --show-bin-path)/ProxyExample"
head -c "${MEGABYTES}M" /dev/urandom >"$WORK/data"
EXPECTED=$(sha256sum "$WORK/data" | cut -d' ' -f1)
A="$NAME-a" B="$NAME-b"

# transfer LABEL HOST:PORT: sends the data, prints LABEL and the seconds; fails on a wrong digest.
transfer() {
  local label=$1 target=$2 start end reply
  ip netns exec "$B" socat -t 60 TCP-LISTEN:7000,bind=10.200.0.2,reuseaddr EXEC:sha256sum &
  local sink=$!
  sleep 0.3
  start=$(date +%s.%N)
  reply=$(ip netns exec "$A" socat -t 60 STDIO "TCP:$target" <"$WORK/data")
  end=$(date +%s.%N)
  wait "$sink" || true
  [[ $reply == "$EXPECTED"* ]] || { echo "$label: wrong digest $reply" >&2; exit 1; }
  echo "$label $(echo "$end - $start" | bc -l | xargs printf '%.3f')"
}

Scripts/netlab.sh cleanup elnlbench >/dev/null
Scripts/netlab.sh up "$NAME"
ip netns exec "$A" "$PROXY" --listen 127.0.0.1:7001 --upstream 10.200.0.2:7000 --threads 2 >"$WORK/proxy.log" 2>&1 &
sleep 1
for round in $(seq "$ROUNDS"); do
  transfer direct 10.200.0.2:7000 | tee -a "$WORK/times"
  transfer proxy 127.0.0.1:7001 | tee -a "$WORK/times"
done
median() { grep "^$1 " "$WORK/times" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
DIRECT=$(median direct) PROXIED=$(median proxy)
echo "median of $ROUNDS x $MEGABYTES MiB: direct $DIRECT s ($(echo "$MEGABYTES*8*1.048576/$DIRECT" | bc -l | xargs printf '%.1f') Mbit/s)," \
  "through the proxy $PROXIED s ($(echo "$MEGABYTES*8*1.048576/$PROXIED" | bc -l | xargs printf '%.1f') Mbit/s): ratio $(echo "$PROXIED/$DIRECT" | bc -l | xargs printf '%.3f')"
kill %1 2>/dev/null || true
Scripts/netlab.sh down "$NAME"

echo "== the emulator's ceiling: 512 MiB direct, no delay, loss or rate limit"
Scripts/netlab.sh up "$NAME" --delay-ms 0 --jitter-ms 0 --loss-pct 0 --reorder-pct 0 --rate-mbit 0
head -c 512M /dev/urandom >"$WORK/data"
EXPECTED=$(sha256sum "$WORK/data" | cut -d' ' -f1)
line=$(transfer unshaped 10.200.0.2:7000)
seconds=${line#unshaped }
echo "unshaped: 512 MiB in $seconds s = $(echo "512*8*1.048576/$seconds" | bc -l | xargs printf '%.0f') Mbit/s"
Scripts/netlab.sh down "$NAME" | sed -E 's/over ([0-9.]+) s/over \1 s (counted from the link coming up)/'
