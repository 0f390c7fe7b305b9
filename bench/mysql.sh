#!/bin/sh
# CPU per check of the mysql (and varnish) probes collected in-process, as
# the collector does, against exec'ing monitoring-plugins' check_mysql once
# per check, as Nagios does, and against exec'ing `osemon check mysql`.
# Client CPU includes every child (varnishstat for varnish); the server's
# own CPU per check is printed beside it.  Ratios are from this same run.
# Usage: sh bench/mysql.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
N=300
[ "${1:-}" = --quick ] && N=60
CHECK_MYSQL=${CHECK_MYSQL:-/usr/lib/nagios/plugins/check_mysql}

BIN="$BUILD/bench/mysql_bench"
mkdir -p "$BUILD/bench"
if [ ! -x "$BIN" ] || [ "$SRC/bench/mysql_bench.c" -nt "$BIN" ] ||
    [ "$BUILD/osemon-full" -nt "$BIN" ]; then
	objs=$(find "$BUILD/full" -name '*.o' ! -path '*/src/main.o' | sort)
	# shellcheck disable=SC2086
	cc -std=c11 -O2 -D_GNU_SOURCE -pthread -I"$SRC/src" -I"$SRC/probes" \
	    -o "$BIN" "$SRC/bench/mysql_bench.c" $objs \
	    $(pkg-config --libs libcurl openssl jansson librrd libmariadb inih libesmtp-1.0) -lm ||
	    { echo "bench: cannot build mysql_bench (run make first)" >&2; exit 1; }
fi

# The test harness starts the servers; its assertions are not used here.
T_RESULTS=/dev/null
T_NAME=bench-mysql
set +u
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/mariadb.sh"
. "$SRC/tests/lib/varnish.sh"
set -u
mariadb_start >/dev/null || { echo "bench: mariadbd did not start" >&2; exit 1; }
export BENCH_SERVER_PID="$MDB_PID"

val() { sed -n "s/^$1 //p" "$2"; }
run() { # name args...
	_name=$1
	shift
	"$BIN" "$@" >"$T_TMP/$_name.txt"
	printf '%-34s %9s us CPU/check  %9s us server CPU/check  %8s ms wall/check\n' \
	    "$_name" "$(val cpu_us "$T_TMP/$_name.txt")" \
	    "$(val server_us "$T_TMP/$_name.txt")" "$(val wall_ms "$T_TMP/$_name.txt")"
}

echo "mysql: $N checks each, mariadbd $(mariadbd --version | awk '{ print $3 }') on a unix socket"
run inproc-mysql inproc-mysql "$N" "$MDB_CNF" "$MDB_SOCK"
run exec-check_mysql exec "$N" "$CHECK_MYSQL" -f "$MDB_CNF" -s "$MDB_SOCK"
run exec-osemon-check-mysql exec "$N" "$BUILD/osemon" check mysql -f "$MDB_CNF" -s "$MDB_SOCK"
in=$(val cpu_us "$T_TMP/inproc-mysql.txt")
ex=$(val cpu_us "$T_TMP/exec-check_mysql.txt")
os=$(val cpu_us "$T_TMP/exec-osemon-check-mysql.txt")
ins=$(val server_us "$T_TMP/inproc-mysql.txt")
exs=$(val server_us "$T_TMP/exec-check_mysql.txt")
awk -v a="$ex" -v b="$in" 'BEGIN { printf "ratio check_mysql exec / in-process mysql probe (client CPU): %.1fx\n", a / b }'
awk -v a="$ex" -v b="$in" -v c="$exs" -v d="$ins" 'BEGIN { printf "ratio check_mysql exec / in-process mysql probe (client + server CPU): %.1fx\n", (a + c) / (b + d) }'
awk -v a="$ex" -v b="$os" 'BEGIN { printf "ratio check_mysql exec / osemon check mysql exec (client CPU): %.2fx\n", a / b }'

if command -v varnishd >/dev/null 2>&1; then
	VN=$((N / 3))
	unset BENCH_SERVER_PID
	varnish_start >/dev/null || { echo "bench: varnishd did not start" >&2; exit 1; }
	echo "varnish: $VN checks each (every check runs varnishstat -j)"
	run inproc-varnish inproc-varnish "$VN" "$VN_DIR"
	run exec-varnishstat-only exec "$VN" varnishstat -n "$VN_DIR" -j
	run exec-osemon-check-varnish exec "$VN" "$BUILD/osemon" check varnish -n "$VN_DIR"
	inv=$(val cpu_us "$T_TMP/inproc-varnish.txt")
	awk -v a="$ex" -v b="$inv" 'BEGIN { printf "ratio check_mysql exec / in-process varnish probe (client CPU): %.1fx\n", a / b }'
fi
# RATIO lines (osemon/peer, client CPU per check) for bench/run.sh's summary
awk -v o="$in" -v p="$ex" 'BEGIN { printf "RATIO mysql-percheck osemon/check_mysql = %.3f (osemon %.0f us, peer %.0f us CPU per check)\n", o / p, o, p }'
awk -v o="$os" -v p="$ex" 'BEGIN { printf "RATIO mysql-plugin-face osemon/check_mysql = %.2f (osemon %.0f us, peer %.0f us CPU per check)\n", o / p, o, p }'
set +e	# tests/lib.sh's cleanup trap must not turn a failed kill into exit 1
