#!/bin/sh
# Plugin-face start-up cost: osemon's light front against the
# monitoring-plugins doing the same job, run alternately in one run.
# Prints medians of wall time and peak RSS (fork/exec/wait4 ru_maxrss)
# and the ratios osemon/peer; the target is <= 1.5 for both.
#
# Usage: bench/startup.sh [-n RUNS] [--quick]   (OSEMON=path/to/osemon)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
OSEMON=${OSEMON:-$SRC/build/osemon}
PLUGINS=${PLUGINS:-/usr/lib/nagios/plugins}
RUNS=21
while [ $# -gt 0 ]; do
	case "$1" in
	-n) RUNS=$2; shift 2 ;;
	--quick) RUNS=5; shift ;;
	*) echo "usage: $0 [-n RUNS] [--quick]" >&2; exit 2 ;;
	esac
done
[ -x "$OSEMON" ] || { echo "startup: $OSEMON not built (make)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
${CC:-cc} -O2 -o "$TMP/wait4run" "$SRC/bench/wait4run.c"
export LC_ALL=C

median() { # FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# name | osemon command | peer command (absolute paths, no shell)
cat >"$TMP/cases" <<CASES
disk|$OSEMON check disk -p / -w 80 -c 90|$PLUGINS/check_disk -w 20% -c 10% -p /
memory|$OSEMON check memory -w 90 -c 95 --swap-warning 50 --swap-critical 80|$PLUGINS/check_swap -w 50% -c 20% -n ok
load|$OSEMON check load -w 5,4,3 -c 10,8,6|$PLUGINS/check_load -w 5,4,3 -c 10,8,6
proc|$OSEMON check proc -n init|$PLUGINS/check_procs -C init -c 1:
CASES

printf '%-8s %10s %10s %7s %10s %10s %7s\n' probe "osemon_us" "peer_us" "wall_x" \
    "osemon_KiB" "peer_KiB" "rss_x"
while IFS='|' read -r name ocmd pcmd; do
	peer=${pcmd%% *}
	if [ ! -x "$peer" ]; then
		echo "$name: $peer missing, skipped"
		continue
	fi
	: >"$TMP/o"
	: >"$TMP/p"
	"$TMP/wait4run" $ocmd >/dev/null	# warm the page cache
	"$TMP/wait4run" $pcmd >/dev/null
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		"$TMP/wait4run" $ocmd >>"$TMP/o"
		"$TMP/wait4run" $pcmd >>"$TMP/p"
		i=$((i + 1))
	done
	ow=$(median "$TMP/o" 1)
	pw=$(median "$TMP/p" 1)
	orss=$(median "$TMP/o" 2)
	prss=$(median "$TMP/p" 2)
	awk -v n="$name" -v ow="$ow" -v pw="$pw" -v orss="$orss" -v prss="$prss" 'BEGIN {
	    printf "%-8s %10d %10d %7.2f %10d %10d %7.2f\n", n, ow, pw, ow / pw, orss, prss, orss / prss
	    printf "RATIO startup-%s-wall osemon/plugin = %.2f (osemon %d us, peer %d us)\n", n, ow / pw, ow, pw
	    printf "RATIO startup-%s-rss osemon/plugin = %.2f (osemon %d KiB, peer %d KiB)\n", n, orss / prss, orss, prss }'
done <"$TMP/cases"
echo "runs per command: $RUNS, alternating; medians; $(uname -r), $(nproc) CPUs"
