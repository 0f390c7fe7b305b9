#!/bin/sh
# Days until full through the built collector: a disk check's used-bytes
# RRD is pre-created (same file name and layout as the collector's) with a
# synthetic series at past timestamps, then `osemon run --once` fits it
# and reports PATH_days_until_full in status.json, on the check page, in
# its own RRD, and as the check's state.  Also: a flat series gives no
# forecast, the forecast-* keys, and config check on them.
. "$SRC/tests/lib.sh"
need rrdtool

D="$T_TMP/f"
mkdir -p "$D"
STEP=300

# The mount's capacity (used + free: the blocks minus the root reserve, a
# constant however much other tests write meanwhile), as the disk probe
# sees it.
t_run "$OSEMON" check disk -p "$D"
expect_rc 0 "disk check of the test folder"
NAME_USED="${D}_used"
# (perfdata_value's sed cannot take a label with '/')
pd_bytes() {
	printf '%s\n' "$OUT" | head -n 1 | sed 's/^[^|]*|//' | tr ' ' '\n' |
	    awk -F= -v l="$1" '$1 == l { sub(/B;.*/, "", $2); print $2 }'
}
USED=$(pd_bytes "$NAME_USED")
FREE=$(pd_bytes "${D}_free")
expect_match "$USED:$FREE" '^[0-9]+:[0-9]+$' "used and free bytes read from perfdata"
# RRD file names: every character outside [A-Za-z0-9_.-] becomes '_'.
FILE_USED=$(printf '%s' "$NAME_USED" | tr -c 'A-Za-z0-9_.\n-' '_')
FILE_DAYS=$(printf '%s' "${D}_days_until_full" | tr -c 'A-Za-z0-9_.\n-' '_')

CAP=$(awk -v u="$USED" -v f="$FREE" 'BEGIN { printf "%.0f", u + f }')
# The synthetic usage ends (at now) on half the capacity, far above what
# the machine really uses, so the real current value never is the peak.
LEVEL=$(awk -v c="$CAP" 'BEGIN { printf "%.0f", c / 2 }')

# make_series DIR SLOPE_PER_DAY [KEYS [DAEMON]]: DIR/osemon.conf and
# DIR/rrd/disk/USED.rrd holding 7 days of usage that ends at LEVEL (at
# now) and grew by SLOPE bytes per day, one value per 5 min, the last one
# 5 min ago (updates through rrdcached at DAEMON when given).
make_series() {
	mkdir -p "$1/rrd/disk"
	cat >"$1/osemon.conf" <<EOF
[global]
interval = $STEP
retries = 1
rrd-dir = rrd
graph-dir = www
state-dir = state

[check disk]
probe = disk
path = $D
$3
EOF
	now=$(date +%s)
	start=$(( (now - 7 * 86400) / STEP * STEP ))
	# The collector's layout for step 300 (collector/rrdstore.c):
	# munin's resolutions, AVERAGE/MIN/MAX each.
	rra=""
	for spec in 1:576 6:432 24:540 288:450; do
		for cf in AVERAGE MIN MAX; do
			rra="$rra RRA:$cf:0.5:$spec"
		done
	done
	# shellcheck disable=SC2086
	rrdtool create "$1/rrd/disk/$FILE_USED.rrd" --start "$((start - STEP))" \
	    --step "$STEP" "DS:value:GAUGE:$((2 * STEP)):0:U" $rra || return 1
	awk -v s="$start" -v n="$now" -v st="$STEP" -v u="$LEVEL" -v r="$2" 'BEGIN {
		for (t = s; t <= n - st; t += st)
			printf "%d:%.0f\n", t, u - r * (n - t) / 86400
	}' | xargs -n 100 rrdtool update ${4:+--daemon "$4"} "$1/rrd/disk/$FILE_USED.rrd"
}

# json_metric DIR NAME: the metric's value in DIR/www/status.json
# ("null" when unknown, "missing" when absent).
json_metric() {
	$PY - "$1/www/status.json" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for c in doc["checks"]:
    if c["name"] != "disk":
        continue
    for m in c["metrics"]:
        if m["name"] == sys.argv[2]:
            print("null" if m["value"] is None else m["value"])
            sys.exit(0)
print("missing")
EOF
}

json_check() {
	$PY - "$1/www/status.json" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
c = [c for c in doc["checks"] if c["name"] == "disk"][0]
print(c[sys.argv[2]])
EOF
}

