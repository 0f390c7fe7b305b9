#!/bin/sh
# Passive results to the Icinga 2 REST API: a real icinga2 with an
# ApiListener on a loopback port (certificates from a test CA, its folders
# bind-mounted from $T_TMP in a private mount namespace) and an ApiUser;
# `osemon run --once` with "[nagios] icinga-url" POSTs every result to
# /v1/actions/process-check-result over verified TLS, and the API then
# shows them as the services' last check results.  A wrong password, an
# untrusted certificate and a closed port are logged once and never stop
# the collector.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/icinga.sh"
need icinga2 unshare openssl curl
# A private mount namespace needs root (CAP_SYS_ADMIN).
if ! unshare -m true 2>/dev/null; then
	echo "skip - $T_NAME: cannot make a private mount namespace (unshare -m)"
	echo skip >>"$T_RESULTS"
	exit 0
fi

I="$T_TMP/icinga2"
mkdir -p "$I/lib/certs" "$I/cache" "$I/log" "$I/etc"
P="$T_TMP/pki"
mkdir -p "$P"
(
	cd "$P" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout ca.key -out ca.crt -days 2 -subj /CN=eco-test-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$I/lib/certs/eco-test.key" -out srv.csr -subj /CN=eco-test
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	    -days 2 -extfile ext -out "$I/lib/certs/eco-test.crt"
) >"$T_TMP/pki.log" 2>&1
cp "$P/ca.crt" "$I/lib/certs/ca.crt"
PORT=$(free_port)
cat >"$I/etc/api.conf" <<EOT
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const NodeName = "eco-test"
const ZoneName = "eco-test"
const TicketSalt = ""
include <itl>
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
object CheckerComponent "checker" { }
object ApiListener "api" {
	bind_host = "127.0.0.1"
	bind_port = $PORT
}
object ApiUser "osemon" {
	password = "s3cret-eco"
	permissions = [ "actions/process-check-result", "objects/query/*" ]
}
object ApiUser "nopriv" {
	password = "s3cret-eco"
	permissions = [ "objects/query/*" ]
}
object Host "ose-test" {
	check_command = "dummy"
	enable_active_checks = false
}
include "osemon-passive.conf"
object Service "disk" {
	host_name = "ose-test"
	import "osemon-passive"
}
object Service "failing-plugin" {
	host_name = "ose-test"
	import "osemon-passive"
}
/* freshness: a service that never gets a result is UNKNOWN at once */
object Service "silent" {
	host_name = "ose-test"
	import "osemon-passive"
	check_interval = 1s
}
EOT
cp "$SRC/contrib/icinga2/osemon-passive.conf" "$I/etc/"
icinga_ns_script "$T_TMP/in_ns.sh"
t_bg sh "$T_TMP/in_ns.sh" "$I" timeout 60 icinga2 daemon -c "$I/etc/api.conf" \
    -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)" >"$T_TMP/daemon.log" 2>&1
ICINGA_PID=$T_LAST_PID
api() { # PATH: GET from the API as the ApiUser
	curl -s --max-time 5 --cacert "$P/ca.crt" -u osemon:s3cret-eco "https://127.0.0.1:$PORT$1"
}
n=0
until api /v1/status >/dev/null 2>&1 && [ -n "$(api /v1/status)" ]; do
	n=$((n + 1))
	if [ "$n" -gt 100 ]; then
		t_fail "icinga2 API did not come up: $(tail -5 "$T_TMP/daemon.log")"
		exit 0
	fi
	sleep 0.2
done
t_pass "icinga2 API listens on 127.0.0.1:$PORT with the test CA's certificate"

printf 's3cret-eco\n' >"$T_TMP/api.password"
chmod 600 "$T_TMP/api.password"
conf() { # URL PASSWORD-FILE CA-FILE: write $T_TMP/osemon.conf
	cat >"$T_TMP/osemon.conf" <<EOT
[global]
hostname = ose-test
rrd-dir = rrd
state-dir = state
graph-dir = www

[nagios]
icinga-url = $1
icinga-user = osemon
icinga-password-file = $2
$3

[check disk]
probe = disk
path = /

[check failing-plugin]
probe = exec
command = /usr/lib/nagios/plugins/check_dummy 2 "broken on purpose"
EOT
}

conf "https://127.0.0.1:$PORT/" api.password "icinga-ca-file = $P/ca.crt"
t_run "$OSEMON" config check -c "$T_TMP/osemon.conf"
expect_rc 0 "config check accepts the icinga keys"
printf '[nagios]\nicinga-ttl = -5\n[check d]\nprobe = disk\n' >"$T_TMP/bad.conf"
t_run "$OSEMON" config check -c "$T_TMP/bad.conf"
expect_rc 1 "config check refuses a negative icinga-ttl"
expect_match "$ERR" 'bad.conf:2: icinga-ttl' "bad icinga-ttl named with file:line"

conns0=$(grep -c 'New client connection' "$T_TMP/daemon.log")
t_run timeout 30 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "run --once sends and exits with the worst state"
conns1=$(grep -c 'New client connection' "$T_TMP/daemon.log")
expect_eq "$((conns1 - conns0))" 1 "two results, one connection (kept alive)"
expect_no_match "$ERR" 'icinga: cannot' "no send error"

