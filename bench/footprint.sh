#!/bin/sh
# Comparison 3: daemon footprint for the same 25-check set at a compressed
# interval (1 s): osemon (`osemon run -c CONF`) vs monit (`monit -I -c
# CONF`, `set daemon 1`) vs collectd (`collectd -f -C CONF`, Interval 1,
# rrdtool writer) vs munin-node + munin-update (every 5 s, munin's shortest
# practical cycle here; see docs/performance.md).
#
# The check set (25): disk space of /, /dev, /dev/shm (3); memory (1);
# load (1); process count of nginx, sleep, sh, cpurun (4); HTTP GET / on a
# local nginx (16 checks, plain HTTP: the HTTPS cost per check is
# bench/percheck.sh's job).  Everything lives in a temporary folder with
# loopback ports; munin-node reads its plugins from a private mount
# namespace (never the machine's /etc).
#
# Each daemon is started by bench/cpurun.c, warmed up, then watched:
# anonymous RSS (Anonymous of /proc/PID/smaps_rollup: the issue's "private
# (anonymous) RSS"), private RSS (Private_Clean + Private_Dirty, which also
# counts shared-library text no other process maps at that moment) and PSS
# as medians of samples every 0.5 s, CPU from /proc/PID/stat
# (utime + stime + cutime + cstime) over the window, reported as CPU
# seconds per 1,000 checks.  Repetitions alternate the daemons.
#
# Usage: sh bench/footprint.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
REPS=3 WARM=4 WINDOW=20 MUNIN_EVERY=5
if [ "${1:-}" = --quick ]; then
	REPS=1 WARM=1.2 WINDOW=2 MUNIN_EVERY=1
fi
# FOOTPRINT_INTERVAL=60 FOOTPRINT_WINDOW=300 FOOTPRINT_REPS=1: the same at
# a real interval (every daemon checks every INTERVAL s, munin-update runs
# every INTERVAL s too); WARM then covers one interval (the first cycle).
# FOOTPRINT_DAEMONS="osemon collectd": measure only these.
INTERVAL=${FOOTPRINT_INTERVAL:-1}
WINDOW=${FOOTPRINT_WINDOW:-$WINDOW}
REPS=${FOOTPRINT_REPS:-$REPS}
if [ "$INTERVAL" != 1 ]; then
	MUNIN_EVERY=$INTERVAL
	WARM=$((INTERVAL + 4))
fi
NCHECKS=25
NHTTP=16
OSEMON_FULL=$BUILD/osemon-full
[ -x "$OSEMON_FULL" ] || { echo "footprint: $OSEMON_FULL not built (make)" >&2; exit 2; }

T_RESULTS=/dev/null
T_NAME=bench-footprint
set +u
. "$SRC/tests/lib.sh"
. "$SRC/bench/collector_prime.sh"
set -u
CPURUN=$T_TMP/cpurun
${CC:-cc} -O2 -o "$CPURUN" "$SRC/bench/cpurun.c"
export LC_ALL=C

# The web server the HTTP checks hit: a plain nginx on a free port.
W=$T_TMP/nginx
mkdir -p "$W/html" "$W/logs" "$W/tmp"
chmod 755 "$T_TMP" "$W" "$W/html"
printf '<html><body>hello osemon</body></html>\n' >"$W/html/index.html"
HPORT=$(free_port)
_user=""
[ "$(id -u)" -eq 0 ] && _user="user root root;"
cat >"$W/nginx.conf" <<EOF
$_user
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/logs/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $W/tmp/body;
	proxy_temp_path $W/tmp/proxy;
	fastcgi_temp_path $W/tmp/fastcgi;
	uwsgi_temp_path $W/tmp/uwsgi;
	scgi_temp_path $W/tmp/scgi;
	types { text/html html; }
	server { listen 127.0.0.1:$HPORT; root $W/html; }
}
EOF
t_bg nginx -e "$W/logs/error.log" -p "$W" -c "$W/nginx.conf"
wait_port "$HPORT" 10 || { echo "footprint: nginx did not start" >&2; exit 1; }
t_bg sleep 100000	# one of the four watched process names
URL="http://127.0.0.1:$HPORT/"

