#!/bin/sh
# osemon backup run|verify|list|prune against a real mariadbd, real gpg and
# tar and the local B2 server (tests/lib/b2server.py) with a small part
# size: the objects arrive through the large-file path (>= 2 parts); the
# archive decrypts with the documented gpg command into a tar holding the
# files and a complete SQL dump, without /root/backups/sync* but with a
# nested look-alike; a second run rotates sync.old; verify passes, then
# fails on a corrupted archive; list and prune; the lock; the passphrase
# never appears in any argv (scanned in /proc while running), the log,
# the record or the output.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/mariadb.sh"
. "$SRC/tests/lib/backup.sh"
need mariadbd mariadb-install-db mariadb mariadb-dump gpg tar flock

cd "$T_TMP" || exit 1
KEY_ID=0012testkeyid
printf 'K001testapplicationkey\n' >key
PASS="pp-$$-Zq7-never-in-argv"
printf '%s\n' "$PASS" >pass
chmod 600 key pass

# --- a small file tree ------------------------------------------------
FS=$T_TMP/fs
mkdir -p "$FS/etc/app" "$FS/home/u/root/backups/sync9" "$FS/root/notes" \
    "$FS/root/backups/syncfoo" "$FS/root/backups/other" "$FS/var/www"
echo 'listen = 80' >"$FS/etc/app/app.conf"
echo 'drop me' >"$FS/etc/app/skip.tmp"
echo 'nested look-alike stays' >"$FS/home/u/root/backups/sync9/keep.txt"
echo 'excluded' >"$FS/root/backups/syncfoo/old.tar"
echo 'not sync' >"$FS/root/backups/other/x.txt"
echo 'notes' >"$FS/root/notes/n.txt"
echo '<h1>hi</h1>' >"$FS/var/www/index.html"
# incompressible, so that the archive spans several 1 MB parts
head -c 2600000 /dev/urandom >"$FS/home/u/blob.bin"

mariadb_start || { t_fail "mariadbd did not start"; exit 0; }
mariadb_sql "CREATE DATABASE shop;
    CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40));
    INSERT INTO shop.orders VALUES (1, 'backup-canary-row');
    GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON *.* TO 'osemon'@'localhost';" ||
    { t_fail "test database"; exit 0; }
cp "$MDB_CNF" my.cnf
printf 'socket=%s\n' "$MDB_SOCK" >>my.cnf
chmod 600 my.cnf

