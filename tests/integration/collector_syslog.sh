#!/bin/sh
# log = syslog: the collector's log lines reach /dev/log with facility
# daemon, the right priority per event, its pid in the tag, nothing on
# stderr, and no secret.  The machine's /dev/log is not touched: the
# collector runs in a private mount namespace (unshare -m) whose /dev is a
# tmpfs holding the few devices it needs and a "log" link to a datagram
# socket this test listens on.
. "$SRC/tests/lib.sh"
need unshare mount
if [ "$(id -u)" != 0 ]; then
	echo "skip - $T_NAME: needs root (unshare -m)"
	echo skip >>"$T_RESULTS"
	exit 0
fi
if ! unshare -m true 2>/dev/null; then
	echo "skip - $T_NAME: no mount namespaces here"
	echo skip >>"$T_RESULTS"
	exit 0
fi

D="$T_TMP/s"
mkdir -p "$D/dev"
SECRET="S3cret-syslog-$$-pass"
SMTPSECRET="smtp-$$-Pa55word"
printf 'monitor:%s\n' "$SECRET" >"$D/auth"
printf '%s\n' "$SMTPSECRET" >"$D/smtppass"
chmod 600 "$D/auth" "$D/smtppass"
PORT=$(free_port)

cat >"$D/listen.py" <<'EOF'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path + ".tmp")
os.chmod(path + ".tmp", 0o666)
os.rename(path + ".tmp", path)
with open(out, "ab", buffering=0) as f:
    while True:
        data = s.recv(65536)
        f.write(data.replace(b"\n", b" ").rstrip(b"\0") + b"\n")
EOF
t_bg "$PY" "$D/listen.py" "$D/log.sock" "$D/syslog.txt"
wait_file "$D/log.sock" 10 || t_fail "listener did not start"

cat >"$D/osemon.conf" <<EOF
[global]
log = syslog
interval = 1
retries = 1
rrd-dir = rrd
graph-dir = www
state-dir = state
# no daemon there: every RRD update of the http check fails (daemon.err)
rrdcached = unix:$D/no-rrdcached.sock

[smtp]
server = 127.0.0.1:$PORT
starttls = off
user = monitor
password-file = $D/smtppass
to = ops@example.org
retry-min = 1

[check good]
probe = exec
command = sh -c "echo OK fine"

[check bad]
probe = exec
command = sh -c "echo CRITICAL broken; exit 2"

[check web]
probe = http
url = http://127.0.0.1:$PORT/
auth-file = $D/auth
timeout = 2
EOF

had_log=no
[ -e /dev/log ] && had_log=yes
# In the namespace: a tmpfs /dev with null, zero, urandom, random, fd and
# log -> our socket; then exec the collector (same pid as unshare).
cat >"$D/ns.sh" <<EOF
set -e
mount -t tmpfs tmpfs "$D/dev"
for d in null zero urandom random; do
	touch "$D/dev/\$d"
	mount --bind "/dev/\$d" "$D/dev/\$d"
done
ln -s /proc/self/fd "$D/dev/fd"
ln -s "$D/log.sock" "$D/dev/log"
mount --rbind "$D/dev" /dev
cd "$D"
exec "$OSEMON" run -c "$D/osemon.conf"
EOF
t_bg unshare -m sh "$D/ns.sh" 2>"$D/err.log" >"$D/out.log"
PID=$T_LAST_PID
n=0
while ! grep -q 'check web: CRITICAL HARD' "$D/syslog.txt" 2>/dev/null && [ $n -lt 150 ]; do
	sleep 0.1
	n=$((n + 1))
done
sleep 1.5 # a delivery attempt to the closed SMTP port, a few more runs
kill -TERM "$PID"
n=0
while kill -0 "$PID" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
sleep 0.2
LOG=$(cat "$D/syslog.txt" 2>/dev/null)

# Facility daemon (3): <24 + severity>.  NOTICE 5, WARNING 4, ERR 3.
if [ -n "${T_VERBOSE:-}" ]; then printf '%s\n' "$LOG"; fi
expect_match "$LOG" "^<29>.* osemon\\[$PID\\]: started: 3 checks" "start logged at daemon.notice with the pid"
expect_match "$LOG" "^<28>.* osemon\\[$PID\\]: check bad: CRITICAL HARD \\(was OK\\): CRITICAL broken" "hard problem at daemon.warning"
expect_match "$LOG" "^<28>.* osemon\\[$PID\\]: check web: CRITICAL HARD" "http failure at daemon.warning"
expect_match "$LOG" "^<27>.* osemon\\[$PID\\]: check web: rrd: rrdcached" "a storage error at daemon.err"
expect_no_match "$LOG" "check good" "an OK check that stays OK logs nothing"
expect_match "$LOG" "^<29>.* osemon\\[$PID\\]: stopping: finishing" "SIGTERM logged at daemon.notice"
expect_match "$LOG" "^<29>.* osemon\\[$PID\\]: stopped\$" "stop logged at daemon.notice"
expect_no_match "$LOG" "^<(2[0-3]|[0-9]|1[0-9]|3[2-9]|[4-9][0-9])>" "every line has facility daemon"
expect_no_match "$LOG" "$SECRET" "the http auth password is in no log line"
expect_no_match "$LOG" "$SMTPSECRET" "the SMTP password is in no log line"
expect_no_match "$LOG" "monitor:" "the auth-file's user:password pair is in no log line"
expect_eq "$(grep -c 'osemon' "$D/err.log")" 0 "nothing logged to stderr with log = syslog"
if [ -e /dev/log ]; then now_log=yes; else now_log=no; fi
expect_eq "$now_log" "$had_log" "the machine's /dev/log is as it was"