# ---- osemon
O=$T_TMP/osemon
mkdir -p "$O"
{
	printf '[global]\ninterval = %s\nretry-interval = %s\ntimeout = 5\n' "$INTERVAL" "$INTERVAL"
	printf 'rrd-dir = rrd\ngraph-dir = www\nstate-dir = state\ngraph-interval = 86400\n'
	# compressed to INTERVAL like the checks: 5 values per RRD write, the
	# state file and status page about once per 25 results (the defaults
	# at 60 s: rrd-flush-interval 300, state-interval 60, status 30)
	if [ "$INTERVAL" = 1 ]; then
		printf 'rrd-flush-interval = 5\nstate-interval = 1\nstatus-interval = 1\n'
	fi
	for p in / /dev /dev/shm; do
		printf '\n[check disk%s]\nprobe = disk\npath = %s\n' "$(echo "$p" | tr / _)" "$p"
	done
	printf '\n[check memory]\nprobe = memory\n'
	printf '\n[check load]\nprobe = load\n'
	for n in nginx sleep sh cpurun; do
		printf '\n[check proc_%s]\nprobe = proc\nname = %s\n' "$n" "$n"
	done
	i=1
	while [ "$i" -le "$NHTTP" ]; do
		printf '\n[check web%02d]\nprobe = http\nurl = %s\n' "$i" "$URL"
		i=$((i + 1))
	done
} >"$O/osemon.conf"
"$OSEMON_FULL" config check -c "$O/osemon.conf" >/dev/null ||
    { echo "footprint: osemon config rejected" >&2; exit 1; }

# ---- monit
MO=$T_TMP/monit
mkdir -p "$MO"
{
	printf 'set daemon %s\nset logfile %s/monit.log\n' "$INTERVAL" "$MO"
	printf 'set pidfile %s/monit.pid\nset idfile %s/monit.id\nset statefile %s/monit.state\n' \
	    "$MO" "$MO" "$MO"
	for p in / /dev /dev/shm; do
		printf 'check filesystem fs%s with path %s\n  if space usage > 90%% then alert\n' \
		    "$(echo "$p" | tr / _)" "$p"
	done
	printf 'check system bench\n  if memory usage > 90%% then alert\n  if loadavg (1min) > 50 then alert\n'
	for n in nginx sleep sh cpurun; do
		printf 'check process proc_%s matching "(^|/)%s( |$)"\n  if does not exist then alert\n' "$n" "$n"
	done
	i=1
	while [ "$i" -le "$NHTTP" ]; do
		printf 'check host web%02d with address 127.0.0.1\n' "$i"
		printf '  if failed port %s protocol http request "/" then alert\n' "$HPORT"
		i=$((i + 1))
	done
} >"$MO/monitrc"
chmod 600 "$MO/monitrc"

# ---- collectd
C=$T_TMP/collectd
mkdir -p "$C/rrd"
{
	printf 'Interval %s\nBaseDir "%s"\nPIDFile "%s/collectd.pid"\n' "$INTERVAL" "$C" "$C"
	printf 'PluginDir "/usr/lib/collectd"\nTypesDB "/usr/share/collectd/types.db"\n'
	printf 'Hostname "bench"\nFQDNLookup false\n'
	printf 'LoadPlugin logfile\n<Plugin logfile>\n  File "%s/collectd.log"\n  LogLevel info\n</Plugin>\n' "$C"
	printf 'LoadPlugin df\n<Plugin df>\n  MountPoint "/"\n  MountPoint "/dev"\n  MountPoint "/dev/shm"\n  IgnoreSelected false\n</Plugin>\n'
	printf 'LoadPlugin memory\nLoadPlugin load\n'
	printf 'LoadPlugin processes\n<Plugin processes>\n'
	for n in nginx sleep sh cpurun; do
		printf '  Process "%s"\n' "$n"
	done
	printf '</Plugin>\nLoadPlugin curl\n<Plugin curl>\n'
	i=1
	while [ "$i" -le "$NHTTP" ]; do
		printf '  <Page "web%02d">\n    URL "%s"\n    MeasureResponseTime true\n    MeasureResponseCode true\n  </Page>\n' "$i" "$URL"
		i=$((i + 1))
	done
	printf '</Plugin>\nLoadPlugin rrdtool\n<Plugin rrdtool>\n  DataDir "%s/rrd"\n</Plugin>\n' "$C"
} >"$C/collectd.conf"

