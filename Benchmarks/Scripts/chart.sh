#!/usr/bin/env bash
# Bar chart of echo-vs-nio.sh results: msgs/s and server CPU per message of both API levels,
# as ratios against SwiftNIO (1.0 = SwiftNIO) per workload. Needs gnuplot (gnuplot-nox).
#
#   Benchmarks/Scripts/chart.sh echo.txt Docs/echo-vs-nio.png
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
results="${1:?usage: chart.sh RESULTS PNG}"
png="${2:?usage: chart.sh RESULTS PNG}"
command -v gnuplot >/dev/null || { echo "chart.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
data="$(mktemp)"
trap 'rm -f "$data"' EXIT
python3 "$here/summarize.py" "$results" --tsv 2>/dev/null > "$data"
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,480 font "sans,10"
set output "$png"
set title "EventLoop echo against SwiftNIO (1.0 = SwiftNIO; one core each; medians)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "ratio to SwiftNIO"
set yrange [0:*]
set grid ytics
set key outside right top
set xtics rotate by -15
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5
plot "$data" every ::1 using 2:xtic(1) title "msgs/s, async", \
     "" every ::1 using 3 title "msgs/s, handler", \
     "" every ::1 using 4 title "CPU/msg, async", \
     "" every ::1 using 5 title "CPU/msg, handler"
GNUPLOT
echo "$png"
