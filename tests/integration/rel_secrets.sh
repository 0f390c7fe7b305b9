#!/bin/sh
# Security: one collector run (--once, then 4 s as a daemon) and a backup
# run with every kind of secret: the SMTP password (STARTTLS + AUTH), the
# B2 application key, the mysql option file's password and the gpg
# passphrase.  While they run, every process's argv (/proc/*/cmdline) and
# environment (/proc/*/environ: the children's too) is scanned; after, the
# logs, the mails received, state.json, status.json and every page of the
# status site.  No secret may appear anywhere.  The status page escapes a
# probe message holding <script>, and an http check with `insecure` (TLS
# verification off) is logged and marked on the status page.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"
. "$SRC/tests/lib/mariadb.sh"
need openssl mariadbd mariadb-install-db mariadb gpg tar
cd "$T_TMP" || exit 1

rnd() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
SMTP_PW="smtp-$(rnd)"
B2_KEY="K001b2$(rnd)"
GPG_PASS="gpg-$(rnd)"
KEY_ID=0012testkeyid
printf '%s\n' "$SMTP_PW" >smtp.pw
printf '%s\n' "$B2_KEY" >b2.key
printf '%s\n' "$GPG_PASS" >gpg.pass
chmod 600 smtp.pw b2.key gpg.pass

smtpd_certs certs || { t_fail "test CA could not be made"; exit 0; }
mariadb_start || { t_fail "mariadbd did not start"; exit 0; }
MYSQL_PW=$MDB_PASSWORD
cp "$MDB_CNF" my.cnf
printf 'socket=%s\n' "$MDB_SOCK" >>my.cnf
chmod 600 my.cnf

SPORT=$(free_port)
smtpd_start "$SPORT" "$T_TMP/mail" --cert certs/server.pem --key certs/server.key \
    --user alice --password-file smtp.pw || { t_fail "smtpd did not start"; exit 0; }
# The b2 test server takes its key on the command line: it is the test's
# own process and is left out of the argv scan below.
t_bg $PY "$SRC/tests/lib/b2server.py" --port-file b2.port --key-id $KEY_ID \
    --key "$B2_KEY" >b2.log 2>&1
wait_file b2.port 10 || { t_fail "b2 server did not start"; exit 0; }
B2URL="http://127.0.0.1:$(cat b2.port)"
HPORT=$(free_port)
t_bg $PY -c 'import http.server, ssl, sys
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()' "$HPORT" certs/rogue.pem certs/rogue.key 2>/dev/null
wait_port "$HPORT" 10 || { t_fail "https server did not start"; exit 0; }

mkdir -p fs/etc fs/www backups
echo 'listen = 80' >fs/etc/app.conf
echo '<h1>hi</h1>' >fs/www/index.html
cat >envdump.sh <<EOF
#!/bin/sh
env >"$T_TMP/child.env"
sleep 1
echo "XSS CRITICAL - <script>alert('x')</script> & <b>bold</b>"
exit 2
EOF
chmod 755 envdump.sh

cat >osemon.conf <<EOF
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
hostname = sec
group-window = 0
[smtp]
server = 127.0.0.1:$SPORT
starttls = required
user = alice
password-file = smtp.pw
ca-file = certs/ca.pem
from = osemon@sec.example
to = ops@example.com
timeout = 5
retry-min = 1
retry-max = 1
[b2]
api-url = $B2URL
key-id = $KEY_ID
key-file = b2.key
bucket = backups
[backup]
hostname = sec
paths = $T_TMP/fs/etc, $T_TMP/fs/www
mysql-defaults-file = my.cnf
passphrase-file = gpg.pass
local-dir = $T_TMP/backups
log-file = backup.log
schedule = 04:00
[check b2]
probe = b2
bucket = backups
key-id = $KEY_ID
key-file = $T_TMP/b2.key
api-url = $B2URL
[check db]
probe = mysql
defaults-file = $T_TMP/my.cnf
socket = $MDB_SOCK
[check env]
probe = exec
command = $T_TMP/envdump.sh
[check tls-off]
probe = http
url = https://localhost:$HPORT/
insecure = yes
EOF
t_run "$OSEMON" config check -c osemon.conf
expect_rc 0 "config with every secret file is valid"

# The scanner: every process but the test's own b2 server, argv and
# environment, every 20 ms until told to stop.
cat >scan.py <<'EOF'
import os, sys, time
secrets = [s.encode() for s in open(sys.argv[1]).read().split()]
stop, out, ours = sys.argv[2], sys.argv[3], sys.argv[4].encode()
me = str(os.getpid())
hits, seen = set(), set()
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            argv = open("/proc/%s/cmdline" % pid, "rb").read()
            env = open("/proc/%s/environ" % pid, "rb").read()
        except OSError:
            continue
        if b"b2server.py" in argv:
            continue
        if ours in argv or ours in env:
            seen.add(argv.split(b"\0")[0].split(b"/")[-1].decode("latin-1"))
        for s in secrets:
            for where, text in (("argv", argv), ("environ", env)):
                if s in text:
                    hits.add("%s of %s" % (where, argv.replace(b"\0", b" ")[:80].decode("latin-1")))
    time.sleep(0.02)