# ---- munin: munin-node (df, memory, load, 4 x ps_, http_loadtime with 16
# URLs) + munin-update run every MUNIN_EVERY s by this script
M=$T_TMP/munin
MUNIN=no
MPORT=$(free_port)
if command -v munin-node >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1 &&
    [ -x /usr/share/munin/munin-update ] && command -v wget >/dev/null 2>&1 &&
    id munin >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
    unshare -m true 2>/dev/null; then
	MUNIN=yes
	mkdir -p "$M/plugins" "$M/conf.d" "$M/state" "$M/db" "$M/www" "$M/log" "$M/run"
	chmod 755 "$M" "$M/plugins" "$M/state"
	for p in df memory load http_loadtime; do
		ln -s "/usr/share/munin/plugins/$p" "$M/plugins/$p"
	done
	for n in nginx sleep sh cpurun; do
		ln -s /usr/share/munin/plugins/ps_ "$M/plugins/ps_$n"
	done
	targets=$URL
	i=2
	while [ "$i" -le "$NHTTP" ]; do
		targets="$targets,${URL}?p=$i"
		i=$((i + 1))
	done
	chown -R munin:munin "$M/db" "$M/www" "$M/log" "$M/run"
	printf '[*]\nuser root\n\n[http_loadtime]\nenv.target %s\n' "$targets" >"$M/conf.d/bench"
	cat >"$M/munin-node.conf" <<EOF
log_level 4
log_file $M/log/munin-node.log
pid_file $M/run/munin-node.pid
background 0
setsid 0
user root
group root
host_name bench
allow ^127\\.0\\.0\\.1\$
host 127.0.0.1
port $MPORT
timeout 20
EOF
	cat >"$M/munin.conf" <<EOF
dbdir $M/db
htmldir $M/www
logdir $M/log
rundir $M/run
[bench]
    address 127.0.0.1
    port $MPORT
EOF
	cat >"$M/node.sh" <<'EOF'
set -e
mount --make-rprivate /
mount --bind "$1/plugins" /etc/munin/plugins
mount --bind "$1/conf.d" /etc/munin/plugin-conf.d
if [ -d /var/lib/munin-node/plugin-state ]; then
	mount --bind "$1/state" /var/lib/munin-node/plugin-state
fi
exec munin-node --config "$1/munin-node.conf" --foreground
EOF
fi


# measure NAME: one warm-up + window of daemon NAME, appends to NAME.txt
# "priv_kib pss_kib cpu_s_per_1000_checks anon_kib"
measure() {
	case $1 in
	osemon) set -- osemon "$OSEMON_FULL" run -c "$O/osemon.conf" ;;
	monit) set -- monit monit -I -c "$MO/monitrc" ;;
	collectd) set -- collectd collectd -f -C "$C/collectd.conf" ;;
	munin-node) set -- munin-node unshare -m sh "$M/node.sh" "$M" ;;
	esac
	_n=$1
	shift
	if [ "$_n" = munin-node ]; then
		# munin-update is driven from here during the whole run; its CPU
		# and peak RSS are added from wait4 (cpurun loop)
		: >"$M/update.txt"
		# on a fixed cadence like cron, as user munin (it refuses root)
		rm -f "$M/stop"
		(
			sleep 1
			while [ ! -e "$M/stop" ]; do
				"$CPURUN" loop 1 setpriv --reuid=munin --regid=munin \
				    --init-groups /usr/share/munin/munin-update \
				    --config_file "$M/munin.conf" >>"$M/update.txt" &
				sleep "$MUNIN_EVERY"
			done
			wait
		) &
		_up=$!
	fi
	CPURUN_LOG=$T_TMP/$_n.log "$CPURUN" daemon "$WARM" "$WINDOW" "$@" >"$T_TMP/$_n.m" ||
	    { echo "footprint: $_n failed:" >&2; tail -n 5 "$T_TMP/$_n.log" >&2; return 1; }
	_extra_cpu=0 _extra_rss=0 _runs=0
	if [ "$_n" = munin-node ]; then
		touch "$M/stop"
		wait "$_up" || true
		_extra_cpu=$(awk '$1 == "cpu_us" { s += $2 } END { printf "%.3f", s / 1e6 }' "$M/update.txt")
		_runs=$(grep -c '^cpu_us' "$M/update.txt" || true)
		_extra_rss=$(awk '$1 == "maxrss_kib" && $2 > m { m = $2 } END { print m + 0 }' "$M/update.txt")
		# munin-update ran over warm-up + window: count its share
		_extra_cpu=$(awk -v c="$_extra_cpu" -v r="$_runs" -v w="$WINDOW" -v e="$MUNIN_EVERY" \
		    'BEGIN { if (r > 0) printf "%.3f", c / r * (w / e); else print 0 }')
		echo "$_extra_rss" >>"$T_TMP/munin-update.peak"
	fi
	awk -v p="$(val priv_kib "$T_TMP/$_n.m")" -v s="$(val pss_kib "$T_TMP/$_n.m")" \
	    -v a="$(val anon_kib "$T_TMP/$_n.m")" \
	    -v c="$(val cpu_s "$T_TMP/$_n.m")" -v x="$_extra_cpu" -v w="$(val window_s "$T_TMP/$_n.m")" \
	    -v k="$NCHECKS" -v n="$_n" -v e="$MUNIN_EVERY" -v iv="$INTERVAL" 'BEGIN {
		checks = k * w / (n == "munin-node" ? e : iv)
		printf "%d %d %.4f %d\n", p, s, (c + x) / checks * 1000, a }' >>"$T_TMP/$_n.txt"
}
val() { sed -n "s/^$1 //p" "$2"; }

