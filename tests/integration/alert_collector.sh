#!/bin/sh
# The collector sends alerts: an exec check flipped through a file goes
# CRITICAL -> one PROBLEM mail; a reminder after `renotify` threads to it;
# an ack stops reminders; the RECOVERY threads to the first mail; a
# downtime suppresses and announces the problem still open when it ends;
# with SMTP down the mail is spooled, the collector is killed -9 and
# restarted: the mail is delivered exactly once and the problem is not
# re-announced.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"

need openssl
cd "$T_TMP" || exit 1
smtpd_certs certs || { t_fail "test CA could not be made"; exit 0; }
printf 'secret-%s\n' "$$" >pw
chmod 600 pw
PORT=$(free_port)
MAIL="$T_TMP/mail"
echo 0 >flip
cat >flip.sh <<EOF
#!/bin/sh
case \$(cat "$T_TMP/flip") in
0) echo "FLIP OK - fine | v=1;2;3;0"; exit 0 ;;
*) echo "FLIP CRITICAL - broken | v=5;2;3;0"; exit 2 ;;
esac
EOF
chmod 755 flip.sh

write_conf() { # RENOTIFY
	cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
state-interval = 1
graph-interval = 3600
flap-detection = no
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = web1
graph-url = https://mon.example/g
group-window = 0
renotify = $1
[smtp]
server = 127.0.0.1:$PORT
user = alice
password-file = pw
ca-file = certs/ca.pem
from = osemon@web1.example
to = ops@example.com
timeout = 5
retry-min = 1
retry-max = 1
[check flip]
probe = exec
command = $T_TMP/flip.sh
EOF
}
header() { sed -n "s/^$2: \(.*\)\r\$/\1/p" "$1" | head -n 1; }
start_daemon() {
	t_bg "$OSEMON" run -c osemon.conf 2>>daemon.err >/dev/null
	DAEMON=$T_LAST_PID
}
# wait_mail N [SECONDS]: until the server stored N messages.
wait_mail() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ "$(smtpd_count "$MAIL")" -ge "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
nth() { printf '%s/%04d.eml' "$MAIL" "$1"; }

write_conf 3

# --- the command line checks what it hands over ---------------------------------
t_run "$OSEMON" ack nope -m "x" -c osemon.conf
expect_rc 2 "ack: an unknown check is refused"
expect_match "$ERR" "no \[check nope\] in osemon.conf" "ack: says which check is unknown"
t_run "$OSEMON" ack flip -c osemon.conf
expect_rc 2 "ack: -m TEXT is required"
t_run "$OSEMON" ack flip --expire yesterday -m x -c osemon.conf
expect_rc 2 "ack: a bad --expire is refused"
t_run "$OSEMON" downtime flip +1h now -c osemon.conf
expect_rc 2 "downtime: END before START is refused"
expect_eq "$(ls data/state/alerts.cmd 2>/dev/null)" "" "refused commands write nothing"

smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd did not start"; exit 0; }
start_daemon
sleep 2
expect_eq "$(smtpd_count "$MAIL")" 0 "OK at start: no mail"

# --- PROBLEM ------------------------------------------------------------------
echo 2 >flip
wait_mail 1 10
m1=$(nth 1)
expect_eq "$(header "$m1" Subject)" "** PROBLEM Service Alert: web1/flip is CRITICAL **" "problem: exact subject"
id1=$(header "$m1" Message-ID)
expect_eq "$(header "$m1" In-Reply-To)" "" "problem: first mail starts a thread"
body=$(tr -d '\r' <"$m1")
expect_match "$body" "^State: +CRITICAL \(previous: OK\)$" "problem: state and previous state"
expect_match "$body" "^Message: FLIP CRITICAL - broken$" "problem: the probe's message"
expect_match "$body" "^  v = 5  warning 2  critical 3  <- CRITICAL threshold 3 crossed$" "problem: metric with the crossed threshold"
expect_match "$body" "^Notification: +1$" "problem: notification number"
expect_match "$body" "^Graphs: +https://mon.example/g/flip$" "problem: graph link"
expect_match "$body" "^osemon [0-9.]+ on web1$" "problem: host and version footer"

