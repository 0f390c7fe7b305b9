#!/bin/sh
# dirsize probe on a generated tree: nested dirs, hard links, a symlink
# loop, an unreadable dir (run as nobody), a mount inside (private mount
# namespace), files vanishing during the walk, and the deadline.
. "$SRC/tests/lib.sh"

pd() { # OUTPUT LABEL: value of LABEL (unit stripped)
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" '{ i = index($0, "="); lab = substr($0, 1, i - 1); gsub("\047", "", lab)
		if (lab == l) { split(substr($0, i + 1), f, ";"); v = f[1]; sub("[^0-9.eE+-]+$", "", v); print v; exit } }'
}

T="$T_TMP/tree"
mkdir -p "$T/a/b/c" "$T/a/empty" "$T/d"
head -c 100 /dev/zero >"$T/a/file1"
head -c 2000 /dev/zero >"$T/a/b/file2"
head -c 30000 /dev/zero >"$T/a/b/c/file3"
head -c 7 /dev/zero >"$T/d/file4"
ln "$T/a/file1" "$T/a/b/hardlink1"	# same inode: counted once
ln "$T/a/b/c/file3" "$T/d/hardlink3"
ln -s .. "$T/a/b/loop"			# a symlink loop: never followed
ln -s /usr "$T/a/usr"			# would be huge if followed

# Expected, computed independently: every inode below T once.
expected() { # DIR -> "BYTES FILES"
	find "$1" -xdev -printf '%i %s %y\n' | sort -u -k1,1 |
	    awk '{ b += $2; if ($3 != "d") f++ } END { printf "%d %d\n", b, f }'
}
set -- $(expected "$T")
want_bytes=$1 want_files=$2
expect_eq "$want_files" 6 "fixture: 6 distinct non-directories"

t_run "$OSEMON" check dirsize -p "$T"
expect_rc 0 "dirsize OK"
expect_eq "$(pd "$OUT" "${T}_bytes")" "$want_bytes" "exact bytes (hard links once, symlinks not followed)"
expect_eq "$(pd "$OUT" "${T}_files")" "$want_files" "exact file count"
expect_eq "$(pd "$OUT" "${T}_bytes")" "$(du -sbx "$T" | cut -f1)" "bytes equal du -sbx"
expect_match "$OUT" "^DIRSIZE OK: $T [0-9.]+ KiB in 6 files" "message"

set -- $(expected "$T/a/b")
t_run "$OSEMON" check dirsize -p "$T/a/b" -p "$T/d"
expect_eq "$(pd "$OUT" "$T/a/b_bytes")" "$1" "two dirs: first exact"
expect_eq "$(pd "$OUT" "$T/d_files")" 2 "two dirs: second counted on its own"

t_run "$OSEMON" check dirsize -p "$T" -w 1000 -c 100000000
expect_rc 1 "bytes over -w is WARNING"
expect_match "$OUT" "_bytes=[0-9]+B;1000;100000000;0" "ranges in perfdata"
t_run "$OSEMON" check dirsize -p "$T" -w 1000 -c 2000
expect_rc 2 "bytes over -c is CRITICAL"

t_run "$OSEMON" check dirsize -p "$T_TMP/nosuch"
expect_rc 2 "missing dir is CRITICAL"
expect_match "$OUT" "^DIRSIZE CRITICAL: $T_TMP/nosuch is not accessible: No such file or directory" "missing dir message"
t_run "$OSEMON" check dirsize
expect_rc 3 "no -p is UNKNOWN"

# The given path may be a symlink to a directory.
ln -s "$T/d" "$T_TMP/dlink"
t_run "$OSEMON" check dirsize -p "$T_TMP/dlink"
expect_eq "$(pd "$OUT" "$T_TMP/dlink_files")" 2 "a symlink given with -p is followed"