# 1. Growing to full in 10 days: WARNING (default forecast-warning 14:).
SLOPE=$(awk -v c="$CAP" 'BEGIN { printf "%.0f", c / 2 / 10 }')
make_series "$D/grow" "$SLOPE" ""
expect_eq "$?" 0 "synthetic growing series written"
t_run "$OSEMON" run -c "$D/grow/osemon.conf" --once
expect_rc 1 "run --once: WARNING from the forecast"
expect_match "$OUT" "^disk +WARNING +$D full in (9\.[5-9]|10\.[0-4]) days; " "one line per check names the mount and the days"
DAYS=$(json_metric "$D/grow" "${D}_days_until_full")
expect_near "$DAYS" 10 0.5 "status.json: days_until_full = 10 +- 5 %"
expect_eq "$(json_check "$D/grow" state)" WARNING "status.json: check state WARNING"
expect_eq "$(json_check "$D/grow" reason)" threshold "status.json: reason threshold"
ROW=$(grep -F "<tr><td>${D}_days_until_full</td>" "$D/grow/www/disk/index.html")
expect_match "$ROW" "</td><td></td><td>14:</td><td>3:</td></tr>$" "check page: the metric's row, no unit, default ranges"
expect_near "$(printf '%s' "$ROW" | sed 's|^<tr><td>[^<]*</td><td>\([^<]*\)</td>.*|\1|')" 10 0.5 "check page: the days"
expect_file "$D/grow/rrd/disk/$FILE_DAYS.rrd" "days_until_full stored in its own RRD"
expect_match "$(rrdtool lastupdate "$D/grow/rrd/disk/$FILE_DAYS.rrd" | tail -n 1)" ': (9\.[5-9]|10\.[0-4])' "RRD holds the forecast"

# 2. The same 10 days under forecast-critical = 12:: CRITICAL.
make_series "$D/crit" "$SLOPE" "forecast-critical = 12:"
t_run "$OSEMON" run -c "$D/crit/osemon.conf" --once
expect_rc 2 "run --once: CRITICAL under forecast-critical = 12:"
expect_eq "$(json_check "$D/crit" state)" CRITICAL "status.json: check state CRITICAL"

# 3. Own ranges: 10 days is fine with forecast-warning = 5:.
make_series "$D/own" "$SLOPE" "forecast-warning = 5:
forecast-critical = 1:"
t_run "$OSEMON" run -c "$D/own/osemon.conf" --once
expect_rc 0 "forecast-warning = 5: keeps 10 days OK"
expect_near "$(json_metric "$D/own" "${D}_days_until_full")" 10 0.5 "still reported with own ranges"
expect_match "$(grep -F 'id="check-disk"' "$D/own/www/index.html")" "inodes [0-9.]+%; $D full in (9\.[5-9]|10\.[0-4]) days</td>" "status page: an OK disk check shows its forecast"
expect_eq "$(grep -c -F "$D full in" "$D/grow/www/index.html")" 1 "status page: a forecast already in the message is not repeated"

# 4. Flat usage: no forecast (U), state OK.
make_series "$D/flat" 0 ""
t_run "$OSEMON" run -c "$D/flat/osemon.conf" --once
expect_rc 0 "flat usage: OK"
expect_eq "$(json_metric "$D/flat" "${D}_days_until_full")" null "flat usage: days_until_full is null (U), no number"
expect_match "$(cat "$D/flat/www/disk/index.html")" "$D: no forecast \(flat\)" "check page says why there is no forecast"
expect_match "$(grep -F 'id="check-disk"' "$D/flat/www/index.html")" "inodes [0-9.]+%</td>" "status page: no forecast, no note"

# 5. Shrinking usage: no forecast either.
make_series "$D/shrink" "-$SLOPE" ""
t_run "$OSEMON" run -c "$D/shrink/osemon.conf" --once
expect_rc 0 "shrinking usage: OK"
expect_eq "$(json_metric "$D/shrink" "${D}_days_until_full")" null "shrinking usage: no forecast"

# 6. No history at all (first run): no forecast, OK.
mkdir -p "$D/new"
sed "s|^path = .*|path = $D|" "$D/grow/osemon.conf" >"$D/new/osemon.conf"
t_run "$OSEMON" run -c "$D/new/osemon.conf" --once
expect_rc 0 "first run without history: OK"
expect_eq "$(json_metric "$D/new" "${D}_days_until_full")" null "first run: no forecast"

# 7. forecast = no: no metric.
make_series "$D/off" "$SLOPE" "forecast = no"
t_run "$OSEMON" run -c "$D/off/osemon.conf" --once
expect_rc 0 "forecast = no: OK"
expect_eq "$(json_metric "$D/off" "${D}_days_until_full")" missing "forecast = no: no metric"

# 8. config check: the keys are validated in disk checks, unknown elsewhere.
cat >"$D/bad.conf" <<EOF
[check d]
probe = disk
forecast-warning = soon
forecast-window = 0