b2_start 1000000 || { t_fail "b2 server did not start"; exit 0; }
# files NAME-REGEX: "name action parts" of matching versions in the bucket
files() { $PY -c 'import sys,json,re,urllib.request
for v in json.load(urllib.request.urlopen(sys.argv[1]+"/_control", timeout=5))["buckets"]["backups"]:
    if re.search(sys.argv[2], v["fileName"]): print(v["fileName"], v["action"], len(v["parts"]))' "$URL" "$1"; }

write_conf() { # extra [backup] lines
	cat >osemon.conf <<EOF
[global]
state-dir = state
[b2]
api-url = $URL
key-id = $KEY_ID
key-file = key
bucket = backups
[backup]
hostname = web1
paths = $FS/etc, $FS/home, $FS/root, $FS/var/www, $FS/nonexistent
exclude = $FS/etc/app/skip*
mysql-defaults-file = my.cnf
passphrase-file = pass
local-dir = $FS/root/backups
log-file = backup.log
$1
[check backup]
probe = backup
EOF
}
write_conf ""
SYNC=$FS/root/backups/sync

t_run "$OSEMON" config check -c osemon.conf
expect_rc 0 "config check accepts the [backup] section"

t_run "$OSEMON" backup run
expect_rc 2 "backup run without -c is a usage error"
expect_match "$ERR" "^usage: osemon backup run\|verify\|list -c FILE" "usage names the commands"
t_run "$OSEMON" backup restore -c osemon.conf
expect_rc 2 "unknown backup command"
t_run "$OSEMON" backup run -c osemon.conf --dry-run
expect_rc 2 "--dry-run belongs to prune only"

# --- 1. a run, with /proc scanned for the passphrase meanwhile ----------
cat >scan.py <<'EOF'
import os, sys, time
secret, stop = sys.argv[1].encode(), sys.argv[2]
seen_gpg = found = 0
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for what in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (pid, what), "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if what == "cmdline" and b"--passphrase-fd" in data and data.startswith(b"gpg"):
                seen_gpg += 1
            if secret in data and b"scan.py" not in data:
                found += 1
    time.sleep(0.005)
print(seen_gpg, found)
EOF
$PY scan.py "$PASS" scan.stop >scan.out 2>&1 &
SCAN=$!
t_run "$OSEMON" backup run -c osemon.conf
touch scan.stop
wait $SCAN
expect_rc 0 "backup run succeeds"
set -- $(cat scan.out)
expect_eq "$([ "${1:-0}" -gt 0 ] && echo yes)" yes "the /proc scan saw gpg running (${1:-0} times)"
expect_eq "${2:-x}" 0 "the passphrase is in no process's argv or environment"

ARCH=$(ls "$SYNC"/daily_web1_*.tar.gpg 2>/dev/null | head -n 1)
BASE=$(basename "$ARCH" .tar.gpg)
expect_match "$BASE" '^daily_web1_[0-9]{8}_[0-9]{6}$' "object name daily_HOST_YYYYMMDD_HHMMSS"
expect_match "$(files "^$BASE")" "^$BASE.tar.gpg upload" "archive uploaded and visible"
expect_eq "$(count b2_start_large_file)" 1 "one b2_start_large_file"
expect_eq "$([ "$(count b2_upload_part)" -ge 3 ] && echo yes)" yes "the archive went up in >= 3 parts ($(count b2_upload_part))"
expect_match "$(files "^$BASE")" "$BASE.files.gpg upload" "encrypted file list uploaded beside it"
expect_eq "$(count b2_finish_large_file)" 1 "one b2_finish_large_file"
expect_eq "$(files "^$BASE.tar.gpg" | wc -l)" 1 "exactly one archive version"

# The documented restore: gpg --batch --passphrase-file KEY --decrypt.
mkdir -m 700 gh
GNUPGHOME=$T_TMP/gh gpg --batch --passphrase-file pass --decrypt "$ARCH" \
    >plain.tar 2>gpg.err
expect_eq "$?" 0 "gpg --batch --passphrase-file KEY --decrypt restores the archive"
gpgconf --homedir "$T_TMP/gh" --kill gpg-agent 2>/dev/null
LIST=$(tar -tf plain.tar)
F=${FS#/}
expect_match "$LIST" "^$F/etc/app/app.conf\$" "tar holds /etc files"
expect_match "$LIST" "^$F/home/u/root/backups/sync9/keep.txt\$" "nested look-alike home/u/root/backups/sync9 stays"
expect_match "$LIST" "^$F/root/backups/other/x.txt\$" "root/backups/other stays"
expect_no_match "$LIST" "^$F/root/backups/sync" "root/backups/sync* (local copies) excluded"
expect_no_match "$LIST" "skip.tmp" "configured anchored exclude applies"
expect_match "$LIST" "^mysql_all.sql\$" "tar holds the SQL dump"
expect_eq "$(cat "$SYNC/$BASE.files")" "$LIST" "the file list is the tar's listing"
tar -xOf plain.tar mysql_all.sql >dump.sql
expect_match "$(cat dump.sql)" "backup-canary-row" "dump holds the test table's row"
expect_match "$(tail -n 1 dump.sql)" "^-- Dump completed" "dump is complete (mariadb-dump trailer)"
expect_eq "$(stat -c %a "$SYNC/$BASE.files")" 600 "plaintext file list is private (0600)"
expect_eq "$(ls "$SYNC" | grep -c mysql_all)" 0 "plaintext dump removed from sync/"

REC=$(cat state/backup.json)
expect_match "$REC" '"ok": true' "record: ok"
expect_match "$REC" '"parts": [2-9]' "record: parts"
expect_match "$REC" "\"bytes\": $(stat -c %s "$ARCH")," "record: bytes = local archive size"
expect_match "$REC" "\"$BASE.files.gpg\"" "record: object names"
expect_match "$REC" "\"sha256\": \"$(sha256sum "$ARCH" | cut -d' ' -f1)\"" "record: sha256 of the archive"
LOG=$(cat backup.log)
for step in rotate dump archive upload list; do
	expect_match "$LOG" "Z $step: ok.*\\([0-9.]+ s\\)\$" "log line with timing for step $step"
done
expect_match "$LOG" "archive: skipping $FS/nonexistent" "a missing path is logged, not fatal"

# --- 2. a second run rotates sync/ to sync.old/ -------------------------
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 0 "second run succeeds"
expect_eq "$(ls "$FS/root/backups/sync.old" | grep -c "^$BASE.tar.gpg\$")" 1 "first archive moved to sync.old/"
expect_eq "$(ls "$SYNC" | grep -c '\.tar\.gpg$')" 1 "sync/ holds only the new archive"
BASE2=$(basename "$(ls "$SYNC"/*.tar.gpg)" .tar.gpg)

# --- 3. list, verify ----------------------------------------------------
t_run "$OSEMON" backup list -c osemon.conf
expect_rc 0 "list succeeds"
expect_match "$OUT" "^$BASE2.tar.gpg +[0-9]+ +0.0 h\$" "list shows name, size and age"
expect_match "$OUT" "^2 backups in bucket backups\$" "list counts both backups"
t_run "$OSEMON" backup verify -c osemon.conf
expect_rc 0 "verify of the newest archive succeeds"
expect_match "$OUT" "^verified $BASE2.tar.gpg: [0-9]+ entries, [0-9]+ bytes, SQL dump complete\$" "verify reads the tar, the list and the dump"
expect_match "$(cat state/backup-verify.json)" '"ok": true' "verify record: ok"

# --- 4. a corrupted archive fails verify --------------------------------
corrupt_in_b2 "$SYNC/$BASE2.tar.gpg" "$BASE2.tar.gpg"
t_run "$OSEMON" backup verify -c osemon.conf
expect_rc 1 "verify of a corrupted archive fails"
expect_match "$ERR" "failed at step (decrypt|read)" "verify names the failing step"
expect_match "$(cat state/backup-verify.json)" '"ok": false' "verify record: failed"
t_run "$OSEMON" check backup -c osemon.conf
expect_rc 2 "backup probe CRITICAL after a failed verify"
expect_match "$OUT" "^BACKUP CRITICAL: backup verify FAILED" "probe names the failed verify"

# --- 5. the lock: one run at a time --------------------------------------
flock -o state/backup.lock sleep 3 &
LOCKER=$!
sleep 0.3
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "a second concurrent run is refused"
expect_match "$ERR" "another backup is running" "lock message"
kill $LOCKER 2>/dev/null
wait $LOCKER 2>/dev/null

# --- 6. pruning: keep 1 daily -------------------------------------------
write_conf "keep-daily = 1"
t_run "$OSEMON" backup prune -c osemon.conf --dry-run
expect_rc 0 "prune --dry-run succeeds"
expect_match "$OUT" "^would delete $BASE.tar.gpg " "dry run names the older archive"
expect_no_match "$OUT" "$BASE2" "dry run keeps the newest"
expect_eq "$(files "^$BASE.tar.gpg" | wc -l)" 1 "dry run deletes nothing"
t_run "$OSEMON" backup prune -c osemon.conf
expect_rc 0 "prune succeeds"
expect_eq "$(files "^$BASE\\." | wc -l)" 0 "older backup and its list deleted (every version)"
expect_eq "$(files "^$BASE2.tar.gpg" | wc -l | tr -d ' ')" 2 "newest backup kept (both versions)"

# --- 6b. a failing dump fails the run with mariadb-dump's stderr ---------
sed 's/^password=.*/password=wrong-password/' my.cnf >bad.cnf
chmod 600 bad.cnf
write_conf "mysql-defaults-file = bad.cnf"
sed -i '0,/^mysql-defaults-file = my.cnf$/{/^mysql-defaults-file = my.cnf$/d}' osemon.conf
sleep 1
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 1 "run fails when the dump is refused"
expect_match "$(cat state/backup.json)" '"failed_step": "dump"' "record: failed step dump"
expect_match "$(cat state/backup.json)" '"stderr_tail": ".*Access denied' "record: mariadb-dump's stderr tail"
expect_eq "$(ls "$SYNC" | wc -l | tr -d ' ')" 0 "no plaintext dump left behind"
expect_eq "$(ls "$FS/root/backups/sync.old" | grep -c "^$BASE2.tar.gpg\$")" 1 "the rotation moved the second archive to sync.old/"
expect_eq "$(ls -d "$FS/root/backups/sync.old.delete" 2>/dev/null | wc -l | tr -d ' ')" 0 "the archive before it (set aside as sync.old.delete) was deleted"
t_run "$OSEMON" check backup -c osemon.conf
expect_match "$OUT" "^BACKUP CRITICAL: last run of web1 FAILED at step dump: " "probe names the dump step"
write_conf ""

# --- 7. secrets never leak -----------------------------------------------
ALLTEXT=$(cat backup.log state/backup.json state/backup-verify.json)
expect_no_match "$ALLTEXT" "$PASS" "passphrase in neither log nor records"
expect_no_match "$ALLTEXT" "K001testapplicationkey" "B2 key in neither log nor records"

# --- 8. config check refuses unsafe secret files -------------------------
printf 'crlf-pass\r\n' >pass.crlf
chmod 600 pass.crlf
sed -i "s|^passphrase-file = pass\$|passphrase-file = pass.crlf|" osemon.conf
t_run "$OSEMON" config check -c osemon.conf
expect_rc 1 "config check refuses a key file with CRLF"
expect_match "$ERR" "osemon.conf:[0-9]+: passphrase-file: .*CR" "CRLF error names file and line"
chmod 640 my.cnf
t_run "$OSEMON" config check -c osemon.conf
expect_match "$ERR" "mysql-defaults-file: .*group or others" "group-readable option file refused"
chmod 600 my.cnf
chmod 644 pass
sed -i "s|^passphrase-file = pass.crlf\$|passphrase-file = pass|" osemon.conf
t_run "$OSEMON" backup run -c osemon.conf
expect_rc 2 "backup run refuses a world-readable passphrase file"
expect_match "$ERR" "passphrase-file: .*group or others" "and says why"