# Unreadable directory: root reads everything, so run as nobody.
if command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T_TMP"
	mkdir "$T/secret"
	head -c 5000 /dev/zero >"$T/secret/hidden"
	chmod 0 "$T/secret"
	set -- $(expected "$T")
	hidden_bytes=5000
	t_run setpriv --reuid=65534 --regid=65534 --clear-groups "$OSEMON" check dirsize -p "$T"
	expect_rc 1 "an unreadable dir is WARNING"
	expect_match "$OUT" "1 unreadable, first: $T/secret: Permission denied" "unreadable dir named"
	expect_eq "$(pd "$OUT" "${T}_bytes")" "$(($1 - hidden_bytes))" "the rest is still counted exactly"
	chmod 755 "$T/secret"
	rm -rf "$T/secret"
	chmod 700 "$T_TMP"
else
	echo "skip - setpriv missing"
fi

# Another filesystem mounted inside is not entered (du -x).
if unshare -m true 2>/dev/null; then
	mkdir "$T/mnt"
	set -- $(expected "$T")
	t_run unshare -m sh -c 'mount -t tmpfs none "$1/mnt" && head -c 99999 /dev/zero >"$1/mnt/big" && "$2" check dirsize -p "$1"' sh "$T" "$OSEMON"
	# the mount point itself is skipped like du -x skips it: minus its dir
	mnt_size=$(stat -c %s "$T/mnt")
	expect_eq "$(pd "$OUT" "${T}_bytes")" "$(($1 - mnt_size))" "a mount inside is not entered"
	expect_eq "$(pd "$OUT" "${T}_files")" "$2" "files on the inner mount not counted"
	rmdir "$T/mnt"
else
	echo "skip - unshare -m not permitted"
fi

# Files vanishing while counted: never an error.
mkdir "$T/churn"
(
	i=0
	while [ $i -lt 400 ]; do
		j=0
		while [ $j -lt 20 ]; do : >"$T/churn/f$j"; j=$((j + 1)); done
		rm -f "$T/churn"/f*
		i=$((i + 1))
	done
) &
churn=$!
T_PIDS="$T_PIDS $churn"
bad=0
n=0
while [ $n -lt 15 ]; do
	"$OSEMON" check dirsize -p "$T" >"$T_TMP/churn.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { bad=$((bad + 1)); cat "$T_TMP/churn.out"; }
	n=$((n + 1))
done
kill $churn 2>/dev/null
wait $churn 2>/dev/null
expect_eq "$bad" 0 "vanishing files never make the walk fail"

# Deadline: a big tree stops with partial counts, UNKNOWN, in time.
start=$(date +%s%N)
t_run "$OSEMON" check dirsize -t 0.3 -p /usr -p "$T"
end=$(date +%s%N)
expect_rc 3 "deadline passed: UNKNOWN"
expect_match "$OUT" "^DIRSIZE UNKNOWN: /usr .* so far \(timed out\); $T not counted \(deadline\)" "partial message"
part=$(pd "$OUT" /usr_bytes)
expect_match "$part" '^[1-9][0-9]*$' "partial bytes reported"
expect_near "$(( (end - start) / 1000000 ))" 300 250 "returned by the deadline (ms)"

t_run env path="$T" "$OSEMON" munin dirsize
expect_eq "$(printf '%s\n' "$OUT" | grep -c '\.value [0-9]*$')" 2 "munin fetch: bytes and files"

# A directory on a hung filesystem: the walk is abandoned, never hangs.
mkdir "$T_TMP/hung"
if [ -c /dev/fuse ] && unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" true 2>/dev/null; then
	# LeakSanitizer cannot stop a thread blocked in FUSE: the abandoned
	# statvfs/walk thread is by design, so no leak check here.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
	start=$(date +%s%N)
	t_run unshare -m "$PY" "$SRC/tests/lib/hung_fuse.py" "$T_TMP/hung" \
	    "$OSEMON" check dirsize -t 1 -p "$T_TMP/hung"
	end=$(date +%s%N)
	expect_rc 3 "hung filesystem: UNKNOWN"
	expect_match "$OUT" "timed out" "hung filesystem: timed out"
	expect_near "$(( (end - start) / 1000000 ))" 1000 600 "hung filesystem: returns at the deadline (ms)"
fi
