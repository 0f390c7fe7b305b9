#!/bin/sh
# Storm control in the collector: ten checks going CRITICAL together are
# one mail listing all of them (group-window); with max-per-hour = 2 the
# third mail is held back and the next one says how many were suppressed;
# reminders of several open problems fold into one digest.
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
{
	cat <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
graph-interval = 3600
flap-detection = no
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = web1
group-window = 3
max-per-hour = 3
renotify = 6
[smtp]
server = 127.0.0.1:$PORT
starttls = required
ca-file = certs/ca.pem
from = osemon@web1.example
to = ops@example.com
retry-min = 1
EOF
	for i in 01 02 03 04 05 06 07 08 09 10; do
		printf '[check c%s]\nprobe = exec\ncommand = %s/flip.sh\n' "$i" "$T_TMP"
	done
	printf 'to = dba@example.com\n'
} >osemon.conf
header() { sed -n "s/^$2: \(.*\)\r\$/\1/p" "$1" | head -n 1; }
wait_mail() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ "$(smtpd_count "$MAIL")" -ge "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key ||
    { t_fail "smtpd did not start"; exit 0; }
t_bg "$OSEMON" run -c osemon.conf 2>daemon.err >/dev/null
DAEMON=$T_LAST_PID
sleep 2
echo 2 >flip
wait_mail 1 12
sleep 1
expect_eq "$(smtpd_count "$MAIL")" 1 "burst of 10 problems: one mail"
m="$MAIL/0001.eml"
expect_eq "$(header "$m" Subject)" "** PROBLEM: web1 10 services CRITICAL (c01, c02, c03, c04, c05, c06, c07, c08, c09, c10) **" "burst: subject lists every check"
expect_eq "$(tr -d '\r' <"$m" | grep -c '^PROBLEM: web1/c[0-9]* is CRITICAL$')" 10 "burst: a section per check"
expect_eq "$(header "$m" To)" "ops@example.com, dba@example.com" "burst: per-check 'to' adds a recipient"
expect_eq "$(grep -c '^rcpt ' "$MAIL/0001.env")" 2 "burst: both envelope recipients"

# Reminders of the ten open problems: one digest (mail 2 of max 3/hour).
wait_mail 2 12
m="$MAIL/0002.eml"
expect_eq "$(header "$m" Subject)" "** PROBLEM: web1 10 problems still open, worst CRITICAL (c01, c02, c03, c04, c05, c06, c07, c08, c09, c10) **" "reminders: one digest for ten problems"
expect_eq "$(header "$m" In-Reply-To)" "$(header "$MAIL/0001.eml" Message-ID)" "reminders: the digest threads to the problem mail"

# Recovery (mail 3), then a new burst is over the hourly cap: held back.
echo 0 >flip
wait_mail 3 12
expect_match "$(header "$MAIL/0003.eml" Subject)" "^\*\* RECOVERY: web1 10 services OK " "recovery: grouped too"
echo 2 >flip
sleep 6
expect_eq "$(smtpd_count "$MAIL")" 3 "cap: the fourth mail in the hour is held back"
expect_match "$(cat daemon.err)" "spooled" "cap: the daemon keeps running and logging"
kill "$DAEMON"
wait "$DAEMON" 2>/dev/null
$PY - data/state/alerts.json <<'EOF' >suppressed.txt
import json, sys
print(json.load(open(sys.argv[1]))["suppressed"])
EOF
expect_eq "$(cat suppressed.txt)" 10 "cap: the held-back notifications are counted for the next mail"
