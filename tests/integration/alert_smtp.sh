#!/bin/sh
# `osemon alert test|flush|list` against a real SMTP server on loopback
# (tests/lib/smtpd.py: STARTTLS with a test CA, AUTH, stored messages):
# delivered with the exact subject and headers; a refused recipient is
# reported while the others get the mail; a wrong password and an
# untrusted certificate send nothing and keep the mail spooled with a
# clear message; SMTP down -> spooled, delivered exactly once when the
# server is back; a hung server is cut at the timeout; the password never
# shows in argv, output, logs, spool or mails.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"

need openssl
cd "$T_TMP" || exit 1
smtpd_certs certs || { t_fail "test CA could not be made"; exit 0; }
SECRET="Pw-$$-zebra-7"
printf '%s\n' "$SECRET" >pw
chmod 600 pw
printf 'wrong-%s\n' "$$" >badpw
chmod 600 badpw
PORT=$(free_port)
MAIL="$T_TMP/mail"

write_conf() { # FILE PASSWORD-FILE CA-FILE [extra smtp lines]
	cat >"$1" <<EOF
[global]
state-dir = state
hostname = web1
graph-url = https://mon.example/graphs/
[smtp]
server = 127.0.0.1:$PORT
user = alice
password-file = $2
ca-file = $3
from = osemon@web1.example
to = ops@example.com, dev@example.com
retry-min = 1
${4:-timeout = 5}
[check web]
probe = exec
command = /bin/true
EOF
}
write_conf good.conf pw certs/ca.pem
write_conf badpw.conf badpw certs/ca.pem
write_conf slow.conf pw certs/ca.pem "timeout = 2"

spool_count() { ls state/spool 2>/dev/null | grep -c '\.eml$'; }
header() { # FILE NAME: the value of the first NAME: header
	sed -n "s/^$2: \(.*\)\r\$/\1/p" "$1" | head -n 1
}

# --- delivered, exact subject and headers --------------------------------
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw --refuse nobody@example.com ||
    { t_fail "smtpd did not start"; exit 0; }
t_run "$OSEMON" alert test -c good.conf
expect_rc 0 "alert test: delivered exits 0"
expect_match "$OUT" "^connect 127.0.0.1:$PORT: ok" "alert test: reports the connect step"
expect_match "$OUT" "^starttls: ok \(TLSv1.2, certificate verified\)" "alert test: reports verified STARTTLS"
expect_match "$OUT" "^auth: ok \(user alice\)" "alert test: reports AUTH"
expect_match "$OUT" "recipient ops@example.com: accepted \(250\)" "alert test: reports each recipient (1)"
expect_match "$OUT" "recipient dev@example.com: accepted \(250\)" "alert test: reports each recipient (2)"
expect_match "$OUT" "^result: test mail delivered$" "alert test: says it was delivered"
expect_eq "$(smtpd_count "$MAIL")" 1 "alert test: the server stored one message"
m="$MAIL/0001.eml"
expect_eq "$(header "$m" Subject)" "** TEST Service Alert: web1/alert-test is OK **" "mail: exact Nagios-style subject"
expect_eq "$(header "$m" From)" "osemon@web1.example" "mail: From header"
expect_eq "$(header "$m" To)" "ops@example.com, dev@example.com" "mail: To header"
expect_eq "$(header "$m" Auto-Submitted)" "auto-generated" "mail: Auto-Submitted header"
expect_eq "$(header "$m" Content-Type)" "text/plain; charset=UTF-8" "mail: MIME text/plain UTF-8"
expect_eq "$(header "$m" MIME-Version)" "1.0" "mail: MIME-Version"
expect_match "$(header "$m" Message-ID)" '^<osemon\.[0-9]+\.[0-9]+\.[0-9]+\.[0-9a-f]{16}@web1>$' "mail: Message-ID"
expect_match "$(header "$m" Date)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}$' "mail: RFC 5322 Date"
expect_eq "$(sed '/^\r$/q' "$m" | grep -ic '^\(date\|message-id\|from\|to\):')" 4 "mail: libesmtp added no second Date/Message-ID/From/To"
expect_eq "$(grep -c '^rcpt ' "$MAIL/0001.env")" 2 "mail: both envelope recipients"
expect_eq "$(sed -n 's/^tls //p;s/^auth //p' "$MAIL/0001.env" | tr '\n' ' ')" "yes yes " "mail: went over TLS and AUTH"
expect_eq "$(spool_count)" 0 "alert test: delivered mail leaves the spool"

# --- a refused recipient --------------------------------------------------
write_conf refuse.conf pw certs/ca.pem
sed -i 's/^to = .*/to = ops@example.com, nobody@example.com/' refuse.conf
t_run "$OSEMON" alert test -c refuse.conf
expect_rc 1 "refused recipient: exit 1"
expect_match "$OUT" "recipient nobody@example.com: REFUSED \(550 " "refused recipient: reported with the server's reply"
expect_match "$OUT" "recipient ops@example.com: accepted" "refused recipient: the other one accepted"
expect_eq "$(smtpd_count "$MAIL")" 2 "refused recipient: the others still got the mail"
expect_eq "$(grep '^rcpt ' "$MAIL/0002.env" | tr '\n' ' ')" "rcpt ops@example.com " "refused recipient: envelope holds only the accepted one"
expect_eq "$(spool_count)" 0 "refused recipient: not retried"

