#!/bin/sh
# The backup pipeline against its peer: `osemon backup run` (tar | gpg read
# by the runner, written to sync/ and uploaded part by part to the local B2
# server while it is written) vs `tar | gpg` to a file, on the same
# generated tree of mixed files (incompressible blobs, logs, small config
# files).  Prints throughput (input MB/s) and the ratio, peak memory (the
# runner's own VmHWM and wait4 ru_maxrss of the whole tree of processes),
# and peak extra disk (sampled) in archives.
# Usage: sh bench/backup.sh [--quick]     (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
OSEMON=${OSEMON:-$SRC/build/osemon-full}
MB=240
PART=20000000
ROUNDS=3
[ "${1:-}" = --quick ] && MB=30 PART=5000000 ROUNDS=2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-bench-backup.XXXXXX")
B2_PID=
cleanup() {
	set +e
	[ -n "$B2_PID" ] && kill "$B2_PID" 2>/dev/null
	for h in "$TMP/ghp" "$TMP/state/gnupg"; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
cd "$TMP"

# --- the tree: 40% random blobs, 50% log-like text, 10% small files -------
python3 - "$TMP/data" "$MB" <<'EOF'
import os, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
total = mb * 1000 * 1000
os.makedirs(root + "/blobs"); os.makedirs(root + "/logs"); os.makedirs(root + "/etc")
done, i = 0, 0
while done < total * 0.4:
    n = rnd.randint(1, 8) * 1000 * 1000
    with open("%s/blobs/b%03d.bin" % (root, i), "wb") as fh:
        fh.write(os.urandom(n))
    done += n; i += 1
words = ["GET", "POST", "/index.html", "/api/v1/items", "200", "404", "500",
         "Mozilla/5.0", "curl/7.88", "10.0.0.%d", "varnish", "miss", "hit"]
i = 0
while done < total * 0.9:
    lines = []
    size = 0
    target = rnd.randint(1, 10) * 1000 * 1000
    while size < target:
        l = "2026-11-%02d %02d:%02d:%02d %s %s %d\n" % (
            rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59),
            rnd.randint(0, 59), rnd.choice(words), rnd.choice(words),
            rnd.randint(0, 1 << 20))
        lines.append(l); size += len(l)
    with open("%s/logs/access%03d.log" % (root, i), "w") as fh:
        fh.write("".join(lines))
    done += size; i += 1