DAEMONS="osemon monit collectd"
command -v monit >/dev/null 2>&1 || { echo "footprint: monit missing (sh bench/setup.sh)" >&2; DAEMONS="osemon collectd"; }
command -v collectd >/dev/null 2>&1 || { echo "footprint: collectd missing (sh bench/setup.sh)" >&2; DAEMONS=$(echo "$DAEMONS" | sed 's/ collectd//'); }
[ "$MUNIN" = yes ] && DAEMONS="$DAEMONS munin-node"
[ "$MUNIN" = yes ] || echo "footprint: munin not measured (needs munin-node, munin, wget, setpriv, unshare -m)"
DAEMONS=${FOOTPRINT_DAEMONS:-$DAEMONS} # a subset: FOOTPRINT_DAEMONS="osemon collectd"

echo "footprint: $NCHECKS checks at $INTERVAL s ($NHTTP HTTP to nginx on 127.0.0.1:$HPORT)," \
    "munin every $MUNIN_EVERY s; warm-up $WARM s, window $WINDOW s, $REPS repetition(s), $(nproc) CPUs"
prime "$O" "$O/osemon.conf"
r=0
while [ "$r" -lt "$REPS" ]; do
	for d in $DAEMONS; do
		measure "$d" || exit 1
	done
	r=$((r + 1))
done

# stat FILE COL: "median min max"
stat3() {
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
	    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%s %s %s\n", m, v[1], v[NR] }'
}
printf '%-11s %24s %24s %24s %30s\n' daemon "anon KiB med (min-max)" \
    "private KiB med (min-max)" "PSS KiB med (min-max)" "CPU s/1000 checks med (min-max)"
for d in $DAEMONS; do
	set -- $(stat3 "$T_TMP/$d.txt" 4) $(stat3 "$T_TMP/$d.txt" 1) $(stat3 "$T_TMP/$d.txt" 2) \
	    $(stat3 "$T_TMP/$d.txt" 3)
	printf '%-11s %8d (%6d-%6d) %8d (%6d-%6d) %8d (%6d-%6d) %12.4f (%.4f-%.4f)\n' "$d" \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" "${11}" "${12}"
	echo "$d $4 $7 ${10} $1" >>"$T_TMP/summary"
done
if [ "$MUNIN" = yes ]; then
	echo "munin-update (run every $MUNIN_EVERY s, its CPU is in munin-node's row): peak RSS" \
	    "$(sort -n "$T_TMP/munin-update.peak" | tail -n 1) KiB per run"
fi
# RATIO lines: osemon / each peer
awk '$1 == "osemon" { op = $2; os = $3; oc = $4; oa = $5 } { d[$1] = $0 }
END {
	for (k in d) {
		if (k == "osemon") continue
		split(d[k], f, " ")
		if (f[5] > 0) printf "RATIO footprint-anon-%s osemon/%s = %.2f (osemon %d KiB, peer %d KiB anonymous RSS)\n", k, k, oa / f[5], oa, f[5]
		if (f[2] > 0) printf "RATIO footprint-private-%s osemon/%s = %.2f (osemon %d KiB, peer %d KiB private RSS)\n", k, k, op / f[2], op, f[2]
		if (f[3] > 0) printf "RATIO footprint-pss-%s osemon/%s = %.2f (osemon %d KiB, peer %d KiB PSS)\n", k, k, os / f[3], os, f[3]
		if (f[4] > 0) printf "RATIO footprint-cpu-%s osemon/%s = %.3f (osemon %.4f s, peer %.4f s CPU per 1000 checks)\n", k, k, oc / f[4], oc, f[4]
	}
}' "$T_TMP/summary" | sort
awk '$1 == "osemon" { printf "osemon: 1,000 checks per minute cost %.3f%% of one core\n", $4 / 60 * 100 }' "$T_TMP/summary"
awk -v k="$NCHECKS" -v iv="$INTERVAL" -v e="$MUNIN_EVERY" '{
	printf "%s: %.1f CPU-s per hour for these %d checks every %s s\n", $1, $4 * k * 3600 / ($1 == "munin-node" ? e : iv) / 1000, k, ($1 == "munin-node" ? e : iv) }' "$T_TMP/summary"
set +e	# tests/lib.sh's cleanup trap must not turn a failed kill into exit 1
