#!/usr/bin/env bash
# Chart of a soak run: RSS (MiB, left axis) and open fds (right axis) per second of the echo
# server and, when the CSV has its columns, of the proxy, from the CSV Scripts/soak.sh writes
# (t_s,rss_kib,fds,churn_runs[,proxy_rss_kib,proxy_fds]), as a small PNG.
# Usage: Scripts/soak-chart.sh CSV PNG [TITLE]
# Needs gnuplot (Debian/Ubuntu: apt-get install -y gnuplot-nox); installs nothing itself.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 CSV PNG [TITLE]" >&2; exit 2; }
CSV=$1 PNG=$2 TITLE=${3:-Soak: RSS and open fds}
[[ -r "$CSV" ]] || { echo "cannot read $CSV" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "gnuplot is missing: install it (apt-get install -y gnuplot-nox)" >&2; exit 2; }
PROXY_PLOT=""
if head -1 "$CSV" | grep -q proxy_rss_kib; then
    PROXY_PLOT=", \"$CSV\" using 1:(\$5/1024.0) skip 1 with lines lw 2 title \"proxy RSS (MiB)\", \"$CSV\" using 1:6 skip 1 axes x1y2 with lines lw 1 dt 2 title \"proxy open fds\""
fi
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
plot "$CSV" using 1:(\$2/1024.0) skip 1 with lines lw 2 title "echo RSS (MiB)", \
     "$CSV" using 1:3 skip 1 axes x1y2 with lines lw 1 title "echo open fds"$PROXY_PLOT
GNUPLOT
echo "wrote $PNG"
