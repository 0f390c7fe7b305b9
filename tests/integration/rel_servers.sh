#!/bin/sh
# Reliability: the servers the collector talks to hang, stall, trickle,
# refuse or reset (tests/lib/faultsrv.py on loopback), varnishstat hangs
# or prints junk.  While the http,
# b2 and mysql checks sit on them and an alert is stuck on a hung SMTP server,
# a 1 s "tick" check keeps its cadence (the cycle is never delayed past
# a check's deadline), every check is re-run after its deadline, and each
# gets the right state and reason in status.json.
. "$SRC/tests/lib.sh"
cd "$T_TMP" || exit 1

HANG=$(free_port)
SLOW=$(free_port)
RESET=$(free_port)
MIDRESET=$(free_port)
BACKLOG=$(free_port)
GREET=$(free_port)
REFUSED=$(free_port)
t_bg $PY "$SRC/tests/lib/faultsrv.py" hang:$HANG slow:$SLOW reset:$RESET \
    midreset:$MIDRESET backlog:$BACKLOG greet:$GREET
for p in $HANG $SLOW $RESET $MIDRESET $GREET; do
	wait_port "$p" 10 || { t_fail "fault server port $p did not start"; exit 0; }
done
printf 'K001testapplicationkey\n' >b2key
chmod 600 b2key
printf '[client]\nuser=osemon\npassword=not-used\n' >my.cnf
chmod 600 my.cnf

# varnishd hung: varnishstat never answers; varnishd gone mad: junk.
printf '#!/bin/sh\nsleep 60\n' >varnishstat-hung
printf '#!/bin/sh\necho "{ not json"\n' >varnishstat-junk
chmod 755 varnishstat-hung varnishstat-junk

cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
timeout = 2
concurrency = 12
status-interval = 1
graph-interval = 3600
flap-detection = no
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = rel
group-window = 0
[smtp]
server = 127.0.0.1:$GREET
starttls = off
from = osemon@rel.example
to = ops@example.com
timeout = 2
retry-min = 1
retry-max = 1
[check tick]
probe = exec
command = /bin/sh -c "date +%s.%N >>$T_TMP/ticks; echo TICK OK"
timeout = 5
[check http-hang]
probe = http
url = http://127.0.0.1:$HANG/
[check http-slow]
probe = http
url = http://127.0.0.1:$SLOW/
[check http-backlog]
probe = http
url = http://127.0.0.1:$BACKLOG/
[check http-reset]
probe = http
url = http://127.0.0.1:$RESET/
[check http-midreset]
probe = http
url = http://127.0.0.1:$MIDRESET/
[check http-refused]
probe = http
url = http://127.0.0.1:$REFUSED/
[check b2-hang]
probe = b2
bucket = backups
key-id = 0012testkeyid
key-file = $T_TMP/b2key
api-url = http://127.0.0.1:$HANG
[check mysql-hang]
probe = mysql
defaults-file = $T_TMP/my.cnf
hostname = 127.0.0.1
port = $HANG
[check mysql-garbage]
probe = mysql
defaults-file = $T_TMP/my.cnf
hostname = 127.0.0.1
port = $GREET
[check varnish-hung]
probe = varnish
varnishstat = $T_TMP/varnishstat-hung
[check varnish-junk]
probe = varnish
varnishstat = $T_TMP/varnishstat-junk
[check alarm]
probe = exec
command = /bin/sh -c "echo ALARM CRITICAL - for the hung SMTP server; exit 2"
EOF
t_run "$OSEMON" config check -c osemon.conf
expect_rc 0 "config with every faulty server is valid"

t_bg "$OSEMON" run -c osemon.conf 2>daemon.err
DAEMON=$T_LAST_PID
sleep 9
kill "$DAEMON" 2>/dev/null
n=0
while kill -0 "$DAEMON" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
expect_eq "$(kill -0 "$DAEMON" 2>/dev/null && echo running || echo stopped)" stopped \
    "SIGTERM stops the collector within 5 s while servers hang"

# The tick check: started at most 1 s late whatever hangs.
gaps=$(awk 'NR > 1 { g = $1 - p; if (g > m) m = g } { p = $1 } END { printf "%d %.2f", NR, m }' ticks)
expect_near "${gaps%% *}" 9 2 "tick ran every second for 9 s (runs)"
expect_near "${gaps#* }" 1.0 0.6 "largest gap between two ticks is about 1 s"

# States and reasons, and every faulty check re-ran after its deadline.
t_run "$OSEMON" status -c osemon.conf --json
expect_rc 0 "status --json"
printf '%s\n' "$OUT" >status.json
summary() { # CHECK: "STATE REASON AGE"
	$PY - "$1" 2>/dev/null <<'PY'
import json, sys, time
doc = json.load(open("status.json"))
for c in doc["checks"]:
    if c["name"] == sys.argv[1]:
        r = c.get("result") or {}
        print(c["state"], r.get("reason"), int(time.time() - c.get("last_check", 0)))
PY
}
for c in http-hang http-slow http-backlog b2-hang mysql-hang varnish-hung; do
	s=$(summary $c)
	expect_match "$s" '^CRITICAL timeout [0-9]+$' "$c: CRITICAL, reason timeout"
	expect_near "${s##* }" 2 3 "$c: re-run after its deadline (last check ${s##* } s before the end)"
done
for c in http-reset http-midreset; do
	expect_match "$(summary $c)" '^CRITICAL protocol ' "$c: CRITICAL, reason protocol (reset by peer)"
done
expect_match "$(summary http-refused)" '^CRITICAL connect ' "http-refused: CRITICAL, reason connect"
expect_match "$(summary mysql-garbage)" '^CRITICAL protocol ' "mysql-garbage (an SMTP banner): CRITICAL, reason protocol"
expect_match "$(summary varnish-junk)" '^(CRITICAL|UNKNOWN) bad-output ' "varnish-junk: reason bad-output"
expect_eq "$(pgrep -f "$T_TMP/varnishstat-hung" | wc -l)" 0 "the hung varnishstat children were killed at their deadline"
expect_match "$(summary tick)" '^OK ' "tick: OK"

# The alert for "alarm" met a server that greets and then says nothing:
# delivery gave up at its timeout, the mail stays spooled for a retry.
expect_match "$(ls data/state/spool 2>/dev/null)" '\.eml' "alert kept in the spool after the hung SMTP session"
expect_match "$(cat daemon.err)" 'NOT delivered: 127\.0\.0\.1:[0-9]+: .*kept in spool, retry' "the stuck SMTP session is logged as not delivered, kept for retry"
