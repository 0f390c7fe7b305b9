#!/bin/sh
# Comparison 2: CPU per check inside the running collector against
# exec'ing the equivalent monitoring-plugin once per check, the way Nagios
# does, for disk (check_disk), memory (check_swap), HTTP and HTTPS
# (check_http) against a local nginx (tests/lib/nginx.sh: a fresh TLS
# handshake per check, session cache and tickets off).
#
# In-collector cost: `osemon run -c CONF` with K checks of one kind at
# interval = 1 s, run twice (a short and a long window after the same
# warm-up), its whole-life CPU from wait4 (bench/cpurun.c); the difference
# divided by K x (long - short) seconds is the steady-state CPU per check,
# RRD update, state file and status page included, start-up and RRD file
# creation excluded.  Peer cost: CPU of the plugin's process per run.
# Repetitions alternate osemon and peer; medians and min-max are printed.
#
# Usage: sh bench/percheck.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
PLUGINS=${PLUGINS:-/usr/lib/nagios/plugins}
K=20 REPS=3 WARM=2 SHORT=2 LONG=10 N=300
if [ "${1:-}" = --quick ]; then
	K=4 REPS=1 WARM=0.5 SHORT=0.2 LONG=1.2 N=20
fi
OSEMON_FULL=$BUILD/osemon-full
[ -x "$OSEMON_FULL" ] || { echo "percheck: $OSEMON_FULL not built (make)" >&2; exit 2; }
for p in check_disk check_swap check_http; do
	[ -x "$PLUGINS/$p" ] || { echo "percheck: $PLUGINS/$p missing (sh bench/setup.sh)" >&2; exit 2; }
done

T_RESULTS=/dev/null
T_NAME=bench-percheck
set +u
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
. "$SRC/bench/collector_prime.sh"
set -u
CPURUN=$T_TMP/cpurun
${CC:-cc} -O2 -o "$CPURUN" "$SRC/bench/cpurun.c"
nginx_certs || { echo "percheck: certificates failed" >&2; exit 1; }
nginx_start >/dev/null || { echo "percheck: nginx did not start" >&2; exit 1; }
export LC_ALL=C

val() { sed -n "s/^$1 //p" "$2"; }

# conf KIND: a config with K checks of KIND at interval 1; every kind
# stores into one RRD folder, so that one priming run creates them all
conf() {
	_d=$T_TMP/$1
	rm -rf "$_d"
	mkdir -p "$_d"
	{
		i=1
		while [ "$i" -le "$K" ]; do
			printf '\n[check %s%02d]\n' "$1" "$i"
			case $1 in
			disk)
				case $((i % 3)) in
				0) printf 'probe = disk\npath = /\n' ;;
				1) printf 'probe = disk\npath = /tmp\n' ;;
				2) printf 'probe = disk\npath = /dev/shm\n' ;;
				esac ;;
			memory) printf 'probe = memory\n' ;;
			http)
				printf 'probe = http\nhostname = 127.0.0.1\nport = %s\n' "$NGX_HTTP" ;;
			https)
				printf 'probe = http\nhostname = localhost\nresolve = 127.0.0.1\n'
				printf 'port = %s\nssl = yes\nca-file = %s\n' "$NGX_VALID" "$NGX_PKI/ca.pem" ;;
			esac
			i=$((i + 1))
		done
	} >"$_d/checks"
	{ global "$_d"; cat "$_d/checks"; } >"$_d/osemon.conf"
}
# The defaults' ratios at the real 60 s interval, compressed to 1 s: five
# values per RRD write (rrd-flush-interval 300 / 60), the state file and
# the status page rewritten about once per 20-25 results (state-interval
# 60 and status-interval 30 for ~25 checks a minute).
global() {
	printf '[global]\ninterval = 1\nretry-interval = 1\ntimeout = 5\n'
	printf 'rrd-dir = %s/rrd\ngraph-dir = www\nstate-dir = state\n' "$T_TMP"
	printf 'graph-interval = 86400\nflap-detection = no\n'
	printf 'rrd-flush-interval = 5\nstate-interval = 1\nstatus-interval = 1\n'
}