svc() { # NAME: the service's last check result, "state|exit|ttl|source|output"
	api "/v1/objects/services?service=ose-test!$1&attrs=last_check_result" |
	    "$PY" -c '
import json, sys
r = json.load(sys.stdin)["results"][0]["attrs"]["last_check_result"] or {}
print("%s|%s|%s|%s|%s|%s" % (r.get("state"), r.get("exit_status"), r.get("ttl"),
      r.get("check_source"), " ".join(r.get("performance_data") or []),
      (r.get("output") or "").replace("\n", "\\n")))'
}
disk=$(svc disk)
fail=$(svc failing-plugin)
expect_match "$disk" '^0\|0\|130\|ose-test\|' "disk: OK, ttl 2 x interval + timeout, check_source"
expect_match "$disk" ' /_used_pct=[0-9.]+%;;;0;100( |\|)' "disk: perfdata array"
expect_match "$disk" '\|DISK OK: / [0-9.]+% used.*\\n/: used [0-9]+ B' "disk: output with its long output"
# (Icinga stores the state; the API leaves the result's exit_status 0)
expect_match "$fail" '^2\|[0-9]+\|130\|ose-test\|\|EXEC CRITICAL: .*broken on purpose' "failing-plugin: CRITICAL with the plugin's text"
expect_match "$(cat "$T_TMP/daemon.log")" 'POST /v1/actions/process-check-result .*user: osemon, agent: osemon/' "icinga2 logged the POSTs from osemon"

# contrib/icinga2/osemon-passive.conf: a service without results turns
# UNKNOWN with the reason.
n=0
until svc silent | grep -q '^3|'; do
	n=$((n + 1))
	[ "$n" -gt 50 ] && break
	sleep 0.2
done
expect_match "$(svc silent)" '^3\|.*\|no result from the osemon collector for silent \(freshness\)$' "osemon-passive: a silent service is UNKNOWN with the reason"

# A fixed ttl.
printf '[global]\nhostname = ose-test\nrrd-dir = rrd\nstate-dir = state\ngraph-dir = www\n[nagios]\nicinga-url = https://127.0.0.1:%s\nicinga-user = osemon\nicinga-password-file = api.password\nicinga-ca-file = %s\nicinga-ttl = 900\n[check disk]\nprobe = disk\npath = /\n' \
    "$PORT" "$P/ca.crt" >"$T_TMP/ttl.conf"
sleep 1	# a new second: a new result
t_run timeout 30 "$OSEMON" run -c "$T_TMP/ttl.conf" --once
expect_match "$(svc disk)" '^0\|0\|900\|' "icinga-ttl = 900 is sent"

# A check Icinga does not know: its answer is logged.
printf '[global]\nhostname = ose-test\nrrd-dir = rrd\nstate-dir = state\ngraph-dir = www\n[nagios]\nicinga-url = https://127.0.0.1:%s\nicinga-user = osemon\nicinga-password-file = api.password\nicinga-ca-file = %s\n[check nosuch]\nprobe = load\n' \
    "$PORT" "$P/ca.crt" >"$T_TMP/nosuch.conf"
t_run timeout 30 "$OSEMON" run -c "$T_TMP/nosuch.conf" --once
expect_match "$ERR" 'icinga: cannot send results to .*: HTTP 500: no Icinga service matches the host and check name' "unknown service: logged as such"

# Wrong password: HTTP 401, logged once, the run completes.
printf 'wrong\n' >"$T_TMP/wrong.password"
chmod 600 "$T_TMP/wrong.password"
conf "https://127.0.0.1:$PORT" wrong.password "icinga-ca-file = $P/ca.crt"
t_run timeout 30 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "wrong password: run --once completes"
expect_match "$ERR" 'icinga: cannot send results to https://127.0.0.1:[0-9]+/v1/actions/process-check-result: HTTP 401' "wrong password: HTTP 401 logged"
expect_eq "$(printf '%s\n' "$ERR" | grep -c 'icinga: cannot')" 1 "wrong password: logged once for two results"
expect_no_match "$ERR" 'wrong' "the password never appears in the log"

# An ApiUser without the permission.
sed 's/^icinga-user = osemon$/icinga-user = nopriv/' "$T_TMP/osemon.conf" >"$T_TMP/nopriv.conf"
sed -i 's/^icinga-password-file = wrong.password$/icinga-password-file = api.password/' "$T_TMP/nopriv.conf"
t_run timeout 30 "$OSEMON" run -c "$T_TMP/nopriv.conf" --once
# (Icinga hides the objects a user may not act on)
expect_match "$ERR" 'icinga: cannot send results to .*: HTTP 404: No objects found' "no permission: Icinga's 404 logged"

# A password file others can read is refused.
chmod 644 "$T_TMP/wrong.password"
t_run timeout 30 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_match "$ERR" 'icinga-password-file refused: .*mode 644' "group/world-readable password file refused, with the reason"

# Untrusted certificate: no CA file, the system store does not know ours.
conf "https://127.0.0.1:$PORT" api.password ""
t_run timeout 30 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "untrusted certificate: run --once completes"
expect_match "$ERR" 'icinga: cannot send results to .*(certificate|SSL)' "untrusted certificate: TLS failure logged"

# Nothing listening.
CLOSED=$(free_port)
conf "https://127.0.0.1:$CLOSED" api.password "icinga-ca-file = $P/ca.crt"
start=$(date +%s)
t_run timeout 30 "$OSEMON" run -c "$T_TMP/osemon.conf" --once
took=$(( $(date +%s) - start ))
expect_rc 2 "closed port: run --once completes"
expect_match "$ERR" "icinga: cannot send results to https://127.0.0.1:$CLOSED/.*onnect" "closed port: connection failure logged"
if [ "$took" -le 8 ]; then
	t_pass "closed port: no long wait (${took} s)"
else
	t_fail "closed port: took ${took} s"
fi

# Stop icinga2 (not under test).
icinga_stop "$ICINGA_PID"
exit 0
