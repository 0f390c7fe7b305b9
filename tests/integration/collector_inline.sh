#!/bin/sh
# Checks that run on the collector's own thread (memory, load, local disk):
# their first runs are spread over the interval like every check's, then
# a due one takes along the others with its interval that fall due within
# half of it, so they end up sharing one wake-up; checks in the worker
# pool (exec here) keep their own schedule.
. "$SRC/tests/lib.sh"
need python3
cd "$T_TMP" || exit 1

cat >osemon.conf <<EOF
[global]
interval = 8
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
state-interval = 1

[check m1]
probe = memory

[check m2]
probe = memory

[check m3]
probe = disk
path = /

[check m4]
probe = memory

[check ex]
probe = exec
interval = 1
command = /bin/true
EOF

# spread NAME...: max - min of the checks' last_check times, and the
# latest of them
spread() {
	$PY - data/state/state.json "$@" <<'EOF'
import json, sys
checks = {c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}
last = [checks[n]["last_check"] for n in sys.argv[2:]]
print(max(last) - min(last), max(last))
EOF
}

t_bg "$OSEMON" run -c osemon.conf 2>log
pid=$T_LAST_PID
# First runs at 0, 1.6, 3.2 and 4.8 s: spread like every check's (m4 at
# 4.8 s takes m1 along, due at 8 s, but no check's first run is taken).
sleep 6.2
set -- $(spread m2 m4)
expect_eq "$([ "${1:-0}" -ge 3 ] && echo spread)" spread "first runs spread over the interval (m2 and m4 $1 s apart)"
# At 9.6 s m2 takes the other three along (due by 13.6 s): from then on
# the four share one wake-up.
sleep 8.5
set -- $(spread m1 m2 m3 m4)
expect_eq "$([ "${1:-9}" -le 1 ] && echo together)" together "loop checks of one interval run together ($1 s apart)"
set -- $(spread ex)
now=$(date +%s)
expect_eq "$([ $((now - ${2:-0})) -le 2 ] && echo running)" running "the worker check keeps its 1 s interval (last $((now - ${2:-0})) s ago)"
kill -TERM "$pid"
wait "$pid" 2>/dev/null
expect_eq "$?" 0 "clean exit"
