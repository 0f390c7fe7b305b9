#!/bin/sh
# HTTP checks run as transfers in the collector's own loop (libcurl multi):
# a server that accepts and never answers is CRITICAL at the check's
# timeout while the other checks keep their 1 s interval; each check opens
# a fresh connection (none kept from the last run, though the server
# offers keep-alive); certificate-only, regex (a worker) and plain checks
# in one run; transfers of one interval come to share a wake-up; SIGTERM
# waits for a transfer in flight, --once too; a reload drops one in flight.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }
cd "$T_TMP" || exit 1

SP=$(free_port)
silent_server "$SP"
# a keep-alive server that logs each request's time and counts the most
# requests one connection carried
KP=$(free_port)
t_bg $PY -c '
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
most = [0]
lock = threading.Lock()
def note(k):
    with lock:
        most[0] = max(most[0], k)
        with open(sys.argv[2], "a") as f:
            f.write("%.3f %d\n" % (time.time(), most[0]))
def serve(c):
    buf = b""
    k = 0
    while True:
        d = c.recv(4096)
        if not d:
            return
        buf += d
        while b"\r\n\r\n" in buf:
            _, buf = buf.split(b"\r\n\r\n", 1)
            k += 1
            note(k)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                      b"Connection: keep-alive\r\n\r\nok")
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' "$KP" "$T_TMP/requests"
wait_port "$SP" 5 || t_fail "silent server did not start"
wait_port "$KP" 5 || t_fail "counting server did not start"

cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
concurrency = 8
rrd-dir = d/rrd
graph-dir = d/www
state-dir = d/state
graph-interval = 3600

[check hung]
probe = http
hostname = 127.0.0.1
port = $SP
timeout = 3

[check keep]
probe = http
hostname = 127.0.0.1
port = $KP
string = ok

[check keep2]
probe = http
hostname = 127.0.0.1
port = $KP

[check rx]
probe = http
hostname = 127.0.0.1
port = $NGX_HTTP
regex = hel+o +osemon

[check cert]
probe = http
hostname = localhost
resolve = 127.0.0.1
port = $NGX_VALID
ca-file = $NGX_PKI/ca.pem
certificate = 30,14
EOF

t_bg "$OSEMON" run -c osemon.conf 2>daemon.err
DPID=$T_LAST_PID
sleep 5.5
kill -TERM "$DPID" 2>/dev/null
t0=$($PY -c 'import time; print(time.monotonic())')
while kill -0 "$DPID" 2>/dev/null; do sleep 0.1; done
took=$($PY -c 'import sys, time; print(round(time.monotonic() - float(sys.argv[1]), 1))' "$t0")
ERR=$(cat daemon.err)
expect_match "$ERR" 'check hung: CRITICAL HARD \(was OK\): timeout after (2\.9|3\.0)[0-9]* seconds' \
    "a silent server is CRITICAL at the check's timeout (libcurl's, in the loop)"
expect_no_match "$ERR" 'abandoned' "no transfer needed the loop's fallback timeout"
expect_no_match "$ERR" 'check (keep|keep2|rx|cert): (CRITICAL|WARNING|UNKNOWN)' \
    "plain, regex (worker) and certificate-only checks OK beside it"
n=$(wc -l <requests 2>/dev/null || echo 0)
if [ "$n" -ge 9 ]; then
	t_pass "the other checks kept their 1 s interval during the hang ($n requests in 5.5 s)"
else
	t_fail "only $n requests in 5.5 s while a transfer hung"
fi
expect_eq "$(tail -n 1 requests | cut -d' ' -f2)" 1 \
    "a fresh connection per check (keep-alive offered, never reused)"
# keep and keep2 start apart (six first runs spread over 1 s), then share
# one wake-up
GROUPING=$($PY -c '
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1])]
first = t[1] - t[0]
later = [x for x in t if x - t[0] > 1.1]
alone = [x for i, x in enumerate(later) if not any(j != i and abs(y - x) < 0.2 for j, y in enumerate(later))]
print("first %.2f s apart, %d of %d later requests alone" % (first, len(alone), len(later)) + ("" if not alone else ": " + " ".join("%.2f" % (x - t[0]) for x in t)))
sys.exit(0 if first >= 0.15 and later and not alone else 1)
' requests 2>&1) && t_pass "transfers: first runs spread, then grouped ($GROUPING)" ||
    t_fail "transfers grouping: $GROUPING"
if awk -v t="$took" 'BEGIN { exit !(t <= 4.5) }'; then
	t_pass "SIGTERM: in-flight transfers finished, exit in $took s"
else
	t_fail "SIGTERM exit took $took s"
fi
expect_match "$ERR" 'stopped' "clean stop logged"

# --once with a transfer that hangs: ends at its timeout with the worst state
sed 's/^timeout = 3$/timeout = 1/' osemon.conf >once.conf
t_run "$OSEMON" run -c once.conf --once
expect_rc 2 "--once: the hung check makes the exit code CRITICAL"
expect_match "$OUT" '^hung +CRITICAL +timeout after' "--once: hung check's result"
expect_match "$OUT" '^keep +OK +HTTP/1\.1 200 OK' "--once: keep-alive check OK"
expect_match "$OUT" '^rx +OK +HTTP/1\.1 200 OK' "--once: regex check OK"
expect_match "$OUT" "^cert +OK +.*certificate 'valid-cn'" "--once: certificate-only check OK"

# SIGHUP while a transfer is in flight, its check removed: the transfer
# ends on its own and its result is dropped; the others go on
cp osemon.conf hup.conf
t_bg "$OSEMON" run -c hup.conf 2>hup.err
HPID=$T_LAST_PID
sleep 1.5
$PY -c '
import re, sys
t = open(sys.argv[1]).read()
open(sys.argv[1], "w").write(re.sub(r"\[check hung\][^[]*", "", t))
' hup.conf
kill -HUP "$HPID"
sleep 3
n0=$(wc -l <requests)
sleep 1.2
kill -TERM "$HPID"
wait "$HPID" 2>/dev/null
rc=$?
HERR=$(cat hup.err)
expect_eq "$rc" 0 "reload with a transfer in flight: clean exit"
expect_match "$HERR" 'reloaded: 4 checks' "reload dropped the hung check"
expect_no_match "$HERR" 'check hung: CRITICAL' "the dropped transfer's result went nowhere"
if [ "$(wc -l <requests)" -gt "$n0" ]; then
	t_pass "checks kept running after the reload"
else
	t_fail "no request after the reload"
fi
