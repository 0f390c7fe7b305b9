#!/bin/sh
# The collector runs `backup verify` at [backup] verify-schedule as a
# supervised child (real gpg and tar, the local B2 server): a good archive
# verifies and the backup check stays OK; a corrupted archive in B2 makes
# the scheduled verify fail, the backup check CRITICAL and exactly one
# PROBLEM mail arrive; a run and a verify due together run one after the
# other (the run first), and the next good verify recovers the check; off
# starts nothing; config check validates the key; SIGTERM ends a verify
# with a record; a verify older than its schedule's period + grace is a
# WARNING; as root with [global] user the helper starts the verify.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"
. "$SRC/tests/lib/backup.sh"
need gpg tar

cd "$T_TMP" || exit 1
KEY_ID=0012testkeyid
small_tree verify-pass

b2_start 400000 || { t_fail "b2 server did not start"; exit 0; }

# The daily run is scheduled an hour ago (tomorrow, then): only the
# verify-schedule (and sections 5 and 8, which set it) start anything.
RUN_AT=$(date -u -d '-1 hour' +%H:%M)
SMTP_PORT=$(free_port)
write_conf() { # VERIFY-SCHEDULE [RUN-SCHEDULE [EXTRA-LINE]]
	{
		collector_conf "$SMTP_PORT"
		cat <<EOF
[backup]
paths = $FS/etc, $FS/data
passphrase-file = pass
local-dir = $FS/backups
schedule = ${2:-$RUN_AT}
verify-schedule = $1
${3:-}
[check backup]
probe = backup
EOF
	} >osemon.conf
}
# soon SECONDS: "Day HH:MM:SS" that many seconds from now (UTC)
soon() { date -u -d "+$1 seconds" '+%a %H:%M:%S'; }
# wait_for FILE REGEX [TENTHS]: until FILE has one more line matching
# than when called (once it exists: its first match)
wait_for() {
	_c=$(grep -Ec -- "$2" "$1" 2>/dev/null || true)
	_n=0
	until [ "$(grep -Ec -- "$2" "$1" 2>/dev/null || true)" -gt "${_c:-0}" ] ||
	    [ $_n -ge "${3:-200}" ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# --- 1. config check ------------------------------------------------------
write_conf "Sunday 8:20"
t_run "$OSEMON" config check -c osemon.conf
expect_rc 1 "config check refuses a bad verify-schedule"
LINE=$(grep -n '^verify-schedule' osemon.conf | cut -d: -f1)
expect_match "$ERR" "osemon.conf:$LINE: verify-schedule: 'Sunday 8:20' is not DAY HH:MM\\[:SS\\] \\(DAY Mon..Sun\\), HH:MM\\[:SS\\] or off \\(UTC\\)" "the error names file, line and the forms"
for v in off "Sun 08:20" "wed 23:59:59" "06:00"; do
	write_conf "$v"
	t_run "$OSEMON" config check -c osemon.conf
	expect_rc 0 "config check accepts verify-schedule = $v"
done
sed -i '/^verify-schedule = /d' osemon.conf
t_run "$OSEMON" config check -c osemon.conf
expect_rc 0 "config check accepts no verify-schedule (default Sun 08:20)"

# --- 2. a backup to verify ------------------------------------------------
write_conf off
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "a backup run to verify"
ARCH=$(ls "$FS/backups/sync/"*.tar.gpg)
BASE=$(basename "$ARCH")

# --- 3. the scheduled verify of a good archive ------------------------------
mkdir -p mail
smtpd_start "$SMTP_PORT" "$T_TMP/mail" --no-tls || { t_fail "smtpd did not start"; exit 0; }
AT=$(soon 5)
write_conf "$AT"
t_bg "$OSEMON" run -c osemon.conf >daemon.out 2>daemon.err
DAEMON=$T_LAST_PID
wait_for daemon.err 'backup verify: (finished|failed)' 300
expect_match "$(cat daemon.err)" "backup verify: started pid [0-9]+\$" "the collector started the verify at $AT"
expect_match "$(cat daemon.err)" "backup verify: finished in [0-9]+ s" "and reaped it: finished"
expect_match "$(cat state/backup-verify.json 2>/dev/null)" '"ok": true' "verify record: ok"
expect_match "$(cat state/backup-verify.json 2>/dev/null)" "\"$BASE\"" "verify record names the archive"
expect_no_match "$(cat daemon.err)" "backup: started" "the daily run did not start"
sleep 2
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 0 "backup check OK after a good verify"
expect_match "$OUT" "^last verify: .*, success\$" "long output: the last verify"
expect_eq "$(smtpd_count mail)" 0 "no mail while all is well"

# --- 4. a corrupted archive: the scheduled verify fails, one PROBLEM mail ---
corrupt_in_b2 "$ARCH" "$BASE"
AT=$(soon 4)
write_conf "$AT"
kill -HUP "$DAEMON"
wait_for daemon.err 'backup verify: failed' 300
expect_match "$(cat daemon.err)" "backup verify: failed \\(exit 1\\) after [0-9]+ s; see the backup log and record" "the collector logs the failed verify"
REC=$(cat state/backup-verify.json 2>/dev/null)
expect_match "$REC" '"ok": false' "verify record: failed"
expect_match "$REC" '"failed_step": "(decrypt|read)"' "verify record: the failing step"
n=0
until [ "$(smtpd_count mail)" -ge 1 ] || [ $n -ge 150 ]; do sleep 0.1; n=$((n + 1)); done
sleep 2
expect_eq "$(smtpd_count mail)" 1 "exactly one alert mail"
M=$(cat mail/*.eml 2>/dev/null)
expect_match "$M" "Subject: \\*\\* PROBLEM Service Alert: web1/backup is CRITICAL \\*\\*" "PROBLEM mail for the backup check"
expect_match "$M" "backup verify FAILED at step (decrypt|read)" "the mail says the verify failed, and where"
expect_no_match "$M" "verify-pass-$$" "no passphrase in the mail"
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 2 "backup check CRITICAL after the failed verify"
expect_match "$OUT" "^BACKUP CRITICAL: backup verify FAILED at step (decrypt|read)" "the probe names the failed verify"
expect_match "$(cat state/backup.log)" "verify: FAILED at step (decrypt|read)" "the backup log has the failure"

# --- 5. run and verify due together: the run first, then the verify ---------
# The new run uploads a good archive, which the verify then finds newest.
sleep 1
AT=$(soon 4)
write_conf "$AT" "${AT#* }"
kill -HUP "$DAEMON"
wait_for daemon.err 'backup verify: finished' 400
L=$(grep -n 'backup: started pid\|backup: finished\|backup verify: due while\|backup verify: started' daemon.err | tail -n 4 | cut -d: -f2-)
expect_match "$L" "backup: started pid" "the run started at its schedule"
expect_match "$(printf '%s\n' "$L" | sed -n 2p)" "backup verify: due while backup \\(pid [0-9]+\\) is going; starts after it" "the verify due at the same time waits"
expect_match "$(printf '%s\n' "$L" | sed -n 3p)" "backup: finished in" "the run finished"
expect_match "$(printf '%s\n' "$L" | sed -n 4p)" "backup verify: started pid" "then the verify started"
expect_match "$(cat state/backup-verify.json 2>/dev/null)" '"ok": true' "the verify of the new archive passed"
n=0
until [ "$(smtpd_count mail)" -ge 2 ] || [ $n -ge 150 ]; do sleep 0.1; n=$((n + 1)); done
expect_match "$(cat mail/*.eml 2>/dev/null)" "Subject: \\*\\* RECOVERY Service Alert: web1/backup is OK \\*\\*" "RECOVERY mail after the good verify"

# --- 6. off: nothing starts ----------------------------------------------------
AT=$(soon 3)
write_conf "$AT"
kill -HUP "$DAEMON"
sleep 1.2
write_conf off
kill -HUP "$DAEMON"
N0=$(grep -c 'backup verify: started' daemon.err)
sleep 4
expect_eq "$(grep -c 'backup verify: started' daemon.err)" "$N0" "verify-schedule = off starts no verify"
kill "$DAEMON" 2>/dev/null

# --- 7. SIGTERM ends a verify with a record; its children go too ------------
printf '#!/bin/sh\nsleep 30\n' >slowtar.sh
chmod 755 slowtar.sh
write_conf off "" "tar = $T_TMP/slowtar.sh"
"$OSEMON" backup verify -c osemon.conf >/dev/null 2>&1 &
P=$!
n=0
until pgrep -f "$T_TMP/slowtar.sh" >/dev/null || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM $P
wait $P
RC=$?
expect_rc 1 "a verify stopped by SIGTERM exits 1"
expect_match "$(cat state/backup-verify.json)" '"error": "stopped by signal 15"' "verify record: stopped by signal 15"
sleep 0.3
expect_eq "$(pgrep -f "$T_TMP/slowtar.sh" | wc -l | tr -d ' ')" 0 "the stopped verify's children were killed"

# --- 7b. verifies that stopped happening: WARNING (not with off) ----------
$PY - state/backup-verify.json <<'EOF2'
import json, sys, time
r = json.load(open(sys.argv[1]))
r.update(ok=True, exit_status=0, failed_step=None, error="", stderr_tail="",
         start=int(time.time()) - 8 * 86400, end=int(time.time()) - 8 * 86400)
json.dump(r, open(sys.argv[1], "w"))
EOF2
write_conf "Sun 08:20"
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 1 "backup check WARNING when the last verify is older than a week + grace"
expect_match "$OUT" "^BACKUP WARNING: last verify of web1 is 8\.0 days old \(limit 7\.1 days\)" "the probe says how old, and the limit"
write_conf "06:00"
t_run "$OSEMON" check backup -c osemon.conf
expect_match "$OUT" "\(limit 1\.1 days\)" "a daily verify-schedule: a day + grace"
write_conf off
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 0 "verify-schedule = off: no age limit on the verify"

# --- 8. [global] user: the root helper starts the run, then the verify ----
U="osemon-vfy-$$"
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null 2>&1 ||
    ! useradd --system --no-create-home --shell /usr/sbin/nologin "$U" 2>/dev/null; then
	echo "skip - $T_NAME: [global] user case needs root and useradd"
	exit 0
fi
# The collector (running as $U) is stopped first: userdel refuses a user
# with processes.
trap 't_cleanup; userdel "$U" 2>/dev/null' EXIT
chmod 755 "$T_TMP"
rm -rf state data # made again for $U
sleep 1
AT=$(soon 6)
write_conf "$AT" "${AT#* }"
sed -i "s/^\[global\]\$/[global]\nuser = $U/" osemon.conf
t_bg "$OSEMON" run -c osemon.conf >user.out 2>user.err
UD=$T_LAST_PID
wait_for user.err 'backup verify: (finished|failed)' 400
expect_match "$(cat user.err)" "running as $U" "the collector dropped to $U"
expect_match "$(cat user.err)" "backup: started pid [0-9]+ as root" "the root helper started the run"
expect_match "$(cat user.err)" "backup verify: started pid [0-9]+ as root" "then the verify"
expect_match "$(cat user.err)" "backup verify: finished in" "its exit reported back to the collector"
expect_eq "$(stat -c %u state/backup-verify.json 2>/dev/null)" 0 "the verify had root (its record is root's)"
expect_match "$(cat state/backup-verify.json 2>/dev/null)" '"ok": true' "and it passed"
# The backup check in the collector runs as $U and reads root's records.
sleep 2
t_run "$OSEMON" status -c osemon.conf
expect_match "$OUT" "^backup +OK " "the backup check, run as $U, reads the records: OK"
kill "$UD" 2>/dev/null
n=0
while kill -0 "$UD" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
