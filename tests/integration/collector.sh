#!/bin/sh
# The collector: config check errors with file:line, --once exit codes,
# the daemon with 1-second intervals through soft and hard states of an
# exec check whose result a file flips, the state file after SIGTERM and
# a restart that neither forgets nor re-invents the problem, SIGHUP reload.
. "$SRC/tests/lib.sh"

cd "$T_TMP" || exit 1
echo 0 >flip
cat >flip.sh <<EOF
#!/bin/sh
case \$(cat "$T_TMP/flip") in
0) echo "FLIP OK - fine | v=1;;;0"; exit 0 ;;
1) echo "FLIP WARNING - meh | v=2;;;0"; exit 1 ;;
*) echo "FLIP CRITICAL - broken | v=3;;;0"; exit 2 ;;
esac
EOF
chmod 755 flip.sh
printf '#!/bin/sh\nsleep 20\n' >slow.sh
chmod 755 slow.sh

cat >osemon.conf <<EOF
# collector test
[global]
interval = 1
retries = 2
retry-interval = 1
status-interval = 1
graph-interval = 3600
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state

[check root]
probe = disk
path = /

[check mem]
probe = memory

[check flip]
probe = exec
command = $T_TMP/flip.sh
EOF

# check_field FILE CHECK FIELD...: fields of one check in a state document.
check_field() {
	$PY - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
c = [x for x in doc["checks"] if x["name"] == sys.argv[2]][0]
print(" ".join(str(c.get(f)) for f in sys.argv[3:]))
EOF
}
# wait_log PATTERN [SECONDS]: until the daemon's stderr matches.
wait_log() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		grep -Eq -- "$1" "$T_TMP/daemon.err" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# --- config check ------------------------------------------------------
t_run "$OSEMON" config check -c osemon.conf
expect_rc 0 "config check: a good file exits 0"
expect_eq "$OUT" "osemon.conf: OK, 3 checks" "config check: counts the checks"

cat >bad.conf <<'EOF'
[global]
interval = soon
[check a]
probe = disk
colour = red
[check b]
probe = nope
[wrong]
EOF
t_run "$OSEMON" config check -c bad.conf
expect_rc 1 "config check: a bad file exits 1"
expect_eq "$ERR" "bad.conf:2: interval: 'soon' is not a whole number from 1 to 86400
bad.conf:5: unknown key 'colour' in [check a]
bad.conf:7: probe: unknown probe 'nope'
bad.conf:8: unknown section [wrong]
bad.conf: 4 errors" "config check: every error with file:line, in line order"

t_run "$OSEMON" run -c bad.conf --once
expect_rc 1 "run refuses a bad config"

# --- --once --------------------------------------------------------------
t_run "$OSEMON" run -c osemon.conf --once
expect_rc 0 "--once: all OK exits 0"
expect_match "$OUT" "^flip +OK +FLIP OK - fine$" "--once prints name, state and message"
expect_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 3 "--once prints one line per check"
expect_file data/state/state.json "--once writes the state file"
expect_file data/rrd/flip/v.rrd "--once stores the metric in RRD"
expect_file data/www/status.json "--once writes the status page"

echo 1 >flip
t_run "$OSEMON" run -c osemon.conf --once
expect_rc 1 "--once: worst state WARNING exits 1"
expect_eq "$(check_field data/state/state.json flip state state_type attempt)" \
    "WARNING SOFT 1" "--once: first problem is SOFT attempt 1"
echo 2 >flip
t_run "$OSEMON" run -c osemon.conf --once
expect_rc 2 "--once: worst state CRITICAL exits 2"
expect_eq "$(check_field data/state/state.json flip state state_type attempt last_hard_state)" \
    "CRITICAL HARD 2 CRITICAL" "--once keeps attempts across runs: attempt 2 of 2 is HARD"
hard_at=$(check_field data/state/state.json flip last_hard_change)

rm -f data/www/flip/v-day.png
t_run "$OSEMON" graph -c osemon.conf
expect_rc 0 "graph: renders from the RRD files and the state file"
expect_eq "$(od -An -tx1 -N4 data/www/flip/v-day.png 2>/dev/null | tr -d ' ')" "89504e47" \
    "graph: the flip metric's day graph is a PNG"
expect_eq "$(check_field data/www/status.json flip state 2>/dev/null | head -c 8)" "CRITICAL" \
    "graph: status.json holds the state file's state"

# --- the daemon ----------------------------------------------------------
echo 0 >flip
"$OSEMON" run -c osemon.conf 2>daemon.err &
pid=$!
T_PIDS="$T_PIDS $pid"
wait_log "check flip: OK HARD \(was CRITICAL\)" 10
expect_match "$(cat daemon.err)" "check flip: OK HARD \(was CRITICAL\): FLIP OK - fine" \
    "daemon: hard recovery logged"
