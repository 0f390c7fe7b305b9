#!/bin/sh
# Flapping through the collector: a check flipping every second starts
# flapping -> one FLAPPINGSTART mail and no PROBLEM/RECOVERY mails while it
# flaps; once it stays CRITICAL the flapping stops -> FLAPPINGSTOP, in the
# same thread as the problem.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"

need openssl
cd "$T_TMP" || exit 1
smtpd_certs certs || { t_fail "test CA could not be made"; exit 0; }
PORT=$(free_port)
MAIL="$T_TMP/mail"
echo 0 >flip
cat >flip.sh <<EOF
#!/bin/sh
case \$(cat "$T_TMP/flip") in
0) echo "OK - fine"; exit 0 ;;
*) echo "CRITICAL - broken"; exit 2 ;;
esac
EOF
chmod 755 flip.sh
cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
graph-interval = 3600
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = web1
group-window = 0
renotify = 0
[smtp]
server = 127.0.0.1:$PORT
ca-file = certs/ca.pem
from = osemon@web1.example
to = ops@example.com
retry-min = 1
[check flip]
probe = exec
command = $T_TMP/flip.sh
high-flap-threshold = 15
low-flap-threshold = 14
EOF
subjects() {
	for f in "$MAIL"/*.eml; do
		[ -f "$f" ] && sed -n 's/^Subject: \(.*\)\r$/\1/p' "$f"
	done
}
wait_subject() { # REGEX SECONDS
	_n=$(( $2 * 10 ))
	while [ "$_n" -gt 0 ]; do
		subjects | grep -Eq -- "$1" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key ||
    { t_fail "smtpd did not start"; exit 0; }
t_bg "$OSEMON" run -c osemon.conf 2>daemon.err >/dev/null
DAEMON=$T_LAST_PID
sleep 1.5
i=0
while [ $i -lt 14 ] && ! subjects | grep -q FLAPPINGSTART; do
	if [ $((i % 2)) -eq 0 ]; then echo 2 >flip; else echo 0 >flip; fi
	sleep 1.1
	i=$((i + 1))
done
wait_subject '^\*\* FLAPPINGSTART Service Alert: web1/flip is ' 5
expect_eq "$(subjects | grep -c FLAPPINGSTART)" 1 "flapping: one FLAPPINGSTART mail"
n_start=$(smtpd_count "$MAIL")
# Keep flipping: nothing is mailed while it flaps.
for i in 1 2; do
	if [ $((i % 2)) -eq 0 ]; then echo 2 >flip; else echo 0 >flip; fi
	sleep 1.1
done
expect_eq "$(smtpd_count "$MAIL")" "$n_start" "flapping: no PROBLEM/RECOVERY mail while it flaps"
echo 2 >flip
if wait_subject '^\*\* FLAPPINGSTOP Service Alert: web1/flip is CRITICAL \*\*$' 40; then
	t_pass "flapping: FLAPPINGSTOP once the check stays CRITICAL"
else
	t_fail "flapping: no FLAPPINGSTOP ($(subjects | tr '\n' ';'))"
fi
kill "$DAEMON"
wait "$DAEMON" 2>/dev/null