[check l]
probe = load
forecast-window = 7
EOF
t_run "$OSEMON" config check -c "$D/bad.conf"
expect_rc 1 "config check rejects bad forecast keys"
expect_match "$ERR" "bad.conf:3: forecast-warning: Range format incorrect" "bad range named with file:line"
expect_match "$ERR" "bad.conf:4: forecast-window: " "window out of bounds named with file:line"
expect_match "$ERR" "bad.conf:8: unknown key 'forecast-window' in \[check l\]" "forecast keys belong to disk checks only"

# 9. Issue 12's other half in the collector: a dirsize check runs hourly
# unless it says otherwise (its RRD step is its interval), and is graphed.
mkdir -p "$D/ds/tree"
: >"$D/ds/tree/a"
cat >"$D/ds/osemon.conf" <<EOF2
[global]
interval = 60
rrd-dir = rrd
graph-dir = www
state-dir = state

[check tree]
probe = dirsize
path = $D/ds/tree
EOF2
t_run "$OSEMON" run -c "$D/ds/osemon.conf" --once
expect_rc 0 "dirsize check run once"
M=$(printf '%s' "$D/ds/tree" | tr -c 'A-Za-z0-9_.\n-' '_')_files
expect_match "$(rrdtool info "$D/ds/rrd/tree/$M.rrd")" '^step = 3600$' "dirsize defaults to a 1 h interval"
expect_file "$D/ds/www/tree/$M-week.png" "dirsize metrics are graphed"

# 10. rrdcached: the history sits in the daemon's cache (it writes hourly);
# the forecast flushes the file through the daemon before reading it.
command -v rrdcached >/dev/null 2>&1 || { echo "skip - $T_NAME: rrdcached not installed"; exit 0; }
S="$T_TMP/rrdcached.sock"
mkdir -p "$T_TMP/journal"
t_bg rrdcached -g -l "unix:$S" -p "$T_TMP/rrdcached.pid" -j "$T_TMP/journal" \
    -w 3600 -f 7200 >"$T_TMP/rrdcached.log" 2>&1
wait_file "$S" 10 || { t_fail "rrdcached did not start: $(cat "$T_TMP/rrdcached.log")"; exit 0; }
make_series "$D/cached" "$SLOPE" "" "unix:$S"
sed -i "s|^\[global\]\$|[global]\nrrdcached = unix:$S|" "$D/cached/osemon.conf"
LAST=$(rrdtool last "$D/cached/rrd/disk/$FILE_USED.rrd")
expect_eq "$(( LAST < $(date +%s) - 6 * 86400 ))" 1 "the history is still in rrdcached's cache, not in the file"
t_run "$OSEMON" run -c "$D/cached/osemon.conf" --once
expect_rc 1 "rrdcached: WARNING from the forecast"
expect_near "$(json_metric "$D/cached" "${D}_days_until_full")" 10 0.5 "rrdcached: history flushed and fitted, 10 days +- 5 %"

# 11. The backup runner's pre-flight: the last archive (per its record) was
# an exabyte, so the local folder cannot hold another: warned in the log,
# and the backup still runs.
need gpg tar flock
B="$T_TMP/bk"
mkdir -p "$B/src" "$B/local" "$B/state"
echo data >"$B/src/f.txt"
printf 'K001testapplicationkey\n' >"$B/key"
printf 'pp-forecast\n' >"$B/pass"
chmod 600 "$B/key" "$B/pass"
printf '{"version": 1, "kind": "run", "ok": true, "start": 1, "end": 2, "bytes": 1000000000000000000}\n' >"$B/state/backup.json"
t_bg $PY "$SRC/tests/lib/b2server.py" --port-file "$B/b2.port" --key-id 0012testkeyid \
    --key K001testapplicationkey >"$B/b2.log" 2>&1
wait_file "$B/b2.port" 10 || { t_fail "b2 server did not start"; exit 0; }
cat >"$B/osemon.conf" <<EOF2
[global]
state-dir = state
[b2]
api-url = http://127.0.0.1:$(cat "$B/b2.port")
key-id = 0012testkeyid
key-file = key
bucket = backups
[backup]
hostname = web1
paths = $B/src
passphrase-file = pass
local-dir = $B/local
log-file = backup.log
EOF2
t_run "$OSEMON" backup run -c "$B/osemon.conf"
expect_rc 0 "backup run with too little room for the last archive's size still runs"
expect_match "$(cat "$B/backup.log")" "warning: $B/local: [0-9]+ B free, less than the last archive \(1000000000000000000 B\) plus 10%" "backup log warns before it starts"
