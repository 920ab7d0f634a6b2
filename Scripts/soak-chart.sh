#!/usr/bin/env bash
# Chart of a soak run: the server's RSS (MiB, left axis) and open fds (right axis) per second,
# from the CSV Scripts/soak.sh writes (t_s,rss_kib,fds,churn_runs), as a small PNG.
# Usage: Scripts/soak-chart.sh CSV PNG [TITLE]
# Needs gnuplot (Debian/Ubuntu: apt-get install -y gnuplot-nox); installs nothing itself.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 CSV PNG [TITLE]" >&2; exit 2; }
CSV=$1 PNG=$2 TITLE=${3:-EchoExample soak: server RSS and open fds}
[[ -r "$CSV" ]] || { echo "cannot read $CSV" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is missing: install it (apt-get install -y gnuplot-nox)" >&2; exit 2; }
TERMINAL="pngcairo size 720,360 font ',9'"
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo || TERMINAL="png size 720,360"
gnuplot <<GNUPLOT
set terminal $TERMINAL
set output "$PNG"
set datafile separator ","
set title "$TITLE"
set xlabel "time (s)"
set ylabel "RSS (MiB)"
set y2label "open fds"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key bottom right opaque
set grid
plot "$CSV" using 1:(\$2/1024.0) skip 1 with lines lw 2 title "RSS (MiB)", \
     "$CSV" using 1:3 skip 1 axes x1y2 with lines lw 1 title "open fds"
GNUPLOT
echo "wrote $PNG"