echo 2 >flip
wait_log "check flip: CRITICAL HARD \(was OK\)" 10
expect_match "$(cat daemon.err)" "check flip: CRITICAL SOFT 1/2: FLIP CRITICAL - broken" \
    "daemon: a new problem is SOFT first"
expect_match "$(cat daemon.err)" "check flip: CRITICAL HARD \(was OK\): FLIP CRITICAL - broken" \
    "daemon: then HARD after retries at retry-interval"
sleep 1.5
t_run "$OSEMON" status -c osemon.conf --json
expect_rc 0 "status --json exits 0"
printf '%s\n' "$OUT" >status-now.json
expect_eq "$(check_field status-now.json flip state state_type attempt max_attempts)" \
    "CRITICAL HARD 2 2" "status --json: flip CRITICAL HARD 2/2"
expect_eq "$(check_field status-now.json root state probe)" "OK disk" "status --json: disk check OK"
expect_eq "$(check_field data/www/status.json flip state 2>/dev/null | head -c 8)" "CRITICAL" \
    "status.json in graph-dir follows within status-interval"
t_run "$OSEMON" status -c osemon.conf
expect_match "$OUT" "^flip +CRITICAL HARD 2/2 since .*: FLIP CRITICAL - broken$" \
    "status: one human line per check"
hard_at=$(check_field data/state/state.json flip last_hard_change)

kill -TERM "$pid"
n=50; while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
wait "$pid"
RC=$?; OUT=""; ERR=$(cat daemon.err)
expect_rc 0 "SIGTERM: the daemon exits 0"
expect_match "$(tail -n 1 daemon.err)" "osemon: stopped" "SIGTERM: logs that it stopped"
expect_eq "$(check_field data/state/state.json flip state state_type last_hard_change)" \
    "CRITICAL HARD $hard_at" "state file after SIGTERM holds the hard problem"

# --- restart: nothing forgotten, nothing invented ------------------------
: >daemon.err
"$OSEMON" run -c osemon.conf 2>daemon.err &
pid=$!
T_PIDS="$T_PIDS $pid"
sleep 3.5
expect_no_match "$(cat daemon.err)" "check flip: CRITICAL (SOFT|HARD)" \
    "restart: the known problem is neither soft again nor a new hard change"
expect_eq "$(check_field data/state/state.json flip state state_type last_hard_change)" \
    "CRITICAL HARD $hard_at" "restart: hard state and its time kept"
last=$(check_field data/state/state.json flip last_check)
expect_match "$last" "^[0-9]+$" "restart: the check keeps running"

# --- SIGHUP: reload keeps unchanged checks -------------------------------
cat >>osemon.conf <<EOF

[check slow]
probe = exec
command = $T_TMP/slow.sh
timeout = 1
timeout-state = unknown
retries = 1
EOF
kill -HUP "$pid"
wait_log "reloaded: 4 checks" 5
expect_match "$(cat daemon.err)" "reloaded: 4 checks" "SIGHUP reloads the config"
wait_log "check slow: UNKNOWN HARD" 8
expect_match "$(cat daemon.err)" "check slow: UNKNOWN HARD \(was OK\)" \
    "a check past its timeout gets timeout-state"
sleep 1.2
expect_eq "$(check_field data/state/state.json flip state last_hard_change)" \
    "CRITICAL $hard_at" "reload kept the unchanged check's state"
expect_eq "$(check_field data/state/state.json slow result 2>/dev/null | grep -c timeout)" "1" \
    "timed-out result has reason timeout"
expect_no_match "$(cat daemon.err)" "check flip: CRITICAL HARD" "reload invented no problem"

# A broken file on SIGHUP: errors logged, the running config stays.
cp osemon.conf good.conf
printf '[check broken]\nprobe = nope\n' >>osemon.conf
kill -HUP "$pid"
wait_log "reload failed" 5
expect_match "$(cat daemon.err)" "osemon.conf:[0-9]+: probe: unknown probe 'nope'" \
    "SIGHUP with a bad file logs its errors with file:line"
expect_match "$(cat daemon.err)" "reload failed: keeping the running configuration" \
    "SIGHUP with a bad file keeps running"
kill -0 "$pid" 2>/dev/null
RC=$?
expect_rc 0 "the daemon survives a bad reload"

kill -TERM "$pid"
n=50; while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
wait "$pid"
RC=$?
expect_rc 0 "SIGTERM during a running check still exits 0"
