#!/bin/sh
# Graph rendering cost: every PNG of N metrics (4 periods each) through
# osemon's in-process rrd_graph_v, against `rrdtool graph` exec'd per PNG
# with the same definitions; then osemon's incremental cases (nothing
# changed; one new value per metric).  Ratios from this same run.
# Usage: sh bench/graph.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/rrd_build.sh"
METRICS=30
[ "${1:-}" = --quick ] && METRICS=8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-bench-graph.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

val() { sed -n "s/^$1 //p" "$2"; }

"$BENCH_BIN" graph "$TMP/in" $METRICS >"$TMP/in.txt"
"$BENCH_BIN" graph-exec "$TMP/ex" $METRICS >"$TMP/ex.txt"

awk -v n="$(val pngs "$TMP/in.txt")" -v ic="$(val cpu_all "$TMP/in.txt")" \
    -v iw="$(val wall_all "$TMP/in.txt")" -v uc="$(val cpu_unchanged "$TMP/in.txt")" \
    -v nc="$(val cpu_incremental "$TMP/in.txt")" -v nw="$(val wall_incremental "$TMP/in.txt")" \
    -v en="$(val pngs "$TMP/ex.txt")" -v ec="$(val cpu_all "$TMP/ex.txt")" \
    -v ew="$(val wall_all "$TMP/ex.txt")" -v m="$METRICS" 'BEGIN {
	if (ic <= 0) ic = 0.001; if (nc <= 0) nc = 0.001
	printf "%-44s %6s %8s %8s %12s\n", "case", "pngs", "cpu s", "wall s", "cpu ms/png"
	printf "%-44s %6d %8.3f %8.3f %12.1f\n", "osemon, all graphs (rrd_graph_v)", n, ic, iw, ic / n * 1000
	printf "%-44s %6d %8.3f %8.3f %12.1f\n", "rrdtool graph exec per PNG", en, ec, ew, ec / en * 1000
	printf "%-44s %6d %8.3f %8s %12s\n", "osemon, nothing changed (all skipped)", 0, uc, "-", "-"
	printf "%-44s %6d %8.3f %8.3f %12.1f\n", "osemon, one new value each (day graphs)", m, nc, nw, nc / m * 1000
	printf "ratio exec / osemon per PNG:            %.1fx\n", (ec / en) / (ic / n)
	printf "ratio all / incremental cycle (osemon): %.1fx\n", ic / nc
	printf "RATIO graph-png osemon/rrdtool-graph = %.2f (osemon %.1f ms, peer %.1f ms CPU per PNG)\n", (ic / n) / (ec / en), ic / n * 1000, ec / en * 1000
}'