# --- wrong password -------------------------------------------------------
t_run "$OSEMON" alert test -c badpw.conf
expect_rc 1 "wrong password: exit 1"
expect_match "$OUT" "^auth: FAILED for user alice: 535 " "wrong password: clear auth failure"
expect_match "$OUT" "result: test mail NOT delivered; it stays in the spool" "wrong password: says it stays spooled"
expect_eq "$(smtpd_count "$MAIL")" 2 "wrong password: nothing sent"
expect_eq "$(spool_count)" 1 "wrong password: mail kept in the spool"
t_run "$OSEMON" alert list -c good.conf
expect_match "$OUT" "attempts=1 .*error=127.0.0.1:$PORT: authentication failed" "alert list: shows attempts and the last error"
smtpd_stop

# --- untrusted certificate --------------------------------------------------
smtpd_start "$PORT" "$MAIL" --cert certs/rogue.pem --key certs/rogue.key \
    --user alice --password-file pw || { t_fail "rogue smtpd"; exit 0; }
t_run "$OSEMON" alert test -c good.conf
expect_rc 1 "untrusted certificate: exit 1"
expect_match "$OUT" "^starttls: FAILED: unable to get local issuer certificate \(mail not sent\)" "untrusted certificate: clear TLS failure"
expect_no_match "$OUT" "^auth:" "untrusted certificate: no AUTH attempted (password not exposed)"
expect_eq "$(smtpd_count "$MAIL")" 2 "untrusted certificate: nothing sent"
expect_eq "$(spool_count)" 2 "untrusted certificate: mail kept in the spool"
smtpd_stop

