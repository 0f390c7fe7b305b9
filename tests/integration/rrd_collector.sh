#!/bin/sh
# RRD storage through the built binary: layout (rrdtool info), values
# (rrdtool lastupdate), graphs redrawn only when their data changed,
# and the rrdcached path with Debian's real rrdcached on a temp socket.
. "$SRC/tests/lib.sh"
need rrdtool file

D="$T_TMP/c"
mkdir -p "$D/tree"
: >"$D/tree/a"
cat >"$D/osemon.conf" <<EOF
[global]
interval = 60
retries = 1
rrd-dir = rrd
graph-dir = www
state-dir = state

[check tree]
probe = dirsize
path = $D/tree
interval = 60

[check slow]
probe = dirsize
path = $D/tree
interval = 300
EOF
# dirsize names its metrics after the path: PATH_files -> _PATH_files.rrd
M=$(printf '%s' "$D/tree" | tr -c 'A-Za-z0-9_.\n-' '_')_files
R="$D/rrd/tree/$M.rrd"

t_run "$OSEMON" run -c "$D/osemon.conf" --once
expect_rc 0 "run --once with two dirsize checks"
expect_file "$R" "RRD_DIR/CHECK/METRIC.rrd created"

info=$(rrdtool info "$R")
expect_match "$info" '^step = 60$' "step = check interval (60)"
expect_match "$info" '^ds\[value\]\.type = "GAUGE"$' "one DS named value, GAUGE"
expect_match "$info" '^ds\[value\]\.minimal_heartbeat = 120$' "heartbeat 2 x step"
expect_match "$info" '^ds\[value\]\.min = 0\.0+e\+00$' "DS min from the metric"
expect_eq "$(printf '%s\n' "$info" | grep -c '^rra\[[0-9]*\]\.cf')" 12 "4 resolutions x AVERAGE/MIN/MAX"
expect_eq "$(printf '%s\n' "$info" | sed -n 's/^rra\[\([0-9]*\)\]\.\(cf\|rows\|pdp_per_row\) = "*\([A-Z0-9]*\)"*$/\3/p' | paste -sd' ')" \
    "AVERAGE 2880 1 MIN 2880 1 MAX 2880 1 AVERAGE 432 30 MIN 432 30 MAX 432 30 AVERAGE 540 120 MIN 540 120 MAX 540 120 AVERAGE 450 1440 MIN 450 1440 MAX 450 1440" \
    "rows/pdp at munin's resolutions for step 60"
info=$(rrdtool info "$D/rrd/slow/$M.rrd")
expect_eq "$(printf '%s\n' "$info" | sed -n 's/^rra\[\([0-9]*\)\]\.\(rows\|pdp_per_row\) = \([0-9]*\)$/\3/p' | paste -sd' ')" \
    "576 1 576 1 576 1 432 6 432 6 432 6 540 24 540 24 540 24 450 288 450 288 450 288" \
    "step 300 gives munin's exact layout"
expect_match "$(rrdtool lastupdate "$R" | tail -n 1)" ': 1$' "first value stored (1 file)"
expect_eq "$(find "$D/rrd" -name '*.tmp*' | wc -l)" 0 "no temp RRD left behind"

# Graphs: a second rendering without new data redraws nothing.
day="$D/www/tree/$M-day.png"
year="$D/www/tree/$M-year.png"
expect_match "$(file -b "$day")" '^PNG image data, 497 x ' "day graph is a valid PNG"
d0=$(stat -c %y "$day")
y0=$(stat -c %y "$year")
sleep 1
t_run "$OSEMON" graph -c "$D/osemon.conf"
expect_rc 0 "osemon graph"
expect_eq "$(stat -c %y "$day")" "$d0" "unchanged data: day graph not redrawn"
week="$D/www/tree/$M-week.png"
rm -f "$week"
t_run "$OSEMON" graph -c "$D/osemon.conf"
expect_match "$(file -b "$week")" '^PNG image data, 497 x ' "osemon graph redraws a missing PNG from the state file's metrics"

# New data a second later: stored; the day graph follows, the year graph
# (redrawn at most daily) stays.
: >"$D/tree/b"
: >"$D/tree/c"
t_run "$OSEMON" run -c "$D/osemon.conf" --once
expect_rc 0 "second run --once"
expect_match "$(rrdtool lastupdate "$R" | tail -n 1)" ': 3$' "second value stored (3 files)"
expect_no_match "$(stat -c %y "$day")" "^$d0\$" "new data: day graph redrawn"
expect_eq "$(stat -c %y "$year")" "$y0" "new data: young year graph kept"

# rrdcached: updates go through Debian's rrdcached on a private socket.
command -v rrdcached >/dev/null 2>&1 || { echo "skip - $T_NAME: rrdcached not installed"; exit 0; }
S="$T_TMP/rrdcached.sock"
mkdir -p "$T_TMP/journal"
t_bg rrdcached -g -l "unix:$S" -p "$T_TMP/rrdcached.pid" -j "$T_TMP/journal" \
    -w 3600 -f 7200 >"$T_TMP/rrdcached.log" 2>&1
RC_PID=$T_LAST_PID
wait_file "$S" 10 || { t_fail "rrdcached did not start: $(cat "$T_TMP/rrdcached.log")"; exit 0; }
sed -e "s|^rrd-dir = rrd|rrd-dir = rrdc\nrrdcached = unix:$S|" -e "s|^state-dir = state|state-dir = statec|" "$D/osemon.conf" >"$D/cached.conf"
stats() {
	$PY - "$S" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"STATS\n")
data = b""
while data.count(b"\n") < 1 or len(data.split(b"\n")) <= int(data.split(b" ")[0]) + 1:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
for line in data.decode().splitlines():
    if line.startswith("UpdatesReceived:"):
        print(line.split()[1])
EOF
}
u0=$(stats)
t_run "$OSEMON" run -c "$D/cached.conf" --once
expect_rc 0 "run --once through rrdcached"
sleep 1
: >"$D/tree/d"
t_run "$OSEMON" run -c "$D/cached.conf" --once
expect_rc 0 "second run --once through rrdcached"
u1=$(stats)
expect_eq "$((u1 - u0))" 8 "rrdcached received every update (2 checks x 2 metrics x 2 runs)"
RC_FILE="$D/rrdc/tree/$M.rrd"
expect_match "$(rrdtool lastupdate --daemon "unix:$S" "$RC_FILE" | tail -n 1)" ': 4$' "value readable through the daemon"
expect_match "$(rrdtool info "$RC_FILE")" '^step = 60$' "file created with the same layout"
# Graphs flushed the daemon first, so the file itself has the value too.
expect_match "$(rrdtool lastupdate "$RC_FILE" | tail -n 1)" ': 4$' "graphing flushed rrdcached before drawing"
kill "$RC_PID" 2>/dev/null
