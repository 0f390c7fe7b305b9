#!/bin/sh
# disk probe through the built binary: Nagios face, munin face, symlink,
# munin-run; values agree with df -B1 and check_disk on the same mount.
. "$SRC/tests/lib.sh"

CHECK_DISK=/usr/lib/nagios/plugins/check_disk

# pd_field OUTPUT LABEL N: the N-th ';' field of LABEL's perfdata item
# (1 = value, unit stripped); labels may hold '/'.
pd_field() {
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" -v n="$3" '{
		i = index($0, "="); lab = substr($0, 1, i - 1); gsub("\047", "", lab)
		if (i > 0 && lab == l) { split(substr($0, i + 1), f, ";"); v = f[n]
			sub("[^0-9.eE+-]+$", "", v); print v; exit } }'
}
pd() { pd_field "$1" "$2" 1; }

# --- Nagios face, one path
t_run "$OSEMON" check disk -p / -w 99 -c 100
expect_rc 0 "disk -p / -w 99 -c 100 exits 0"
expect_match "$OUT" '^DISK OK: / [0-9.]+% used \(' "status word and text"
expect_match "$OUT" "\| /_used=[0-9]+B;;;0;[0-9]+ /_free=[0-9]+B;;;0;[0-9]+ /_used_pct=[0-9.]+%;99;100;0;100 /_inodes_pct=[0-9.]+%;;;0;100" "perfdata labels, units, ranges"

used=$(pd "$OUT" /_used)
free=$(pd "$OUT" /_free)
total=$(pd_field "$OUT" /_used 5)
pct=$(pd "$OUT" /_used_pct)
expect_match "$used $free $total $pct" '^[0-9]+ [0-9]+ [0-9]+ [0-9.]+$' "perfdata values parsed"
set -- $(df -B1 --output=size,used,avail / | tail -n 1)
expect_eq "$total" "$1" "total bytes equal df -B1 size"
# the disk is shared with other tests: allow 256 MiB of drift
expect_near "$used" "$2" 268435456 "used bytes agree with df -B1"
expect_near "$free" "$3" 268435456 "free bytes agree with df -B1"
dfpct=$(awk -v u="$2" -v a="$3" 'BEGIN { printf "%.4f", u * 100 / (u + a) }')
expect_near "$pct" "$dfpct" 0.2 "used % is used/(used+avail) like df"

if [ -x "$CHECK_DISK" ]; then
	t_run "$CHECK_DISK" -w 20% -c 10% -p /
	cd_used=$(pd "$OUT" /)
	cd_total=$(pd_field "$OUT" / 5)
	expect_match "$cd_used $cd_total" '^[0-9]+ [0-9]+$' "check_disk perfdata parsed"
	expect_near "$used" "$cd_used" 268435456 "used bytes agree with check_disk's / perfdata"
	# check_disk's max is blocks * f_bsize rounding; allow one MiB
	expect_near "$total" "$cd_total" 1048576 "total agrees with check_disk's max"
else
	echo "skip - check_disk not installed"
fi

# --- thresholds
t_run "$OSEMON" check disk -p / -w 0 -c 100
expect_rc 1 "-w 0 on used % is WARNING"
expect_match "$OUT" '^DISK WARNING: ' "WARNING status word"
t_run "$OSEMON" check disk -p / -w 0 -c 0
expect_rc 2 "-c 0 on used % is CRITICAL"
expect_match "$OUT" '^DISK CRITICAL: ' "CRITICAL status word"
t_run "$OSEMON" check disk -p / -w 0:100 -c 0:100
expect_rc 0 "0:100 never alerts"
t_run "$OSEMON" check disk -p / -K 0
expect_rc 2 "-K 0 on inode used % is CRITICAL"
expect_match "$OUT" "/_inodes_pct=[0-9.]+%;;0;0;100" "inode range in perfdata"
t_run "$OSEMON" check disk -p / -W @0:100
expect_rc 1 "-W @0:100 (inside) is WARNING"
t_run "$OSEMON" check disk -p / -w foo
expect_rc 3 "bad range exits 3"
expect_match "$OUT$ERR" 'Range format incorrect' "bad range says Range format incorrect"

# --- missing path
t_run "$OSEMON" check disk -p "$T_TMP/nonexistent"
expect_rc 2 "missing path exits 2"
expect_eq "$(printf '%s\n' "$OUT" | head -n 1)" "DISK CRITICAL: $T_TMP/nonexistent is not accessible: No such file or directory" "missing path message"
t_run "$OSEMON" check disk -p / -p "$T_TMP/nonexistent"
expect_rc 2 "one missing path of two exits 2"
expect_match "$OUT" '/_used=' "the other path is still measured"

