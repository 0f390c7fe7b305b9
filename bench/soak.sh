#!/bin/sh
# Soak: the collector with 100 checks at a 1 s interval for a long time.
# Samples every SAMPLE seconds: resident memory (VmRSS), open fds
# (/proc/PID/fd), threads, and zombie children; prints the samples, start
# and end figures and a verdict:
#   RSS flat      end RSS <= start RSS (after warm-up) + max(10 %, 2 MiB)
#   no fd growth  the lowest fd count of the last 3 samples <= the lowest
#                 of the first 3 (exec children's pipes come and go)
#   no zombies    no zombie child seen in two samples in a row
#   alive         the collector still runs and all 100 checks have a result
#
# Usage: bench/soak.sh [--quick] [-d SECONDS]   (OSEMON=path/to/osemon)
#   full run 600 s (the figures in docs/reliability.md), --quick 30 s.
# Exit 0 on PASS, 1 on FAIL, 2 on a setup error.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
OSEMON=${OSEMON:-$SRC/build/osemon}
DURATION=600
SAMPLE=10
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) DURATION=30; SAMPLE=3; shift ;;
	-d) DURATION=$2; shift 2 ;;
	*) echo "usage: $0 [--quick] [-d SECONDS]" >&2; exit 2 ;;
	esac
done
[ -x "$OSEMON" ] || { echo "soak: $OSEMON not built (make)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-soak.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	[ -n "$PID" ] && sleep 0.5 && kill -9 "$PID" 2>/dev/null
	[ -n "${SOAK_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
export LC_ALL=C
cd "$TMP" || exit 2
mkdir -p tree/a tree/b
i=0
while [ $i -lt 50 ]; do echo "$i" >"tree/a/f$i"; i=$((i + 1)); done
cat >plugin.sh <<'PL'
#!/bin/sh
echo "SOAK OK - fine | v=$$;;;0"
PL
chmod 755 plugin.sh

# 100 checks: 25 exec (fork/exec and reaping every second), 25 load,
# 25 memory, 25 dirsize; every metric to RRD, the status page every
# second, the graphs every 5 minutes (the first after one minute).
{
	cat <<CONF
[global]
interval = 1
retry-interval = 1
retries = 2
timeout = 5
concurrency = 8
status-interval = 1
graph-interval = 300
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = soak
CONF
	n=0
	while [ $n -lt 25 ]; do
		printf '[check exec%02d]\nprobe = exec\ncommand = %s/plugin.sh\n' $n "$TMP"
		printf '[check load%02d]\nprobe = load\n' $n
		printf '[check mem%02d]\nprobe = memory\n' $n
		printf '[check dir%02d]\nprobe = dirsize\ninterval = 1\npath = %s/tree\n' $n "$TMP"
		n=$((n + 1))
	done
} >soak.conf
if ! "$OSEMON" config check -c soak.conf >config.out 2>&1; then
	cat config.out >&2
	exit 2
fi

"$OSEMON" run -c soak.conf >run.out 2>run.err &
PID=$!

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$1"/status 2>/dev/null; }
threads() { sed -n 's/^Threads:[[:space:]]*\([0-9]*\)/\1/p' /proc/"$1"/status 2>/dev/null; }
fds() { ls /proc/"$1"/fd 2>/dev/null | wc -l; }
zombies() { # pids of zombie children of $1
	for s in /proc/[0-9]*/stat; do
		awk -v p="$1" '{ sub(/^.*\) /, ""); if ($1 == "Z" && $2 == p) print FILENAME }' "$s" 2>/dev/null
	done | sed 's|/proc/\([0-9]*\)/stat|\1|' | tr '\n' ' '
}

# Warm-up: librrd, fontconfig (first graphs at 60 s) and the thread pool
# allocate once; the start figures are taken after it.
WARM=$((DURATION / 6))
[ $WARM -lt 12 ] && WARM=12
sleep $WARM
kill -0 "$PID" 2>/dev/null || { echo "soak: collector died at start" >&2; cat run.err >&2; exit 1; }
start_rss=$(rss $PID)
start_fd=$(fds $PID)
echo "$start_fd" >fds.log
cpu() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat 2>/dev/null; }
start_cpu=$(cpu $PID)
printf '%6s %9s %4s %7s %s\n' t_s rss_kib fds threads zombies
printf '%6s %9s %4s %7s %s\n' $WARM "$start_rss" "$start_fd" "$(threads $PID)" "-"
elapsed=$WARM
prev_z=""
stuck_z=""
max_rss=$start_rss
max_fd=$start_fd
while [ $elapsed -lt "$DURATION" ]; do
	sleep $SAMPLE
	elapsed=$((elapsed + SAMPLE))
	kill -0 "$PID" 2>/dev/null || break
	r=$(rss $PID)
	f=$(fds $PID)
	z=$(zombies $PID)
	echo "$f" >>fds.log
	[ "$r" -gt "$max_rss" ] && max_rss=$r
	[ "$f" -gt "$max_fd" ] && max_fd=$f
	for p in $z; do
		case " $prev_z " in *" $p "*) stuck_z="$stuck_z $p" ;; esac
	done
	prev_z=$z
	printf '%6s %9s %4s %7s %s\n' $elapsed "$r" "$f" "$(threads $PID)" "${z:--}"
done
alive=yes
kill -0 "$PID" 2>/dev/null || alive=no
end_rss=$(rss $PID)
end_fd=$(fds $PID)
end_cpu=$(cpu $PID)
cpu_pct=$(awk -v a="${start_cpu:-0}" -v b="${end_cpu:-0}" -v t="$((elapsed - WARM))" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { if (t > 0) printf "%.1f", 100 * (b - a) / hz / t; else print "?" }')
runs=$("$OSEMON" status -c soak.conf 2>/dev/null | grep -vc PENDING)
errs=$(grep -c . run.err)

limit=$((start_rss + start_rss / 10))
[ $limit -lt $((start_rss + 2048)) ] && limit=$((start_rss + 2048))
verdict=PASS
why=""
[ "$alive" = yes ] || { verdict=FAIL; why="$why collector-died"; }
[ -n "$end_rss" ] && [ "$end_rss" -le "$limit" ] || { verdict=FAIL; why="$why rss-grew"; }
first_fd=$(head -n 3 fds.log | sort -n | head -n 1)
last_fd=$(tail -n 3 fds.log | sort -n | head -n 1)
[ -n "$last_fd" ] && [ "$last_fd" -le "$first_fd" ] || { verdict=FAIL; why="$why fd-grew"; }
[ -z "$stuck_z" ] || { verdict=FAIL; why="$why zombies:$stuck_z"; }
[ "$runs" -ge 100 ] || { verdict=FAIL; why="$why only-$runs-checks-ok"; }
echo "soak: ${DURATION}s, 100 checks at 1 s, concurrency 8; collector CPU ${cpu_pct}% of one core after warm-up (children not counted)"
echo "soak: start RSS ${start_rss} KiB, end RSS ${end_rss:-?} KiB, max ${max_rss} KiB (limit ${limit})"
echo "soak: start fds ${start_fd}, end fds ${end_fd:-?}, max ${max_fd}; lowest of first/last 3 samples ${first_fd}/${last_fd:-?}"
echo "soak: zombies seen twice: ${stuck_z:-none}; checks with a result: $runs/100; stderr lines: $errs"
echo "soak: verdict $verdict${why:+ ($why)}"
[ $errs -gt 0 ] && head -n 5 run.err
[ $verdict = PASS ]
