#!/bin/sh
# Passive results: `osemon run --once` with "[nagios] command-file" writes
# PROCESS_SERVICE_CHECK_RESULT lines that a real Nagios 4 (temporary
# config, everything in $T_TMP) accepts: the results show in its
# status.dat.  A FIFO nobody reads and a full pipe never block the
# collector, and the failure is logged once.
. "$SRC/tests/lib.sh"
need nagios4

N="$T_TMP/nagios"
mkdir -p "$N/checkresults"
# Debian's stock templates, time periods and contacts (read only) and
# contrib/nagios/passive.cfg's template osemon-passive.
cat >"$N/objects.cfg" <<'EOT'
define host {
    use                     generic-host
    host_name               ose-test
    address                 127.0.0.1
    active_checks_enabled   0
    check_period            24x7
    max_check_attempts      1
    contact_groups          admins
}
define service {
    use                     osemon-passive
    host_name               ose-test
    service_description     disk
    max_check_attempts      1
    contact_groups          admins
}
define service {
    use                     osemon-passive
    host_name               ose-test
    service_description     failing-plugin
    max_check_attempts      1
    contact_groups          admins
}
EOT
cat >"$N/nagios.cfg" <<EOT
log_file=$N/nagios.log
cfg_file=/etc/nagios4/objects/commands.cfg
cfg_file=/etc/nagios4/objects/contacts.cfg
cfg_file=/etc/nagios4/objects/timeperiods.cfg
cfg_file=/etc/nagios4/objects/templates.cfg
cfg_file=$SRC/contrib/nagios/passive.cfg
cfg_file=$N/objects.cfg
object_cache_file=$N/objects.cache
precached_object_file=$N/objects.precache
resource_file=$N/resource.cfg
status_file=$N/status.dat
status_update_interval=1
nagios_user=$(id -un)
nagios_group=$(id -gn)
check_external_commands=1
command_file=$N/nagios.cmd
lock_file=$N/nagios.lock
temp_file=$N/nagios.tmp
temp_path=$N
check_result_path=$N/checkresults
check_result_reaper_frequency=1
retain_state_information=0
state_retention_file=$N/retention.dat
debug_file=$N/debug.log
query_socket=$N/query.sock
enable_notifications=0
execute_service_checks=0
execute_host_checks=0
accept_passive_service_checks=1
log_passive_checks=1
illegal_macro_output_chars=\`~\$&|'"<>
EOT
printf '$USER1$=/usr/lib/nagios/plugins\n' >"$N/resource.cfg"

t_run nagios4 -v "$N/nagios.cfg"
expect_rc 0 "nagios4 -v accepts the passive test config"
expect_match "$OUT" '^Total Warnings: 0$' "nagios4 -v: contrib/nagios/passive.cfg gives 0 warnings"

cat >"$T_TMP/osemon.conf" <<EOT
[global]
hostname = ose-test
rrd-dir = rrd
state-dir = state
graph-dir = www
status-interval = 1

[nagios]
command-file = $N/nagios.cmd

[check disk]
probe = disk
path = /
warning = 101
critical = 101

[check failing-plugin]
probe = exec
command = /usr/lib/nagios/plugins/check_dummy 2 "dummy; broken"
EOT
t_run "$OSEMON" config check -c "$T_TMP/osemon.conf"
expect_rc 0 "config check accepts [nagios] command-file"
printf '[nagios]\ncommand-file = x\ncolour = red\n[check d]\nprobe = disk\n' >"$T_TMP/bad.conf"
t_run "$OSEMON" config check -c "$T_TMP/bad.conf"
expect_rc 1 "config check validates [nagios] keys"
expect_match "$ERR" "bad.conf:3: unknown key 'colour' in \[nagios\]" "unknown [nagios] key named with file:line"

# No FIFO yet: the collector does not block, does not create a file and
# logs once.
t_run timeout 20 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "run --once without a command file: results as usual (worst CRITICAL)"
expect_match "$ERR" "cannot write results to $N/nagios.cmd: No such file" "missing command file logged"
expect_eq "$(printf '%s\n' "$ERR" | grep -c 'cannot write results')" 1 "logged once for two results"
if [ -e "$N/nagios.cmd" ]; then
	t_fail "a missing command file was created"
else
	t_pass "a missing command file is not created"
fi

t_bg nagios4 "$N/nagios.cfg" >"$T_TMP/nagios.out" 2>&1
NAGIOS_PID=$T_LAST_PID
if wait_file "$N/nagios.cmd" 15 && wait_file "$N/status.dat" 15; then
	t_pass "nagios4 started and made its command FIFO"
else
	t_fail "nagios4 did not start: $(tail -5 "$T_TMP/nagios.out" "$N/nagios.log" 2>/dev/null)"
fi

t_run timeout 20 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "run --once with nagios reading exits with the worst state"
expect_no_match "$ERR" "cannot write" "no write error with nagios reading"

# status.dat: poll until both results are in (nagios reads the FIFO and
# writes its status every second).
n=0
while [ "$n" -lt 150 ]; do
	if grep -q 'plugin_output=DISK OK' "$N/status.dat" 2>/dev/null &&
	    grep -q 'plugin_output=EXEC CRITICAL' "$N/status.dat" 2>/dev/null; then
		break
	fi
	sleep 0.1
	n=$((n + 1))
done
status=$(cat "$N/status.dat" 2>/dev/null)
# service blocks as one line each: "disk|0|DISK OK: ...|perf"
blocks=$(printf '%s\n' "$status" | awk '
	/^servicestatus \{/ { inb = 1; d = ""; s = ""; o = ""; p = ""; h = ""; t = ""; next }
	inb && /^\t}/ { print h "|" d "|" s "|" t "|" o "|" p; inb = 0; next }
	inb { sub(/^\t/, "") ; k = $0; sub(/=.*/, "", k); v = $0; sub(/^[^=]*=/, "", v)
	      if (k == "host_name") h = v; if (k == "service_description") d = v
	      if (k == "current_state") s = v; if (k == "plugin_output") o = v
	      if (k == "performance_data") p = v; if (k == "check_type") t = v }')
disk=$(printf '%s\n' "$blocks" | grep '^ose-test|disk|')
fail=$(printf '%s\n' "$blocks" | grep '^ose-test|failing-plugin|')
expect_match "$disk" '^ose-test\|disk\|0\|1\|DISK OK: / [0-9.]+% used' "status.dat: disk is OK from a passive (check_type 1) result"
expect_match "$disk" ' /_used_pct=[0-9.]+%;101;101;0;100' "status.dat: disk perfdata with the ranges"
expect_match "$fail" '^ose-test\|failing-plugin\|2\|1\|EXEC CRITICAL: .*dummy[;:] broken' "status.dat: exec CRITICAL, text kept (nagios turns ';' into ':')"
expect_match "$(cat "$N/nagios.log")" 'EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT;ose-test;disk;0;DISK OK' "nagios.log: the external command was read"
expect_match "$status" 'long_plugin_output=/: used [0-9]+ B' "status.dat: the long output came through the escaped newline"

# Nagios gone, FIFO left: no reader.  The collector must not block.
kill "$NAGIOS_PID" 2>/dev/null
n=0
while kill -0 "$NAGIOS_PID" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
rm -f "$N/nagios.cmd"
mkfifo "$N/nagios.cmd"
t_run timeout 20 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "FIFO without a reader: run --once finishes"
expect_match "$ERR" 'nobody reads the FIFO' "FIFO without a reader: logged"

# A full pipe: a holder opens the FIFO and fills it without reading.
t_bg "$PY" -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
try:
    while True:
        os.write(fd, b"x" * 4096)
except BlockingIOError:
    pass
open(sys.argv[2], "w").close()
time.sleep(60)
' "$N/nagios.cmd" "$T_TMP/full"
wait_file "$T_TMP/full" 10 || t_fail "pipe filler did not start"
start=$(date +%s)
t_run timeout 20 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
took=$(( $(date +%s) - start ))
expect_rc 2 "full pipe: run --once finishes"
expect_match "$ERR" 'the pipe is full' "full pipe: logged"
expect_eq "$(printf '%s\n' "$ERR" | grep -c 'cannot write results')" 1 "full pipe: logged once"
if [ "$took" -le 5 ]; then
	t_pass "full pipe: no blocking (${took} s)"
else
	t_fail "full pipe: took ${took} s"
fi

# A running collector: results every second while Nagios is away are
# dropped with one log line; when Nagios comes back the collector says so
# once and its results show up again.
kill "$T_LAST_PID" 2>/dev/null	# the pipe filler
rm -f "$N/nagios.cmd" "$N/status.dat"
sed 's/^status-interval = 1$/status-interval = 1\ninterval = 1\nretry-interval = 1/' \
    "$T_TMP/osemon.conf" >"$T_TMP/live.conf"
t_bg "$OSEMON" run -c "$T_TMP/live.conf" 2>"$T_TMP/live.err"
LIVE_PID=$T_LAST_PID
sleep 3	# about three rounds of two results, all dropped
expect_eq "$(grep -c 'cannot write results' "$T_TMP/live.err")" 1 "Nagios away: one log line for all the dropped results"
t_bg nagios4 "$N/nagios.cfg" >"$T_TMP/nagios2.out" 2>&1
NAGIOS_PID=$T_LAST_PID
n=0
until grep -q 'writing results to .* again ([0-9]* dropped)' "$T_TMP/live.err" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 150 ] && break
	sleep 0.1
done
expect_match "$(cat "$T_TMP/live.err")" "writing results to $N/nagios.cmd again \(([4-9]|[1-9][0-9]+) dropped\)" "Nagios back: logged once, with the count of dropped results (several)"
n=0
until grep -q 'plugin_output=DISK OK' "$N/status.dat" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 150 ] && break
	sleep 0.1
done
expect_match "$(cat "$N/status.dat" 2>/dev/null)" 'plugin_output=DISK OK' "Nagios back: results in status.dat again"
# SIGHUP: a new command-file is used from the next result on (here a
# plain file, which works too).
: >"$T_TMP/other.cmd"
sed -i "s|^command-file = .*|command-file = $T_TMP/other.cmd|" "$T_TMP/live.conf"
kill -HUP "$LIVE_PID"
n=0
until grep -q 'PROCESS_SERVICE_CHECK_RESULT;ose-test;disk;0;DISK OK' "$T_TMP/other.cmd"; do
	n=$((n + 1))
	[ "$n" -gt 100 ] && break
	sleep 0.1
done
expect_match "$(cat "$T_TMP/other.cmd")" '^\[[0-9]+\] PROCESS_SERVICE_CHECK_RESULT;ose-test;disk;0;DISK OK' "SIGHUP: results go to the new command-file"

kill "$LIVE_PID" 2>/dev/null
n=0
while kill -0 "$LIVE_PID" 2>/dev/null && [ "$(ps -o stat= -p "$LIVE_PID" 2>/dev/null | cut -c1)" != Z ] && [ "$n" -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
wait "$LIVE_PID"
expect_eq "$?" 0 "the collector stops cleanly on SIGTERM"
kill "$NAGIOS_PID" 2>/dev/null
