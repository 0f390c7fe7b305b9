#!/bin/sh
# The backup under B2 faults (tests/lib/b2server.py): 503s and expired
# tokens mid-upload still end in success; a small archive takes the simple
# upload; B2 failing mid-upload or down from the start fails the run
# cleanly (large file cancelled, local copy kept, the record says why) and
# the backup probe goes CRITICAL with the failed step; the collector runs
# the backup at its schedule as a child, and the failure reaches the
# sysadmin as exactly one PROBLEM mail.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"
. "$SRC/tests/lib/backup.sh"
need gpg tar

cd "$T_TMP" || exit 1
KEY_ID=0012testkeyid
small_tree faults-pass

b2_start 400000 || { t_fail "b2 server did not start"; exit 0; }
actions() { $PY -c 'import sys,json,urllib.request
for v in json.load(urllib.request.urlopen(sys.argv[1]+"/_control", timeout=5))["buckets"]["backups"]:
    print(v["action"])' "$URL" | sort | uniq -c | tr -s ' ' | tr '\n' ';'; }

SMTP_PORT=$(free_port)
write_conf() { # PATHS SCHEDULE [EXTRA-LINE]
	{
		collector_conf "$SMTP_PORT"
		cat <<EOF
[backup]
paths = $1
passphrase-file = pass
local-dir = $FS/backups
schedule = $2
${3:-}
[check backup]
probe = backup
EOF
	} >osemon.conf
}
write_conf "$FS/etc, $FS/data" "07:20"
SYNC=$FS/backups/sync

# --- 1. 503s and expired tokens mid-upload: still a success --------------
ctl '{"op":"fault","call":"b2_upload_part","status":503,"code":"service_unavailable","message":"c001_v0001 too busy","skip":1,"count":2}'
ctl '{"op":"fault","call":"b2_upload_part","status":401,"code":"expired_auth_token","skip":2,"count":1}'
ctl '{"op":"fault","call":"b2_get_upload_part_url","status":401,"code":"expired_auth_token","skip":2,"count":1}'
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "run succeeds through 503s and expired tokens"
expect_eq "$OUT$ERR" "" "a run without a terminal prints nothing"
expect_eq "$(count b2_start_large_file)" 1 "one large file"
expect_eq "$(count b2_finish_large_file)" 1 "finished once"
expect_eq "$([ "$(count b2_authorize_account)" -ge 2 ] && echo yes)" yes "re-authorised after the expired account token"
expect_eq "$([ "$(count b2_get_upload_part_url)" -ge 4 ] && echo yes)" yes "a fresh part URL after each 503/401 ($(count b2_get_upload_part_url))"
expect_match "$(cat state/backup.json)" '"parts": [4-9]' "record: >= 4 parts"
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 0 "backup probe OK after a success"
expect_match "$OUT" "^BACKUP OK: last run of web1 succeeded" "probe message"
if command -v script >/dev/null 2>&1; then
	sleep 1
	t_run script -qec "$OSEMON backup run -c osemon.conf" /dev/null
	expect_match "$(printf '%s' "$OUT" | tr '\r' '\n')" "^backup: [0-9.]+ MiB, [0-9.]+ MiB/s, [0-9]+ parts uploaded" "progress (bytes, rate) on a terminal"
fi

# --- 1b. a large file pinned to a busy vault: cancelled, sent again ------
ctl '{"op":"reset_counts"}'
ctl '{"op":"fault","call":"b2_upload_part","status":503,"code":"service_unavailable","message":"No uploads available in vault 0001099","skip":1,"count":5}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "run succeeds after the large file's part retries were spent"
expect_match "$(cat state/backup.log)" "retrying the whole archive from" "log: whole archive sent again from the local copy"
expect_eq "$(count b2_cancel_large_file)" 1 "the pinned large file is cancelled"
expect_eq "$(count b2_finish_large_file)" 1 "the second large file is finished"
expect_no_match "$(actions)" "start" "no unfinished large file left"
ctl '{"op":"clear"}'

# --- 2. a small archive takes the simple upload ---------------------------
write_conf "$FS/etc" "07:20"
ctl '{"op":"reset_counts"}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "small run succeeds"
expect_eq "$(count b2_start_large_file)" 0 "no large file for an archive below one part"
expect_eq "$(count b2_upload_file)" 2 "archive and file list by b2_upload_file"
expect_match "$(cat state/backup.json)" '"parts": 0' "record: no parts"

# --- 2b. keep-local = no: parts from memory, nothing on disk --------------
write_conf "$FS/etc, $FS/data" "07:20" "keep-local = no"
ctl '{"op":"reset_counts"}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "keep-local = no: run succeeds"
expect_eq "$(ls "$SYNC" | grep -c '\.gpg$')" 0 "keep-local = no: no archive on disk"
expect_eq "$([ "$(count b2_upload_part)" -ge 3 ] && echo yes)" yes "keep-local = no: large file in >= 3 parts from memory"
expect_match "$(cat state/backup.json)" '"parts": [3-9]' "keep-local = no: record parts"
t_run "$OSEMON" backup verify -c osemon.conf
expect_rc 0 "keep-local = no: the uploaded archive verifies (decrypts, matches its list)"
write_conf "$FS/etc" "07:20" "keep-local = no"
ctl '{"op":"reset_counts"}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "keep-local = no: small run succeeds"
expect_eq "$(count b2_upload_file)" 2 "keep-local = no: one simple upload from memory (+ list)"
write_conf "$FS/etc, $FS/data" "07:20" "keep-local = no"
ctl '{"op":"fault","call":"b2_upload_part","status":503,"skip":1,"count":1000}'
ctl '{"op":"reset_counts"}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "keep-local = no: B2 failing fails the run"
expect_match "$(cat state/backup.json)" '"failed_step": "upload"' "keep-local = no: record says upload"
expect_eq "$(count b2_cancel_large_file)" 1 "keep-local = no: large file cancelled"
ctl '{"op":"clear"}'
write_conf "$FS/etc, $FS/data" "07:20"

# --- 3. B2 fails mid-upload: cancelled, local copy kept, CRITICAL ---------
write_conf "$FS/etc, $FS/data" "07:20"
ctl '{"op":"reset_counts"}'
ctl '{"op":"fault","call":"b2_upload_part","status":503,"code":"service_unavailable","skip":1,"count":1000}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "run fails when B2 stays unavailable"
expect_match "$ERR" "backup failed at step upload" "stderr names the failed step"
expect_eq "$([ "$(count b2_cancel_large_file)" -ge 1 ] && echo yes)" yes "the large file is cancelled (and the retry's)"
expect_no_match "$(actions)" "start" "no unfinished large file left in the bucket"
ARCH=$(ls "$SYNC"/*.tar.gpg 2>/dev/null | head -n 1)
REC=$(cat state/backup.json)
expect_match "$REC" "\"bytes\": $(stat -c %s "$ARCH" 2>/dev/null || echo none)," "local copy kept, complete"
expect_match "$REC" '"failed_step": "upload"' "record: failed step upload"
expect_match "$REC" '"error": ".*503' "record: says why (503)"
expect_match "$REC" '"ok": false' "record: not ok"
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 2 "backup probe CRITICAL after a failed run"
expect_match "$OUT" "^BACKUP CRITICAL: last run of web1 FAILED at step upload: " "probe names the failed step"
expect_match "$OUT" "failed=1" "failed metric"
expect_match "$(cat "$FS/backups/sync.old/"*.files)" "etc/x.conf" "the previous good copy stays in sync.old/"
ctl '{"op":"clear"}'

# --- 3b. a broken pipeline (gpg cannot start): nothing half-made is kept --
write_conf "$FS/etc, $FS/data" "07:20" "gpg = $T_TMP/no-such-gpg"
ctl '{"op":"reset_counts"}'
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "run fails when gpg cannot run"
expect_match "$(cat state/backup.json)" '"failed_step": "encrypt"' "record: failed step encrypt"
expect_match "$(cat state/backup.json)" '"stderr_tail": ".*no-such-gpg' "record: gpg's stderr tail"
expect_eq "$(ls "$SYNC" | wc -l | tr -d ' ')" 0 "no partial archive or list left in sync/"
expect_eq "$(ls "$FS/backups/sync.old" | grep -c '\.tar\.gpg$')" 1 "sync.old/ keeps the last complete archive"
expect_eq "$(count b2_start_large_file)" 0 "nothing uploaded"
write_conf "$FS/etc, $FS/data" "07:20"

# --- 3b'. a full disk under sync/: step write, nothing half-made kept -----
# gpg writes the archive itself; its write error names the step.  A 1 MiB
# tmpfs in a private mount namespace (the machine's mounts are untouched).
if unshare -m true 2>/dev/null; then
	mkdir -p "$T_TMP/small"
	write_conf "$FS/etc, $FS/data" "07:20"
	sed -i "s|^local-dir = .*|local-dir = $T_TMP/small|" osemon.conf
	sleep 1
	unshare -m sh -c 'mount -t tmpfs -o size=1m osemon-backup-full "$1" &&
	    "$2" backup run -c osemon.conf; echo "rc=$?" >full.rc;
	    ls "$1/sync" >full.ls' sh "$T_TMP/small" "$OSEMON" >/dev/null 2>&1
	expect_eq "$(cat full.rc 2>/dev/null)" "rc=1" "a full disk fails the run"
	expect_match "$(cat state/backup.json)" '"failed_step": "write"' "record: failed step write"
	expect_match "$(cat state/backup.json)" '"error": "[^"]*\.tar\.gpg: No space left on device"' "record: the archive's path and why"
	expect_eq "$(cat full.ls 2>/dev/null | wc -l | tr -d ' ')" 0 "no partial archive or list left on the full disk"
else
	echo "skip - $T_NAME: no mount namespaces for the full-disk case"
fi
write_conf "$FS/etc, $FS/data" "07:20"

# --- 3c. the run's timeout kills the whole pipeline -----------------------
printf '#!/bin/sh\nsleep 30\n' >slowtar.sh
chmod 755 slowtar.sh
write_conf "$FS/etc" "07:20" "tar = $T_TMP/slowtar.sh
timeout = 2"
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "a run past its timeout fails"
expect_match "$(cat state/backup.json)" '"error": "the run passed its timeout' "record: timeout"
expect_eq "$(pgrep -f "$T_TMP/slowtar.sh" | wc -l | tr -d ' ')" 0 "the pipeline's children were killed"
write_conf "$FS/etc, $FS/data" "07:20"

# --- 3d. SIGTERM (collector stop, admin): the run ends with a record -------
write_conf "$FS/etc" "07:20" "tar = $T_TMP/slowtar.sh"
sleep 1
"$OSEMON" backup run -c osemon.conf >/dev/null 2>&1 &
P=$!
n=0
until pgrep -f "$T_TMP/slowtar.sh" >/dev/null || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
t_run "$OSEMON" check backup -c osemon.conf
expect_match "$OUT" "^in progress: run, pid $P, since " "probe shows the run in progress"
kill -TERM $P
wait $P
RC=$?
expect_rc 1 "a run stopped by SIGTERM exits 1"
expect_match "$(cat state/backup.json)" '"error": "stopped by signal 15' "record: stopped by signal 15"
expect_eq "$(pgrep -f "$T_TMP/slowtar.sh" | wc -l | tr -d ' ')" 0 "the stopped run's children were killed"
write_conf "$FS/etc, $FS/data" "07:20"

# --- 4. the collector runs it at its schedule; one PROBLEM mail -----------
mkdir -p mail
smtpd_start "$SMTP_PORT" "$T_TMP/mail" --no-tls || { t_fail "smtpd did not start"; exit 0; }
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "a good run first (probe OK before the scheduled one)"
ctl '{"op":"fault","call":"b2_upload_part","status":503,"skip":1,"count":1000}'
AT=$(date -u -d '+4 seconds' +%H:%M:%S)
write_conf "$FS/etc, $FS/data" "$AT"
t_bg "$OSEMON" run -c osemon.conf >daemon.out 2>daemon.err
DAEMON=$T_LAST_PID
n=0
until grep -q '"ok": false' state/backup.json 2>/dev/null || [ $n -ge 150 ]; do
	sleep 0.1
	n=$((n + 1))
done
expect_match "$(cat daemon.err)" "backup: started pid [0-9]+" "collector started the backup at $AT"
expect_match "$(cat state/backup.json)" '"failed_step": "upload"' "the scheduled run failed at upload"
n=0
until [ "$(smtpd_count mail)" -ge 1 ] || [ $n -ge 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
sleep 2
expect_eq "$(smtpd_count mail)" 1 "exactly one alert mail"
M=$(cat mail/*.eml 2>/dev/null)
expect_match "$M" "Subject: \\*\\* PROBLEM Service Alert: web1/backup is CRITICAL \\*\\*" "PROBLEM mail for the backup check"
expect_match "$M" "FAILED at step upload" "mail says which step failed"
expect_no_match "$M" "faults-pass-$$" "no passphrase in the mail"
expect_match "$(cat daemon.err)" "backup: failed \\(exit 1\\)" "collector logs the child's failure"
for m in duration size failed age_hours; do
	expect_file "data/rrd/backup/$m.rrd" "the backup check's $m goes to RRD"
done
kill $DAEMON 2>/dev/null

# --- 5. B2 down from the start: the local archive is still made -----------
kill $B2PID
sleep 1.2
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "run fails with B2 down"
expect_match "$(cat state/backup.json)" '"failed_step": "upload"' "record: upload step"
expect_eq "$(ls "$SYNC"/*.tar.gpg 2>/dev/null | wc -l | tr -d ' ')" 1 "the local archive exists anyway"
