#!/bin/sh
# RRD update throughput: metric updates per CPU-second through osemon's
# rrdstore (librrd in-process), through rrdcached (collector + daemon CPU,
# flushed to disk), and `rrdtool update` exec'd once per value (munin's old
# way).  Prints each figure and the ratios measured in this same run.
# Usage: sh bench/rrd.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/rrd_build.sh"
METRICS=100 ROUNDS=100 EXEC_ROUNDS=5
[ "${1:-}" = --quick ] && ROUNDS=30 EXEC_ROUNDS=2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-bench-rrd.XXXXXX")
RC_PID=
cleanup() {
	[ -n "$RC_PID" ] && kill "$RC_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

val() { sed -n "s/^$1 //p" "$2"; }

"$BENCH_BIN" update "$TMP/direct" $METRICS $ROUNDS >"$TMP/direct.txt"

mkdir -p "$TMP/journal"
rrdcached -g -l "unix:$TMP/rrdc.sock" -p "$TMP/rrdc.pid" -j "$TMP/journal" \
    -w 3600 -f 7200 >"$TMP/rrdc.log" 2>&1 &
RC_PID=$!
n=0
while [ ! -S "$TMP/rrdc.sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
"$BENCH_BIN" update "$TMP/cached" $METRICS $ROUNDS "unix:$TMP/rrdc.sock" "$RC_PID" >"$TMP/cached.txt"

"$BENCH_BIN" exec "$TMP/exec" $METRICS $EXEC_ROUNDS >"$TMP/exec.txt"

awk -v du="$(val updates "$TMP/direct.txt")" -v dc="$(val cpu "$TMP/direct.txt")" \
    -v dw="$(val wall "$TMP/direct.txt")" \
    -v cu="$(val updates "$TMP/cached.txt")" -v cc="$(val cpu "$TMP/cached.txt")" \
    -v cd="$(val daemon_cpu "$TMP/cached.txt")" -v cw="$(val wall "$TMP/cached.txt")" \
    -v eu="$(val updates "$TMP/exec.txt")" -v ec="$(val cpu "$TMP/exec.txt")" \
    -v ew="$(val wall "$TMP/exec.txt")" 'BEGIN {
	if (dc <= 0) dc = 0.001; if (cc + cd <= 0) cc = 0.001; if (ec <= 0) ec = 0.001
	d = du / dc; c = cu / (cc + cd); e = eu / ec
	printf "%-34s %8s %9s %8s %14s\n", "path", "updates", "cpu s", "wall s", "updates/cpu-s"
	printf "%-34s %8d %9.3f %8.3f %14.0f\n", "osemon librrd (rrd_update_r)", du, dc, dw, d
	printf "%-34s %8d %9.3f %8.3f %14.0f\n", "osemon via rrdcached (+daemon cpu)", cu, cc + cd, cw, c
	printf "%-34s %8d %9.3f %8.3f %14.0f\n", "rrdtool update exec per value", eu, ec, ew, e
	printf "ratio direct / exec:     %.0fx\n", d / e
	printf "ratio rrdcached / exec:  %.0fx\n", c / e
	printf "RATIO rrd-direct osemon/rrdtool-update = %.4f (osemon %.1f us, peer %.1f us CPU per update)\n", e / d, 1e6 / d, 1e6 / e
	printf "RATIO rrd-rrdcached osemon/rrdtool-update = %.4f (osemon %.1f us, peer %.1f us CPU per update)\n", e / c, 1e6 / c, 1e6 / e
	printf "10,000 updates/minute direct use %.2f%% of one core (target < 25%%)\n", 10000 / d / 60 * 100
}'