open(out, "w").write("\n".join(sorted(hits)) + "\n" if hits else "")
open(out + ".seen", "w").write(" ".join(sorted(seen)) + "\n")
EOF
printf '%s\n%s\n%s\n%s\n' "$SMTP_PW" "$B2_KEY" "$GPG_PASS" "$MYSQL_PW" >secrets.txt
t_bg $PY scan.py secrets.txt scan.stop scan.hits "$T_TMP"
sleep 0.3

"$OSEMON" run -c osemon.conf --once >once.out 2>once.err
"$OSEMON" backup run -c osemon.conf >backup.out 2>backup.err &
BPID=$!
"$OSEMON" run -c osemon.conf >daemon.out 2>daemon.err &
DPID=$!
sleep 4
kill "$DPID"
wait "$DPID"
n=0
while kill -0 "$BPID" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
wait "$BPID"
BRC=$?
touch scan.stop
wait_file scan.hits 5

expect_eq "$(cat scan.hits)" "" "no secret in any argv or environment during the run"
expect_match "$(cat scan.hits.seen)" 'osemon|valgrind' "the scan saw the collector's processes and children ($(cat scan.hits.seen))"
expect_file child.env "the exec check's child ran"
expect_eq "$(grep -c -F -f secrets.txt child.env)" 0 "no secret in the exec child's environment"
expect_match "$(cat backup.out backup.err backup.log 2>/dev/null)" '.' "the backup run wrote its log (exit $BRC)"

# Everything written: logs, mails (raw and decoded), state, status site.
wait_file mail/0001.eml 5
expect_file mail/0001.eml "an alert mail arrived through STARTTLS + AUTH"
found=$(grep -r -l -a -F -f secrets.txt once.out once.err daemon.out daemon.err \
    backup.out backup.err backup.log mail data/state data/www 2>/dev/null)
expect_eq "$found" "" "no secret in logs, mails, state.json, status.json or the status pages"
b64=$($PY - secrets.txt mail <<'EOF'
import base64, glob, sys
secrets = open(sys.argv[1]).read().split()
forms = []
for s in secrets:
    forms += [base64.b64encode(s.encode()).decode(),
              base64.b64encode(("\0alice\0" + s).encode()).decode()]
for f in glob.glob(sys.argv[2] + "/*"):
    t = open(f, "rb").read().decode("latin-1")
    for x in forms:
        if x in t:
            print(f)
EOF
)
expect_eq "$b64" "" "no secret base64-encoded in a mail"

# HTML injection: the probe's message is escaped on every page.
pages=$(cat data/www/*.html data/www/*/*.html 2>/dev/null)
expect_no_match "$pages" '<script>alert' "no <script> from a probe message on the status pages"
expect_match "$pages" '&lt;script&gt;alert' "the message is shown escaped"
expect_match "$(cat data/www/status.json)" '<script>alert' "status.json keeps the raw text (JSON, not HTML)"

# TLS verification switched off by `insecure`: logged and shown.
expect_match "$(cat once.err daemon.err)" 'tls-off.*(insecure|TLS verification off)' "insecure check logged"
expect_match "$(cat data/www/index.html)" '(insecure|TLS not verified|verification off)' "insecure check marked on the status page"

# Secret files that others can read, or that belong to someone else, are
# refused with the reason (and the secret is not echoed).
cp b2.key open.key
chmod 640 open.key
t_run "$OSEMON" check b2 --bucket backups --key-id $KEY_ID --key-file open.key --api-url "$B2URL"
expect_rc 3 "b2: group-readable key file: UNKNOWN"
expect_match "$OUT" 'key file refused: .*open.key: secret file is accessible by group or others \(mode 640\)' "b2: says why"
cp b2.key other.key
chmod 600 other.key
chown nobody other.key 2>/dev/null || chown 65534 other.key
t_run "$OSEMON" check b2 --bucket backups --key-id $KEY_ID --key-file other.key --api-url "$B2URL"
expect_match "$OUT" 'secret file is not owned by uid' "b2: key file owned by another user refused"
cp my.cnf open.cnf
chmod 644 open.cnf
t_run "$OSEMON" check mysql -f open.cnf -s "$MDB_SOCK"
expect_match "$OUT" 'option file refused: .*secret file is accessible by group or others' "mysql: world-readable option file refused"
sed "s|^password-file = smtp.pw|password-file = open.pw|" osemon.conf >open.conf
cp smtp.pw open.pw
chmod 644 open.pw
t_run "$OSEMON" alert test -c open.conf
expect_match "$OUT$ERR" 'open.pw: secret file is accessible by group or others' "smtp: world-readable password file refused"
expect_no_match "$OUT$ERR$(cat mail/*.eml 2>/dev/null)" "$SMTP_PW|$B2_KEY|$MYSQL_PW" "refusals never echo the secret"
