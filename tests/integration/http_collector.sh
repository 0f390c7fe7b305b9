#!/bin/sh
# http probe through the collector: INI keys are the long options
# (hostname, resolve, ca-file, certificate, expect...), results and RRD
# files per metric, and 24 HTTPS checks in one cycle run side by side in
# the workers without mixing their results (no global state in the probe).
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }
cd "$T_TMP" || exit 1

cat >osemon.conf <<EOF
[global]
interval = 60
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state

[check web]
probe = http
hostname = 127.0.0.1
port = $NGX_HTTP
string = hello osemon
expect = 200,301

[check tls]
probe = http
url = https://localhost:$NGX_VALID/
resolve = 127.0.0.1
ca-file = $NGX_PKI/ca.pem
certificate = 30,14
continue-after-certificate = yes
warning = 5
critical = 9

[check soon]
probe = http
hostname = localhost
resolve = 127.0.0.1
port = $NGX_SOON
ca-file = $NGX_PKI/ca.pem
certificate = 30,14

[check follow]
probe = http
url = http://127.0.0.1:$NGX_HTTP/redir-rel
onredirect = follow
string = landed on B
EOF
t_run "$OSEMON" run -c osemon.conf --once
expect_rc 2 "--once exits with the worst state (soon is CRITICAL)"
expect_match "$OUT" '^web +OK +HTTP/1\.1 200 OK - 39 bytes' "plain check through the collector"
expect_match "$OUT" 'tls +OK +HTTP/1\.1 200 OK' "https check with resolve, ca-file, certificate"
expect_match "$OUT" "soon +CRITICAL +certificate 'soon-cn' expires in 10 day" "certificate-only check"
expect_match "$OUT" 'follow +OK +HTTP/1\.1 200 OK - 12 bytes' "onredirect = follow"
for m in time_dns time_connect time_tls time_ttfb time_total size status cert_days_left tls_version; do
	expect_file "data/rrd/tls/$m.rrd" "RRD for tls/$m"
done

# 24 HTTPS checks with fresh handshakes in one cycle, two servers with
# different certificates alternating: each result must be its own
{
	printf '[global]\ninterval = 60\nconcurrency = 16\nrrd-dir = d/rrd\ngraph-dir = d/www\nstate-dir = d/state\n'
	i=0
	while [ $i -lt 24 ]; do
		if [ $((i % 2)) -eq 0 ]; then port=$NGX_VALID; n=valid; else port=$NGX_SOON; n=soon; fi
		printf '\n[check %s%02d]\nprobe = http\nhostname = localhost\nresolve = 127.0.0.1\nport = %s\nssl = yes\nca-file = %s\ncertificate = 30,14\ncontinue-after-certificate = yes\nstring = hello osemon\n' \
		    "$n" "$i" "$port" "$NGX_PKI/ca.pem"
		i=$((i + 1))
	done
} >many.conf
t_run "$OSEMON" run -c many.conf --once
expect_rc 2 "24 concurrent HTTPS checks (16 workers): worst is CRITICAL"
expect_eq "$(printf '%s\n' "$OUT" | grep -Ec '^valid[0-9]+ +OK +HTTP/1\.1 200 OK')" 12 "12 valid-certificate checks OK"
expect_eq "$(printf '%s\n' "$OUT" | grep -Ec "^soon[0-9]+ +CRITICAL +HTTP/1\.1 200 OK - certificate 'soon-cn' expires")" 12 "12 soon-certificate checks CRITICAL with their own certificate"
expect_eq "$(ls d/rrd | wc -l | tr -d ' ')" 24 "24 checks stored"

# the daemon keeps each check's CA store between runs and reloads it when
# the file changes: trust the test CA, then a file without it, then again
cp "$NGX_PKI/ca.pem" trust.pem
cat >daemon.conf <<EOF2
[global]
interval = 1
retries = 1
rrd-dir = dd/rrd
graph-dir = dd/www
state-dir = dd/state
graph-interval = 3600

[check cache]
probe = http
hostname = localhost
resolve = 127.0.0.1
port = $NGX_VALID
ssl = yes
ca-file = $T_TMP/trust.pem
EOF2
# wait_log PATTERN SECONDS: until the daemon's stderr matches
wait_log() {
	_n=$(( $2 * 10 ))
	while [ "$_n" -gt 0 ]; do
		grep -Eq -- "$1" daemon.err 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
t_bg "$OSEMON" run -c daemon.conf 2>daemon.err
sleep 2.5
expect_no_match "$(cat daemon.err)" 'check cache: (CRITICAL|WARNING|UNKNOWN)' "daemon: first runs OK with the test CA"
cp "$NGX_PKI/selfsigned.pem" trust.pem
if wait_log "check cache: CRITICAL.*'valid-cn' is untrusted" 8; then
	t_pass "daemon: changed CA file reloaded (now untrusted)"
else
	t_fail "daemon: changed CA file reloaded ($(tail -n 3 daemon.err))"
fi
cp "$NGX_PKI/ca.pem" trust.pem
touch trust.pem
if wait_log "check cache: OK" 8; then
	t_pass "daemon: restored CA file reloaded (OK again)"
else
	t_fail "daemon: restored CA file reloaded ($(tail -n 3 daemon.err))"
fi
kill "$T_LAST_PID" 2>/dev/null
