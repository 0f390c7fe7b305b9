#!/bin/sh
# Flap detection end to end: an exec check that alternates OK/CRITICAL on
# every run (retries = 1, so every result is a hard change) starts flapping
# at Nagios' weighted 30 % and stops at 20 % once it settles.
. "$SRC/tests/lib.sh"

cd "$T_TMP" || exit 1
echo alternate >mode
cat >alt.sh <<EOF
#!/bin/sh
if [ "\$(cat "$T_TMP/mode")" = ok ]; then echo "ALT OK - settled"; exit 0; fi
if [ -e "$T_TMP/bad" ]; then rm -f "$T_TMP/bad"; echo "ALT OK - up"; exit 0; fi
: >"$T_TMP/bad"; echo "ALT CRITICAL - down"; exit 2
EOF
chmod 755 alt.sh
cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
status-interval = 1
rrd-dir = rrd
graph-dir = www
state-dir = state
[check alt]
probe = exec
command = $T_TMP/alt.sh
EOF

wait_log() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		grep -Eq -- "$1" "$T_TMP/daemon.err" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
field() {
	$PY - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
c = [x for x in doc["checks"] if x["name"] == "alt"][0]
print(" ".join(str(c.get(f)) for f in sys.argv[2:]))
EOF
}

"$OSEMON" run -c osemon.conf 2>daemon.err &
pid=$!
T_PIDS="$T_PIDS $pid"
wait_log "check alt: started flapping" 15
expect_match "$(cat daemon.err)" "check alt: started flapping \(3[0-9]\.[0-9]% state change\)" \
    "alternating hard states start flapping at >= 30 %"
expect_eq "$(sed '/started flapping/q' daemon.err | grep -c 'HARD (was')" 6 "flapping starts on the 6th hard change (35.5 %)"
sleep 1.2
t_run "$OSEMON" status -c osemon.conf --json
printf '%s\n' "$OUT" >now.json
expect_eq "$(field now.json flapping)" "True" "status --json shows flapping"
t_run "$OSEMON" status -c osemon.conf
expect_match "$OUT" "^alt .* FLAPPING: " "status marks the check FLAPPING"

echo ok >mode
wait_log "check alt: stopped flapping" 30
expect_match "$(cat daemon.err)" "check alt: stopped flapping \(1?[0-9]\.[0-9]% state change\)" \
    "a settled check stops flapping at <= 20 %"
sleep 1.2
expect_eq "$(field state/state.json flapping state)" "False OK" "state file: no longer flapping, OK"
kill -TERM "$pid"
wait "$pid"
RC=$?
expect_rc 0 "the daemon exits 0 on SIGTERM"