# --- SMTP down, then back: delivered exactly once ---------------------------
t_run "$OSEMON" alert test -c good.conf
expect_rc 1 "SMTP down: exit 1"
expect_match "$OUT" "connect 127.0.0.1:$PORT: FAILED: Connection refused" "SMTP down: reports the refused connect"
expect_eq "$(spool_count)" 3 "SMTP down: mail spooled"
ids=$(for f in state/spool/*.eml; do header "$f" Message-ID; done | sort)
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd restart"; exit 0; }
t_run "$OSEMON" alert flush -c good.conf
expect_rc 0 "server back: flush exits 0"
expect_eq "$(spool_count)" 0 "server back: spool emptied"
t_run "$OSEMON" alert flush -c good.conf
expect_eq "$(smtpd_count "$MAIL")" 5 "server back: the 3 spooled mails arrived, a second flush sent nothing"
got=$(for f in "$MAIL"/000[345].eml; do header "$f" Message-ID; done | sort)
expect_eq "$got" "$ids" "server back: each spooled mail delivered exactly once"

# --- a hung server is cut at the deadline -----------------------------------
smtpd_stop
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw --data-delay 30 || { t_fail "slow smtpd"; exit 0; }
start=$(date +%s)
"$OSEMON" alert test -c slow.conf >slow.out 2>&1 &
apid=$!
sleep 1
ps -eo args >ps.txt
wait $apid
RC=$?
took=$(( $(date +%s) - start ))
expect_eq "$RC" 1 "hung server: exit 1"
# libesmtp's own timeouts get the remaining deadline (RFC minimums
# overridden); the parent's SIGKILL at the deadline is the backstop.
expect_match "$(cat slow.out)" "(NOT delivered: .*message not accepted|timeout: delivery killed after 2 s)" "hung server: given up at the timeout"
expect_near "$took" 3 2 "hung server: returns within the deadline"
expect_eq "$(spool_count)" 1 "hung server: mail stays spooled"

# --- failover: the first server is down, the second takes the mail ----------
smtpd_stop
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd restart"; exit 0; }
DEAD=$(free_port)
write_conf failover.conf pw certs/ca.pem
sed -i "s/^server = .*/server = 127.0.0.1:$DEAD, 127.0.0.1:$PORT/" failover.conf
before=$(smtpd_count "$MAIL")
t_run "$OSEMON" alert test -c failover.conf
expect_rc 0 "failover: delivered through the second server"
expect_match "$OUT" "connect 127.0.0.1:$DEAD: FAILED: Connection refused" "failover: the first server's failure is reported"
expect_match "$OUT" "delivered via 127.0.0.1:$PORT" "failover: says which server took it"
expect_eq "$(smtpd_count "$MAIL")" $((before + 1)) "failover: one message"
smtpd_stop

# --- a server without STARTTLS: refused unless starttls = off ------------------
smtpd_start "$PORT" "$MAIL" --no-tls || { t_fail "plain smtpd"; exit 0; }
write_conf plain.conf pw certs/ca.pem
sed -i '/^user = /d; /^password-file = /d' plain.conf
before=$(smtpd_count "$MAIL")
t_run "$OSEMON" alert test -c plain.conf
expect_rc 1 "no STARTTLS offered: not sent when starttls = required"
expect_match "$OUT" "STARTTLS failed: server does not offer STARTTLS" "no STARTTLS offered: clear message"
expect_eq "$(smtpd_count "$MAIL")" "$before" "no STARTTLS offered: nothing sent in clear"
write_conf plainoff.conf pw certs/ca.pem "starttls = off"
sed -i '/^user = /d; /^password-file = /d' plainoff.conf
t_run "$OSEMON" alert flush -c plainoff.conf
expect_rc 0 "starttls = off: the spooled mails go out in clear"
expect_eq "$(sed -n 's/^tls //p' "$MAIL/$(printf '%04d' $((before + 1))).env")" "no" "starttls = off: really without TLS"
smtpd_stop

# --- a recipient refused for now: the others once, it alone on the retry ----
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw --tempfail dev@example.com ||
    { t_fail "smtpd restart"; exit 0; }
rm -f state/spool/*
before=$(smtpd_count "$MAIL")
t_run "$OSEMON" alert test -c good.conf
expect_rc 1 "450 recipient: not done yet"
expect_match "$OUT" "recipient dev@example.com: not accepted yet \(450 " "450 recipient: reported as pending"
expect_eq "$(smtpd_count "$MAIL")" $((before + 1)) "450 recipient: the other recipient got it"
expect_eq "$(sed -n 's/^rcpt //p' state/spool/*.meta)" "dev@example.com" "450 recipient: only it stays pending"
smtpd_stop
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd restart"; exit 0; }
t_run "$OSEMON" alert flush -c good.conf
expect_rc 0 "450 recipient: delivered on the retry"
expect_eq "$(grep -h '^rcpt ' "$MAIL/$(printf '%04d' $((before + 1))).env" "$MAIL/$(printf '%04d' $((before + 2))).env" | sort | tr '\n' ' ')" \
    "rcpt dev@example.com rcpt ops@example.com " "450 recipient: each recipient got the mail exactly once"
smtpd_stop

# --- a spooled mail arrives byte for byte (dot-stuffing, long lines) ---------
smtpd_start "$PORT" "$MAIL" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file pw || { t_fail "smtpd restart"; exit 0; }
rm -f state/spool/*
printf 'From: osemon@web1.example\r\nTo: ops@example.com\r\nSubject: dots\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <dots@web1>\r\n\r\nline1\r\n.\r\n..two\r\n.three\r\nlast\r\n' \
    >state/spool/000000000001-0000001-000001-00000000.eml
cp state/spool/000000000001-0000001-000001-00000000.eml sent.eml
before=$(smtpd_count "$MAIL")
t_run "$OSEMON" alert flush -c good.conf
expect_rc 0 "raw spool file: delivered"
got="$MAIL/$(printf '%04d' $((before + 1))).eml"
if cmp -s sent.eml "$got"; then
	t_pass "raw spool file: received byte for byte (lines starting with '.')"
else
	t_fail "raw spool file: received differs: $(diff sent.eml "$got" | head -c 300)"
fi
smtpd_stop

# --- a server that trickles its greeting: only the hard deadline stops it ----
# Each byte comes before libesmtp's read timeout, so only the SIGKILL of the
# delivering child at `timeout` ends the session.
TPORT=$(free_port)
t_bg $PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"220")
        for _ in range(600):
            time.sleep(0.2); c.sendall(b"-")
    except OSError:
        pass
    c.close()
' "$TPORT"
wait_port "$TPORT" 10
write_conf trickle.conf pw certs/ca.pem "timeout = 2"
sed -i "s/^server = .*/server = 127.0.0.1:$TPORT/" trickle.conf
start=$(date +%s)
t_run "$OSEMON" alert test -c trickle.conf
took=$(( $(date +%s) - start ))
expect_rc 1 "trickling server: exit 1"
expect_match "$OUT" "^timeout: delivery killed after 2 s \(mail stays spooled\)$" "trickling server: the child is killed at the deadline"
expect_near "$took" 3 2 "trickling server: returns at the deadline"

# --- the password is nowhere -------------------------------------------------
leak=$(grep -rl -- "$SECRET" ps.txt slow.out state "$MAIL" "$T_TMP/smtpd.log" \
    "$T_TMP/smtpd.err" "$T_TMP/out" "$T_TMP/err" 2>/dev/null)
expect_eq "$leak" "" "password: not in argv, output, logs, spool or mails"
b64=$(printf '%s' "$SECRET" | base64)
leak=$(grep -rl -- "$b64" ps.txt slow.out state "$MAIL" "$T_TMP/smtpd.log" 2>/dev/null)
expect_eq "$leak" "" "password: not even base64-encoded"

# --- a group-readable password file is refused -------------------------------
chmod 640 pw
t_run "$OSEMON" alert test -c good.conf
expect_rc 2 "password-file mode 0640: refused before connecting"
expect_match "$OUT" "^password-file: FAILED: " "password-file mode 0640: clear message"
chmod 600 pw
