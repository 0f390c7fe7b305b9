#!/bin/sh
# Plot the osemon/peer ratios of a bench/run.sh result file as a PNG
# (gnuplot, log scale; left of the line at 1 osemon uses less).
# Usage: sh bench/plot.sh RESULTS.txt OUT.png
set -eu
[ $# -eq 2 ] || { echo "usage: sh bench/plot.sh RESULTS.txt OUT.png" >&2; exit 2; }
command -v gnuplot >/dev/null 2>&1 || { echo "plot: gnuplot missing (sh bench/setup.sh)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-plot.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# the summary's rows: bench name osemon/PEER value ...
sed -n '/^== summary/,/^== comparisons/p' "$1" |
    awk '$3 ~ /^osemon\// && $4 + 0 > 0 { sub(/^osemon\//, "", $3); printf "\"%s (%s)\" %s\n", $2, $3, $4 }' \
    >"$TMP/data"
n=$(grep -c . "$TMP/data" || true)
[ "$n" -gt 0 ] || { echo "plot: no ratios in $1" >&2; exit 1; }
date=$(sed -n '1s/.*: //p' "$1")
gnuplot <<EOF
set terminal pngcairo noenhanced size 1000,$((120 + n * 22)) font "sans,10"
set output "$2"
set title "osemon / peer, measured side by side ($date); < 1: osemon uses less"
set logscale x 10
set xrange [0.001:100]
set format x "%g"
set grid xtics
set yrange [$n:-1]
set ytics nomirror
set key off
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "#888888"
plot "$TMP/data" using 2:0:ytic(1) with points pt 7 ps 1.3 lc rgb "#1f6fb2", \
     "$TMP/data" using 2:0:(sprintf("%.3g", \$2)) with labels offset 3,0 font "sans,8"
EOF
echo "plot: $2 ($n ratios)"
