#!/bin/sh
# RRD write-behind (rrd-flush-interval): new files appear at once, values
# wait in memory until the file's oldest one is flush-interval old, then
# go to the file in one write; graphs, SIGHUP and SIGTERM flush first, and
# no value is lost or duplicated on the way (rrdtool fetch, one per
# second).
. "$SRC/tests/lib.sh"
need rrdtool

D="$T_TMP/c"
mkdir -p "$D"
cat >"$D/gen.sh" <<'GEN'
#!/bin/sh
echo "GEN OK | v=$(date +%s)"
GEN
chmod +x "$D/gen.sh"
conf() { # flush-interval graph-interval
	cat >"$D/osemon.conf" <<CONF
[global]
interval = 1
retries = 1
rrd-flush-interval = $1
graph-interval = $2
rrd-dir = rrd
graph-dir = www
state-dir = state

[check gen]
probe = exec
command = $D/gen.sh
CONF
}
R="$D/rrd/gen/v.rrd"
last_update() { rrdtool lastupdate "$R" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p'; }
# seconds between the file's last update and now (a big number: none yet)
lag() { _l=$(last_update); echo $(( $(date +%s) - ${_l:-0} )); }
# expect_lag ge|le SECONDS DESCRIPTION: the file's lag against SECONDS
expect_lag() {
	_lag=$(lag)
	if [ "$_lag" -"$1" "$2" ]; then
		t_pass "$3 (lag $_lag s)"
	else
		t_fail "$3 (lag $_lag s, wanted -$1 $2)"
	fi
}

# 1. flush every 4 s: the file exists before any value reached it, then
# lags behind by at most the interval (+1 s of scheduling), and SIGTERM
# writes everything.
conf 4 86400
t_bg "$OSEMON" run -c "$D/osemon.conf" 2>"$D/err1.log"
PID=$T_LAST_PID
wait_file "$R" 5
expect_file "$R" "a new metric's RRD file is created at once"
sleep 1.5
expect_lag ge 1 "values wait in memory"
sleep 5
expect_lag le 5 "the waiting values were written within the flush interval"
sleep 1.5
kill -TERM "$PID"
wait "$PID"
expect_eq "$?" 0 "SIGTERM exits 0"
st_last=$("$PY" -c 'import json,sys
for c in json.load(open(sys.argv[1]))["checks"]:
    if c["name"] == "gen": print(c["last_check"])' "$D/state/state.json")
expect_eq "$(last_update)" "$st_last" "SIGTERM flushed every value: RRD last update = last check"
first=$(rrdtool first "$R" --rraindex 0)
end=$(last_update)
# the gauge v is the second it was measured: every stored row holds its
# own time stamp, +-1 s for a run across a second boundary (none lost,
# none shifted)
rows=$(rrdtool fetch "$R" AVERAGE -r 1 -s "$((end - 8))" -e "$end" | awk -F'[: ]+' '
	NF >= 2 && $1 ~ /^[0-9]+$/ && $2 !~ /nan/ {
		n++; d = $2 - $1; if (d > 1 || d < -1) bad++ }
	END { printf "%d %d\n", n, bad + 0 }')
n=${rows% *}
bad=${rows#* }
if [ "$n" -ge 7 ] && [ "$bad" -eq 0 ]; then
	t_pass "rrdtool fetch: $n consecutive seconds, each its own value"
else
	t_fail "rrdtool fetch: $n rows, $bad wrong (first $first, end $end)"
fi
expect_eq "$(grep -c 'rrd' "$D/err1.log")" 0 "no RRD error logged"

# 2. flush interval one hour: SIGHUP and the graph rendering flush first.
conf 3600 10
t_bg "$OSEMON" run -c "$D/osemon.conf" 2>"$D/err2.log"
PID=$T_LAST_PID
sleep 3
expect_lag ge 3 "with flush-interval 3600 the file waits"
hup_at=$(date +%s)
kill -HUP "$PID"
# every value up to the signal reaches the file (the reload flushes)
n=0
while [ "$(last_update)" -lt $((hup_at - 1)) ] && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
if [ "$(last_update)" -ge $((hup_at - 1)) ]; then
	t_pass "SIGHUP flushed the waiting values"
else
	t_fail "SIGHUP did not flush (last update $(last_update), signal at $hup_at)"
fi
# the first rendering comes ~10 s after the start and draws every value
n=0
while [ ! -s "$D/www/gen/v-day.png" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
l5=$(lag)
if [ -s "$D/www/gen/v-day.png" ] && [ "$l5" -le 2 ]; then
	t_pass "graphs flush before they draw (lag $l5 s at the rendering)"
else
	t_fail "graph rendering without a flush (lag $l5 s, png $(ls "$D/www/gen" 2>/dev/null | head -n 1))"
fi
kill -TERM "$PID"
wait "$PID"
expect_eq "$?" 0 "SIGTERM exits 0 (flush 3600)"

# 3. 0 writes every value at once
conf 0 86400
t_bg "$OSEMON" run -c "$D/osemon.conf" 2>"$D/err3.log"
PID=$T_LAST_PID
sleep 3.5
expect_lag le 1 "rrd-flush-interval = 0 writes at once"
kill -TERM "$PID"
wait "$PID"
t_run "$OSEMON" config check -c "$D/osemon.conf"
expect_rc 0 "config check accepts rrd-flush-interval"
sed -i 's/^rrd-flush-interval = 0$/rrd-flush-interval = 3601/' "$D/osemon.conf"
t_run "$OSEMON" config check -c "$D/osemon.conf"
expect_rc 1 "config check refuses rrd-flush-interval 3601"
expect_match "$OUT$ERR" 'osemon.conf:4: .*rrd-flush-interval' "the error names file, line and key"
