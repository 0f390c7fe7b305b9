#!/bin/sh
# Reliability: the disk holding rrd-dir, state-dir (state file, alert
# spool) and graph-dir fills up.  A 12 MiB tmpfs (one RRD at a 1 s step
# is 4 MiB) mounted in a private mount
# namespace (unshare -m: the machine's mounts are untouched) holds them.
# While it is full the checks keep running (a tick check writes outside
# it), a problem that happens meanwhile is not lost (mailed after), a
# metric that appears meanwhile gets its RRD later, every error is logged
# a bounded number of times (rate-limited, not once per second), no RRD,
# state or spool file is left truncated; when space returns, the state
# file, status page and RRD files are written again and the alert is sent.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"
need unshare rrdtool
if ! unshare -m true 2>/dev/null; then
	echo "skip - $T_NAME: no mount namespaces here"; echo skip >>"$T_RESULTS"; exit 0
fi
cd "$T_TMP" || exit 1
mkdir -p disk
PORT=$(free_port)
smtpd_start "$PORT" "$T_TMP/mail" --no-tls || { t_fail "smtpd did not start"; exit 0; }
echo 0 >flip
cat >flip.sh <<EOF
#!/bin/sh
date +%s.%N >>"$T_TMP/ticks"
case \$(cat "$T_TMP/flip") in
0) echo "FLIP OK - fine | v=1;2;3;0"; exit 0 ;;
*) echo "FLIP CRITICAL - broken | v=5;2;3;0 w=1"; exit 2 ;;
esac
EOF
chmod 755 flip.sh
cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
state-interval = 1
graph-interval = 3600
rrd-flush-interval = 1
flap-detection = no
rrd-dir = disk/rrd
graph-dir = disk/www
state-dir = disk/state
hostname = full
group-window = 0
[smtp]
server = 127.0.0.1:$PORT
starttls = off
from = osemon@full.example
to = ops@example.com
timeout = 5
retry-min = 1
retry-max = 1
[check flip]
probe = exec
command = $T_TMP/flip.sh
EOF

# Inside the namespace: mount, run 3 s with space, fill the disk, flip
# the check to CRITICAL, run 5 s full, free the space, run 5 s more.
cat >inside.sh <<'EOF'
set -u
mount -t tmpfs -o size=12m osemon-rel-full disk || exit 3
"$OSEMON" run -c osemon.conf >daemon.out 2>daemon.err &
pid=$!
sleep 3
stat -c %Y disk/state/state.json >mtime.before 2>/dev/null
dd if=/dev/zero of=disk/filler bs=4k >/dev/null 2>&1
df -k disk | tail -n 1 >df.full
: >marker.full
wc -l <ticks >ticks.full
echo 2 >flip
sleep 5
wc -l <ticks >ticks.fullend
cp disk/state/state.json state.during 2>/dev/null
for f in disk/rrd/*/*.rrd; do rrdtool info "$f" >/dev/null 2>&1 || echo "$f" >>rrd.bad; done
ls disk/state/spool >spool.during 2>/dev/null
rm -f disk/filler
: >marker.free
sleep 5
stat -c %Y disk/state/state.json >mtime.after 2>/dev/null
cp disk/state/state.json state.after 2>/dev/null
cp disk/www/status.json status.after 2>/dev/null
rrdtool lastupdate disk/rrd/flip/v.rrd 2>/dev/null | tail -n 1 >rrd.last
ls disk/rrd/flip >rrd.list 2>/dev/null
for f in disk/rrd/*/*.rrd; do rrdtool info "$f" >/dev/null 2>&1 || echo "$f" >>rrd.bad; done
kill "$pid"
wait "$pid"
umount disk
EOF
OSEMON=$OSEMON timeout 40 unshare -m sh inside.sh
expect_eq "$?" 0 "run in a private mount namespace with a 12 MiB tmpfs"
expect_match "$(cat df.full)" ' (0|[0-9]) +100% ' "the tmpfs was full ($(cat df.full))"

# Checks kept running while full (ticks are written outside the tmpfs).
t0=$(cat ticks.full)
t1=$(cat ticks.fullend)
expect_near "$((t1 - t0))" 5 1 "the check ran every second while the disk was full"

# Bounded logging: no cause logged once per cycle.
worst=$(grep -i 'no space\|ENOSPC\|cannot write\|cannot spool\|rrd' daemon.err |
    sed 's/[0-9]\{6,\}//g; s/tmp\.[0-9]*//g' | sort | uniq -c | sort -rn | head -n 1)
echo "# rel_diskfull: most repeated error: ${worst:-none}"
expect_near "$(echo "${worst:-0}" | awk '{ print $1 + 0 }')" 1 2 "each error cause logged at most 3 times in 5 s full"
expect_match "$(cat daemon.err)" '[Nn]o space left on device' "the full disk is logged"

# Nothing truncated.
expect_eq "$(cat rrd.bad 2>/dev/null)" "" "every RRD file still reads (rrdtool info)"
expect_match "$($PY -c 'import json,sys; json.load(open(sys.argv[1])); print("ok")' state.during 2>&1)" '^ok$' "state.json parses while the disk is full"
expect_match "$($PY -c 'import json,sys; json.load(open(sys.argv[1])); print("ok")' state.after 2>&1)" '^ok$' "state.json parses after"

# Recovery.
expect_eq "$( [ "$(cat mtime.after)" -gt "$(cat mtime.before)" ] && echo newer)" newer "state.json written again once space returned"
expect_match "$(cat status.after)" '"CRITICAL"' "status.json shows the problem that happened while full"
last=$(cut -d: -f1 rrd.last)
expect_near "$(( $(date +%s) - ${last:-0} ))" 3 3 "RRD updated again after recovery"
expect_match "$(cat rrd.list)" 'w\.rrd' "the RRD of a metric that appeared while full is created once space returns"
expect_match "$(cat daemon.err)" 'rrd create .*w\.rrd: failed, librrd gave no reason \(disk full\?\)' "a failed RRD create says something"
wait_file mail/0001.eml 5
expect_match "$(cat mail/*.eml 2>/dev/null | tr -d '\r')" 'Subject: \*\* PROBLEM Service Alert: full/flip is CRITICAL \*\*' "the PROBLEM that came while full is mailed after recovery"