# --- reminder after renotify = 3 s ---------------------------------------------
wait_mail 2 8
m2=$(nth 2)
expect_eq "$(header "$m2" In-Reply-To)" "$id1" "reminder: threads to the first problem mail"
expect_match "$(tr -d '\r' <"$m2")" "^Notification: +2 \(reminder\)$" "reminder: numbered as a reminder"

# --- ack stops reminders --------------------------------------------------------
t_run "$OSEMON" ack flip -m "on it" -c osemon.conf
expect_rc 0 "ack: handed over"
sleep 5
n=$(smtpd_count "$MAIL")
expect_eq "$n" 2 "ack: no reminder while acknowledged"

# --- RECOVERY threads to the problem ----------------------------------------------
echo 0 >flip
wait_mail 3 10
m3=$(nth 3)
expect_eq "$(header "$m3" Subject)" "** RECOVERY Service Alert: web1/flip is OK **" "recovery: exact subject"
expect_eq "$(header "$m3" In-Reply-To)" "$id1" "recovery: threads to the first problem mail"
expect_match "$(tr -d '\r' <"$m3")" "^State: +OK \(previous: CRITICAL\)$" "recovery: state and previous state"

# --- downtime: suppressed, announced when it ends -------------------------------------
t_run "$OSEMON" downtime flip now +6s -m maintenance -c osemon.conf
expect_rc 0 "downtime: handed over"
sleep 1.5
echo 2 >flip
sleep 2.5
expect_eq "$(smtpd_count "$MAIL")" 3 "downtime: the problem is not mailed during the window"
wait_mail 4 8
m4=$(nth 4)
expect_eq "$(header "$m4" Subject)" "** PROBLEM Service Alert: web1/flip is CRITICAL **" "downtime end: the open problem is announced"
expect_match "$(tr -d '\r' <"$m4")" "^still open after downtime$" "downtime end: says why"
echo 0 >flip
wait_mail 5 10

# --- SMTP down, kill -9, restart: delivered exactly once --------------------------------
smtpd_stop
echo 2 >flip
n=50
while [ $n -gt 0 ] && ! grep -q "delivering" daemon.err 2>/dev/null; do sleep 0.1; n=$((n-1)); done
sleep 1
spooled=$(ls data/state/spool | grep -c '\.eml$')
expect_eq "$spooled" 1 "SMTP down: the problem mail is spooled"
last_check() {
	$PY -c 'import json,sys; print([c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "flip"][0]["last_check"])' data/state/state.json
}
lc1=$(last_check)
sleep 2.5
lc2=$(last_check)
expect_eq "$([ "$lc2" -gt "$lc1" ] && echo yes)" yes "SMTP down: the collector keeps checking"
# renotify = 3 may have spooled a reminder meanwhile: every spooled mail
# must arrive exactly once.
ids=$(for f in data/state/spool/*.eml; do header "$f" Message-ID; done)
nspool=$(printf '%s\n' "$ids" | grep -c .)
kill -9 "$DAEMON"
wait "$DAEMON" 2>/dev/null
write_conf 0
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd restart"; exit 0; }
start_daemon
wait_mail $((5 + nspool)) 10
sleep 3
bad=""
for id in $ids; do
	got=$(for f in "$MAIL"/*.eml; do header "$f" Message-ID; done | grep -cF "$id")
	[ "$got" = 1 ] || bad="$bad $id:$got"
done
expect_eq "$bad" "" "restart: every spooled mail was delivered exactly once"
expect_eq "$(smtpd_count "$MAIL")" $((5 + nspool)) "restart: the open problem is not re-announced"
expect_eq "$(ls data/state/spool | grep -c '\.eml$')" 0 "restart: spool empty"
kill "$DAEMON"
wait "$DAEMON" 2>/dev/null
expect_no_match "$(cat daemon.err)" "secret-$$" "daemon log: no password"