i = 0
while done < total:
    n = rnd.randint(200, 20000)
    d = "%s/etc/d%02d" % (root, i % 50)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%05d.conf" % (d, i), "w") as fh:
        fh.write(("key%d = value %d\n" % (i, rnd.random())) * (n // 24))
    done += n; i += 1
EOF
INPUT=$(du -sb data | cut -f1)
printf 'K001testapplicationkey\n' >key
printf 'bench-pass\n' >pass
chmod 600 key pass
${CC:-cc} -O2 -o wait4run "$SRC/bench/wait4run.c"
python3 "$SRC/tests/lib/b2server.py" --port-file b2.port --part-size "$PART" \
    --min-part-size 100000 >b2.log 2>&1 &
B2_PID=$!
n=0
while [ ! -s b2.port ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
cat >osemon.conf <<EOF
[global]
state-dir = state
[b2]
api-url = http://127.0.0.1:$(cat b2.port)
key-id = 0012testkeyid
key-file = key
bucket = backups
[backup]
hostname = bench
paths = $TMP/data
passphrase-file = pass
local-dir = $TMP/local
EOF
cat data/*/* data/etc/*/* >/dev/null 2>&1 || true # warm the page cache

# peak_du DIR PIDFILE OUT: sample du -sb of DIR until the pid is gone.
peak_du() {
	_max=0
	while [ ! -s "$2" ]; do sleep 0.01; done
	mkdir -p "$1"
	while kill -0 "$(cat "$2")" 2>/dev/null; do
		_s=$(du -sb "$1" 2>/dev/null | cut -f1)
		[ "${_s:-0}" -gt "$_max" ] && _max=$_s
		sleep 0.05
	done
	echo "$_max" >"$3"
}

# --- the peer: tar | gpg > file (its GNUPGHOME stays warm) ----------------
# gpg's options are osemon's (docs/backup.md, Encryption): the same S2K
# count (65011712 is also what gpg 2.2 encodes by default), no symkey
# cache, default compression (zlib).
mkdir -m 700 ghp peer
cat >peer.sh <<EOF
#!/bin/sh
tar -cf - -C / ${TMP#/}/data | gpg --homedir $TMP/ghp --batch --yes --no-tty \
    --quiet --pinentry-mode loopback --passphrase-file $TMP/pass \
    --no-symkey-cache --s2k-count 65011712 \
    --symmetric --cipher-algo AES256 -o $TMP/peer/peer.tar.gpg
EOF
chmod 755 peer.sh
mkdir -p local
# min_into FILE VALUE / max_into FILE VALUE: keep the best value in FILE
min_into() { [ -s "$1" ] && [ "$(cat "$1")" -le "$2" ] || echo "$2" >"$1"; }
max_into() { [ -s "$1" ] && [ "$(cat "$1")" -ge "$2" ] || echo "$2" >"$1"; }
r=0
while [ $r -lt $ROUNDS ]; do
	# Alternate the two and keep each one's best wall time: the machine
	# is shared, so the minimum is the least disturbed run.
	rm -f peer.pid o.pid
	(sh -c 'echo $$ >peer.pid; exec ./wait4run /bin/sh ./peer.sh' >peer.w4) &
	W=$!
	peak_du peer peer.pid peer.du1
	wait $W
	set -- $(cat peer.w4)
	min_into peer.us "$1"
	max_into peer.rss "$2"
	max_into peer.du "$(cat peer.du1)"
	sleep 1 # a new object name each run
	S0=$(awk '{ print $14 + $15 }' "/proc/$B2_PID/stat")
	(sh -c 'echo $$ >o.pid; exec ./wait4run '"$OSEMON"' backup run -c osemon.conf' >o.w4) &
	W=$!
	peak_du local/sync o.pid o.du1
	wait $W
	set -- $(cat o.w4)
	[ "$3" = 0 ] || {
		echo "osemon backup run failed (exit $3):"
		tail -n 5 state/backup.log 2>/dev/null
		"$OSEMON" backup run -c osemon.conf
		exit 1
	}
	S1=$(awk '{ print $14 + $15 }' "/proc/$B2_PID/stat")
	echo $((S1 - S0)) >>server.ticks
	min_into o.us "$1"
	max_into o.rss "$2"
	max_into o.du "$(cat o.du1)"
	r=$((r + 1))
done
P_US=$(cat peer.us) P_RSS=$(cat peer.rss)
P_SIZE=$(stat -c %s peer/peer.tar.gpg)
O_US=$(cat o.us) O_RSS=$(cat o.rss)
O_SIZE=$(sed -n 's/^ "bytes": \([0-9]*\),/\1/p' state/backup.json)
O_PARTS=$(sed -n 's/^ "parts": \([0-9]*\),/\1/p' state/backup.json)
SRV_S=$(awk -v hz="$(getconf CLK_TCK)" '{ t += $1; n++ } END { printf "%.2f", t / n / hz }' server.ticks)
O_HWM=$(sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' state/backup.log | sort -n | tail -n 1)

# --- keep-local = no: the parts live in memory ---------------------------
printf 'keep-local = no\nlog-file = %s/mem.log\n' "$TMP" >>osemon.conf
rm -rf local/sync local/sync.old # so that du sees only this run
sleep 1
(sh -c 'echo $$ >m.pid; exec ./wait4run '"$OSEMON"' backup run -c osemon.conf' >m.w4) &
W=$!
peak_du local/sync m.pid m.du
wait $W
set -- $(cat m.w4)
[ "$3" = 0 ] || { echo "osemon backup run (keep-local = no) failed (exit $3)"; exit 1; }
M_US=$1
M_HWM=$(sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' mem.log | tail -n 1)

awk -v in_b="$INPUT" -v pu="$P_US" -v prss="$P_RSS" -v psize="$P_SIZE" \
    -v pdu="$(cat peer.du)" -v ou="$O_US" -v orss="$O_RSS" -v osize="$O_SIZE" \
    -v odu="$(cat o.du)" -v ohwm="$O_HWM" -v parts="$O_PARTS" -v part="$PART" -v rounds="$ROUNDS" -v srv="$SRV_S" \
    -v mu="$M_US" -v mhwm="$M_HWM" -v mdu="$(cat m.du)" 'BEGIN {
	pm = in_b / 1e6 / (pu / 1e6); om = in_b / 1e6 / (ou / 1e6)
	printf "input %.1f MB of mixed files; part size %.0f MB, %d parts; best of %d runs each\n", in_b / 1e6, part / 1e6, parts, rounds
	printf "%-34s %8s %8s %12s %12s %14s\n", "pipeline", "wall s", "MB/s", "archive MB", "maxrss MiB", "peak disk MB"
	printf "%-34s %8.2f %8.1f %12.1f %12.1f %14.1f\n", "tar | gpg > file", pu / 1e6, pm, psize / 1e6, prss / 1024, pdu / 1e6
	printf "%-34s %8.2f %8.1f %12.1f %12.1f %14.1f\n", "osemon backup run (+B2 upload)", ou / 1e6, om, osize / 1e6, orss / 1024, odu / 1e6
	printf "%-34s %8.2f %8.1f %12.1f %12.1f %14.1f\n", "  same, keep-local = no (memory)", mu / 1e6, in_b / mu, osize / 1e6, mhwm / 1024, mdu / 1e6
	printf "the local B2 server (Python) used %.2f CPU-s per osemon run on the same cores\n", srv
	printf "runner alone (VmHWM): %.1f MiB from the file, %.1f MiB with parts in memory (bound: 2 parts + 32 MiB = %.1f MiB)\n", ohwm / 1024, mhwm / 1024, 2 * part / 1048576 + 32
	printf "RATIO backup-throughput osemon/tar-gpg = %.4f (target >= 0.9)\n", om / pm
	printf "RATIO backup-peak-disk osemon/archive = %.4f (one archive, not two)\n", odu / osize
	printf "RATIO backup-runner-rss/bound = %.4f (keep-local = no: %.4f)\n", (ohwm / 1024) / (2 * part / 1048576 + 32), (mhwm / 1024) / (2 * part / 1048576 + 32)
}'
