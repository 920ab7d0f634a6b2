#!/usr/bin/env bash
# The timing wheel against SwiftNIO's scheduleTask heap, same run: runs the TimersVsNIO
# package-benchmark target (release build) ROUNDS times and prints, per workload, the median
# cost per deadline of each side, operations per second, the spread over the rounds, and the
# ratio EventLoop / SwiftNIO in operations per second (goal: >= 5x).
#
#   Benchmarks/Scripts/timers-vs-nio.sh [ROUNDS]     (default 3)
#
# FILTER=REGEX runs only the matching benchmarks. The raw package-benchmark tables go to
# stderr; the per-iteration figures are kept in $SUMMARY (default /tmp/timers-vs-nio.tsv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
summary="${SUMMARY:-/tmp/timers-vs-nio.tsv}"
: > "$summary"
filter=()
if [ -n "${FILTER:-}" ]; then filter=(--filter "$FILTER"); fi
cd "$here"
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds" >&2
  TIMERS_VS_NIO_SUMMARY="$summary" swift package --allow-writing-to-package-directory \
    benchmark --target TimersVsNIO "${filter[@]}" --no-progress >&2
done
python3 "$here/Scripts/summarize-timers.py" "$summary"
