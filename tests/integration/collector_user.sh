#!/bin/sh
# [global] user = NAME: started as root, the collector creates its folders
# for NAME, drops to NAME before any check runs, and keeps a root helper
# that only starts the backup run.  Needs root and useradd: a temporary
# system user is created and removed at the end.
. "$SRC/tests/lib.sh"
need useradd userdel
if [ "$(id -u)" != 0 ]; then
	echo "skip - $T_NAME: needs root"
	echo skip >>"$T_RESULTS"
	exit 0
fi

U="osemon-test-$$"
if ! useradd --system --no-create-home --shell /usr/sbin/nologin "$U" 2>"$T_TMP/useradd.err"; then
	echo "skip - $T_NAME: useradd failed: $(cat "$T_TMP/useradd.err")"
	echo skip >>"$T_RESULTS"
	exit 0
fi
trap 'userdel "$U" 2>/dev/null; t_cleanup' EXIT
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
chmod 755 "$T_TMP" # NAME must reach its folders
D="$T_TMP/c"
mkdir -p "$D"
cd "$D" || exit 1

conf() { # extra lines for [global], then more sections
	cat <<EOF
[global]
user = $U
retries = 1
interval = 1
rrd-dir = rrd
graph-dir = www
state-dir = state
$1

[check whoami]
probe = exec
command = sh -c "echo \\"OK uid \$(id -u) | uid=\$(id -u)\\""
EOF
}

# --- 1. run --once: folders made for NAME, the check ran as NAME --------
conf "" >once.conf
t_run "$OSEMON" run --once -c once.conf
expect_rc 0 "run --once as root with user = $U"
expect_match "$OUT" "^whoami +OK +OK uid $UID_U\$" "the check ran as $U (uid $UID_U)"
expect_match "$ERR" "running as $U \\(uid $UID_U, gid $GID_U\\)" "the drop is logged"
expect_eq "$(stat -c %u:%g state rrd www)" "$(printf '%s\n' "$UID_U:$GID_U" "$UID_U:$GID_U" "$UID_U:$GID_U")" "state-dir, rrd-dir, graph-dir created for $U"
expect_eq "$(stat -c %u state/state.json)" "$UID_U" "state file owned by $U"
expect_eq "$(stat -c %u rrd/whoami/uid.rrd)" "$UID_U" "RRD file owned by $U"
expect_eq "$(stat -c %u www/index.html)" "$UID_U" "status page owned by $U"
expect_eq "$(find state rrd www ! -uid "$UID_U" | wc -l)" 0 "nothing in the folders belongs to another user"

# Root's leftovers in folders NAME owns are handed over.
touch state/left-by-root
mkdir rrd/rootdir
t_run "$OSEMON" run --once -c once.conf
expect_rc 0 "second run --once"
expect_eq "$(stat -c %u state/left-by-root rrd/rootdir | sort -u)" "$UID_U" "root-owned entries in $U's folders given to $U"

# --- 2. refusals ----------------------------------------------------------
sed "s/^user = .*/user = osemon-no-such-user-$$/" once.conf >nouser.conf
t_run "$OSEMON" run --once -c nouser.conf
expect_rc 1 "an unknown user stops the collector"
expect_match "$ERR" "user: osemon-no-such-user-$$: no such user" "unknown user named"
mkdir -p rootonly
chmod 700 rootonly
sed "s|^state-dir = .*|state-dir = rootonly|" once.conf >rootdir.conf
t_run "$OSEMON" run --once -c rootdir.conf
expect_rc 1 "a folder $U cannot write stops the collector"
expect_match "$ERR" "state-dir $D/rootonly is not writable by $U" "the folder and the fix are named"

# --- 3. the daemon: its uid, the root helper, a backup run as root -------
AT=$(date -u -d '+5 sec' +%H:%M:%S)
printf 'not-a-real-key\n' >b2key
printf 'passphrase\n' >pass
chmod 600 b2key pass
conf "" >daemon.conf
cat >>daemon.conf <<EOF

[b2]
api-url = http://127.0.0.1:9
key-id = test
key-file = b2key
bucket = b

[backup]
schedule = $AT
paths = $D/once.conf
passphrase-file = pass
local-dir = $D/backups
log-file = backup.log
EOF
t_bg "$OSEMON" run -c daemon.conf 2>daemon.err
PID=$T_LAST_PID
n=0 # state.json exists already: wait for the daemon's own start line
while ! grep -q 'started: ' daemon.err && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
expect_match "$(grep '^Uid:' /proc/"$PID"/status)" "^Uid:[[:space:]]+$UID_U[[:space:]]+$UID_U[[:space:]]+$UID_U[[:space:]]+$UID_U\$" "daemon runs as $U (real, effective, saved, fs uid)"
expect_match "$(grep '^Gid:' /proc/"$PID"/status)" "^Gid:[[:space:]]+$GID_U[[:space:]]+$GID_U" "daemon's gid is $U's group"
expect_match "$(grep '^Groups:' /proc/"$PID"/status)" "^Groups:[[:space:]]*($GID_U)?[[:space:]]*\$" "no supplementary group of root left"
HELPER=$(ps -o pid= --ppid "$PID" -o comm= | awk '$2 == "osemon-backupd" { print $1 }')
if [ -n "$HELPER" ]; then
	t_pass "backup helper forked before the drop (pid $HELPER)"
	expect_match "$(grep '^Uid:' /proc/"$HELPER"/status)" '^Uid:[[:space:]]+0[[:space:]]' "the helper keeps root"
else
	t_fail "no osemon-backupd child of the collector"
fi
# The backup starts at its schedule through the helper, as root (its
# record is root's), fails on the closed B2 port and is reported back.
n=0
while ! grep -q 'backup: failed' daemon.err && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
expect_match "$(cat daemon.err)" 'backup: started pid [0-9]+ as root' "backup started by the root helper"
expect_match "$(cat daemon.err)" 'backup: failed \(exit 1\)' "its exit reported back to the collector"
expect_eq "$(stat -c %u state/backup.json 2>/dev/null)" 0 "the backup run had root (its record is root's)"
expect_match "$(cat daemon.err)" 'started: 1 checks' "checks scheduled after the drop"

# SIGHUP: the config is read again as $U; a new user = waits for a restart.
sed -i "s/^user = .*/user = nobody/" daemon.conf
kill -HUP "$PID"
n=0
while ! grep -q 'reloaded' daemon.err && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
expect_match "$(cat daemon.err)" 'reloaded: 1 checks' "SIGHUP reload works after the drop"
expect_match "$(cat daemon.err)" "user: still running as $U \\(a change of user = takes a restart\\)" "a changed user = is reported, not applied"
expect_match "$(grep '^Uid:' /proc/"$PID"/status)" "^Uid:[[:space:]]+$UID_U[[:space:]]" "still $U after the reload"

kill -TERM "$PID"
n=0
while kill -0 "$PID" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
expect_match "$(cat daemon.err)" 'stopped$' "daemon stopped on SIGTERM"
n=0
while [ -n "$HELPER" ] && kill -0 "$HELPER" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
if [ -n "$HELPER" ] && kill -0 "$HELPER" 2>/dev/null; then
	t_fail "backup helper still running 5 s after the collector left"
	kill "$HELPER" 2>/dev/null
else
	t_pass "backup helper left with the collector"
fi