# --- default: every local filesystem, pseudo ones skipped
t_run "$OSEMON" check disk
expect_match "$OUT" "/_used=" "default run includes /"
expect_no_match "$OUT" "/proc_|/sys_|/dev/pts_" "default run skips proc, sysfs, devpts"
if grep -q ' /dev/shm tmpfs ' /proc/self/mounts; then
	expect_no_match "$OUT" "/dev/shm_used" "tmpfs skipped by default"
	t_run "$OSEMON" check disk --include-type tmpfs
	expect_match "$OUT" "/dev/shm_used=" "--include-type tmpfs includes /dev/shm"
	t_run "$OSEMON" check disk --include-type tmpfs -x /dev/shm
	expect_no_match "$OUT" "/dev/shm_used" "-x /dev/shm excludes it"
fi
roottype=$(awk '$2 == "/" { t = $3 } END { print t }' /proc/self/mounts)
t_run "$OSEMON" check disk -X "$roottype" --include-type tmpfs
expect_no_match "$OUT" "(^| )/_used=" "-X $roottype excludes /"

# --- munin face
t_run env path=/ "$OSEMON" munin disk config
expect_rc 0 "munin config exits 0"
expect_match "$OUT" '^graph_title Disk usage' "munin graph_title"
expect_match "$OUT" '^graph_category disk' "munin graph_category"
nfields=$(printf '%s\n' "$OUT" | grep -c '\.label ')
expect_eq "$nfields" 4 "four munin fields for one path"
names=$(printf '%s\n' "$OUT" | sed -n 's/\.label .*//p' | cut -c1-19 | sort -u | wc -l)
expect_eq "$names" 4 "munin field names unique in 19 chars"
expect_no_match "$(printf '%s\n' "$OUT" | sed -n 's/\.label .*//p')" '[^A-Za-z0-9_]' "munin field names clean"
t_run env path=/ "$OSEMON" munin disk
expect_eq "$(printf '%s\n' "$OUT" | grep -c '\.value [0-9.]*$')" 4 "munin fetch prints four values"

ln -s "$OSEMON" "$T_TMP/osemon_disk"
t_run env path=/ "$T_TMP/osemon_disk" config
expect_match "$OUT" '^graph_title Disk usage' "symlink osemon_disk config"
t_run env path=/ "$T_TMP/osemon_disk"
expect_eq "$(printf '%s\n' "$OUT" | grep -c '\.value ')" 4 "symlink osemon_disk fetch"

if command -v munin-run >/dev/null 2>&1; then
	mkdir "$T_TMP/plugins"
	ln -s "$OSEMON" "$T_TMP/plugins/osemon_disk"
	printf '[osemon_disk]\nuser root\nenv.path /\n' >"$T_TMP/plugin.conf"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconffile "$T_TMP/plugin.conf" osemon_disk config
	expect_match "$OUT" 'graph_title Disk usage' "munin-run config"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconffile "$T_TMP/plugin.conf" osemon_disk
	expect_eq "$(printf '%s\n' "$OUT" | grep -c '\.value [0-9.]*$')" 4 "munin-run fetch"
else
	echo "skip - munin-run not installed"
fi

# --- a hung filesystem (FUSE server that never answers, in a private mount
# namespace) must not hang the probe: statvfs is abandoned at the deadline.
mkdir "$T_TMP/hung"
if [ -c /dev/fuse ] && unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" true 2>/dev/null; then
	# LeakSanitizer cannot stop a thread blocked in FUSE: the abandoned
	# statvfs/walk thread is by design, so no leak check here.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
	start=$(date +%s%N)
	t_run unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" \
	    "$OSEMON" check disk -t 1 -p / -p "$T_TMP/hung"
	end=$(date +%s%N)
	expect_rc 2 "hung mount: CRITICAL"
	expect_match "$OUT" "^DISK CRITICAL: $T_TMP/hung: statvfs timed out; / " "hung mount: timed out, / still reported"
	expect_near "$(( (end - start) / 1000000 ))" 1000 600 "hung mount: returns at the 1 s deadline (ms)"
	t_run unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" \
	    "$OSEMON" check disk -t 1
	expect_match "$OUT" "$T_TMP/hung: statvfs timed out" "default run: the hung fuse mount times out"
	expect_match "$OUT" "(^| )/_used=" "default run: / still measured"
	# Through a symlink, or below the mount: never statvfs'ed directly.
	ln -s "$T_TMP/hung" "$T_TMP/hunglink"
	t_run unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" \
	    "$OSEMON" check disk -t 0.5 -p "$T_TMP/hunglink"
	expect_match "$OUT" "^DISK CRITICAL: $T_TMP/hunglink: statvfs timed out" "a symlink to a hung mount times out"
	t_run unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" \
	    "$OSEMON" check disk -t 0.5 -p "$T_TMP/hung/sub/dir"
	expect_match "$OUT" "^DISK CRITICAL: $T_TMP/hung/sub/dir: statvfs timed out" "a path below a hung mount times out"
else
	echo "skip - no /dev/fuse or unshare"
fi
