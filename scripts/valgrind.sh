#!/bin/sh
# The integration suite under valgrind memcheck: OSEMON and OSEMON_FULL
# point at wrappers that run the real binaries under
#   valgrind --leak-check=full --error-exitcode=99
# (children are followed through exec, so `osemon` handing over to
# `osemon-full` is checked too; plugins, shells and servers are not).
# Every valgrind log is then read: any memcheck error, or any definitely
# or indirectly lost block, is a failure.  Timing assertions may fail
# under valgrind (it is 20-50x slower); those are reported apart.
#
# Usage: scripts/valgrind.sh [-b BUILD] [SCRIPT...]
#   SCRIPT: names under tests/integration (without .sh); default all.
# Logs are kept in ${VG_DIR:-BUILD/valgrind}.  Exit 0 when no log shows
# an error or a leak.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
if [ "${1:-}" = "-b" ]; then
	BUILD=$2
	shift 2
fi
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind: not installed" >&2; exit 2; }
[ -x "$BUILD/osemon" ] && [ -x "$BUILD/osemon-full" ] ||
    { echo "valgrind: build $BUILD first (make)" >&2; exit 2; }
VG_DIR=${VG_DIR:-$BUILD/valgrind}
rm -rf "$VG_DIR"
mkdir -p "$VG_DIR/bin" "$VG_DIR/logs"

for b in osemon osemon-full; do
	cat >"$VG_DIR/bin/$b" <<EOF
#!/bin/sh
# munin's osemon_PROBE symlinks dispatch on argv[0]: keep the name.
target="$BUILD/$b"
name=\$(basename "\$0")
if [ "\$name" != "$b" ]; then
	mkdir -p "$VG_DIR/links"
	ln -sf "\$target" "$VG_DIR/links/\$name"
	target="$VG_DIR/links/\$name"
fi
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
    --track-fds=no --num-callers=40 --trace-children=yes \\
    --suppressions="$SRC/scripts/valgrind.supp" \\
    --trace-children-skip='/bin/*,/usr/*,/sbin/*,/tmp/*,*python*,*.sh' \\
    --log-file="$VG_DIR/logs/vg.%p.log" "\$target" "\$@"
EOF
	chmod 755 "$VG_DIR/bin/$b"
done

T_RESULTS=$VG_DIR/results
: >"$T_RESULTS"
export BUILD SRC T_RESULTS LC_ALL=C
export OSEMON="$VG_DIR/bin/osemon" OSEMON_FULL="$VG_DIR/bin/osemon-full"

if [ $# -eq 0 ]; then
	set -- $(cd "$SRC/tests/integration" && ls *.sh | sed 's/\.sh$//')
fi
for name in "$@"; do
	s="$SRC/tests/integration/$name.sh"
	[ -f "$s" ] || { echo "valgrind: no $s" >&2; continue; }
	before=$(wc -l <"$T_RESULTS")
	start=$(date +%s)
	T_NAME=$name timeout -k 10 900 sh "$s" >"$VG_DIR/$name.out" 2>&1
	after=$(wc -l <"$T_RESULTS")
	p=$(tail -n $((after - before)) "$T_RESULTS" | grep -c '^pass$')
	f=$(tail -n $((after - before)) "$T_RESULTS" | grep -c '^fail$')
	echo "script $name: $p passed, $f failed ($(( $(date +%s) - start )) s)"
	grep '^FAIL' "$VG_DIR/$name.out" | sed 's/^/  /' | head -n 5
done

# The verdict: memcheck's own findings, whatever the assertions said.
logs=0
bad=0
for l in "$VG_DIR"/logs/vg.*.log; do
	[ -f "$l" ] || continue
	logs=$((logs + 1))
	if grep -q 'Invalid \|uninitialised\|Mismatched\|definitely lost\|indirectly lost\|Syscall param\|overlap' "$l"; then
		bad=$((bad + 1))
		echo "--- $l"
		head -n 40 "$l"
	fi
done
echo "valgrind: $logs processes checked, $bad with errors or leaks"
echo "valgrind: assertions $(grep -c '^pass$' "$T_RESULTS") passed, $(grep -c '^fail$' "$T_RESULTS") failed (timing-sensitive ones may fail under valgrind)"
[ "$bad" -eq 0 ]