# osemon_once KIND WINDOW: whole-life CPU seconds of one collector run.
# The RRD files and the state file stay from the priming run: at step 1 s
# an RRD with munin's 2 days at full resolution is ~4 MiB, and creating
# them is a one-time cost that is not per check.
osemon_once() {
	CPURUN_LOG=$T_TMP/$1/log "$CPURUN" daemon "$WARM" "$2" \
	    "$OSEMON_FULL" run -c "$T_TMP/$1/osemon.conf" >"$T_TMP/$1/m.txt" ||
	    { echo "percheck: osemon run failed:" >&2; tail -n 5 "$T_TMP/$1/log" >&2; exit 1; }
	val life_cpu_s "$T_TMP/$1/m.txt"
}


# stats FILE: "median min max" of one number per line
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
	    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

echo "percheck: $K checks per kind at interval 1 s, windows ${SHORT}/${LONG} s after ${WARM} s," \
    "$N plugin runs per repetition, $REPS repetition(s), $(nproc) CPUs"
printf '%-7s %-12s %26s %-12s %26s %8s\n' kind osemon "us/check median (min-max)" peer \
    "us/check median (min-max)" ratio
mkdir -p "$T_TMP/all"
for kind in disk memory http https; do
	conf "$kind"
done
{ global "$T_TMP/all"; cat "$T_TMP"/disk/checks "$T_TMP"/memory/checks \
    "$T_TMP"/http/checks "$T_TMP"/https/checks; } >"$T_TMP/all/osemon.conf"
prime "$T_TMP" "$T_TMP/all/osemon.conf"
for kind in disk memory http https; do
	case $kind in
	disk) peer=check_disk; set -- "$PLUGINS/check_disk" -w 20% -c 10% -p / ;;
	memory) peer=check_swap; set -- "$PLUGINS/check_swap" -w 50% -c 20% -n ok ;;
	http) peer=check_http; set -- "$PLUGINS/check_http" -H 127.0.0.1 -p "$NGX_HTTP" ;;
	https) peer=check_http; set -- "$PLUGINS/check_http" -H localhost -I 127.0.0.1 \
	    -p "$NGX_VALID" -S --sni ;;
	esac
	: >"$T_TMP/$kind.o"
	: >"$T_TMP/$kind.p"
	r=0
	while [ "$r" -lt "$REPS" ]; do
		a=$(osemon_once "$kind" "$SHORT")
		b=$(osemon_once "$kind" "$LONG")
		[ -n "$a" ] && [ -n "$b" ] || exit 1
		awk -v a="$a" -v b="$b" -v k="$K" -v s="$SHORT" -v l="$LONG" \
		    'BEGIN { printf "%.1f\n", (b - a) * 1e6 / (k * (l - s)) }' >>"$T_TMP/$kind.o"
		"$CPURUN" loop "$N" "$@" >"$T_TMP/$kind.loop"
		[ "$(val bad "$T_TMP/$kind.loop")" = 0 ] ||
		    echo "percheck: $peer did not exit 0 on every run" >&2
		val cpu_us "$T_TMP/$kind.loop" >>"$T_TMP/$kind.p"
		r=$((r + 1))
	done
	[ -n "$(find "$T_TMP/rrd" -path "*/${kind}01/*.rrd" 2>/dev/null | head -n 1)" ] ||
	    echo "percheck: the $kind checks stored no RRD file" >&2
	grep -q '"state": *"OK"\|"state":"OK"' "$T_TMP/$kind/state/state.json" 2>/dev/null ||
	    echo "percheck: warning: no $kind check was OK (see $T_TMP/$kind/log)" >&2
	set -- $(stats "$T_TMP/$kind.o") $(stats "$T_TMP/$kind.p")
	awk -v k="$kind" -v peer="$peer" -v om="$1" -v olo="$2" -v ohi="$3" \
	    -v pm="$4" -v plo="$5" -v phi="$6" 'BEGIN {
		if (om <= 0) om = 0.1
		printf "%-7s %-12s %10.0f (%6.0f-%6.0f) %-12s %10.0f (%6.0f-%6.0f) %8.3f\n", k, "osemon run", om, olo, ohi, peer, pm, plo, phi, om / pm
		printf "RATIO percheck-%s osemon/%s = %.3f (osemon %.0f us, peer %.0f us CPU per check)\n", k, peer, om / pm, om, pm
	}'
done
echo "1,000 checks per minute at these costs: see RATIO lines; us/check x 1000 / 60e6 = share of one core"
set +e	# tests/lib.sh's cleanup trap must not turn a failed kill into exit 1
