#!/bin/sh
# make analyze: static analysis of the whole tree, failing on any finding.
#   1. scan-build (clang static analyzer) over a fresh build of every
#      object and both binaries, in a throw-away build folder;
#   2. cppcheck --enable=warning,portability on every source folder.
# Usage: scripts/analyze.sh [-j N]   (default -j2: the machine is shared)
# Exit 0 when both are clean, 1 otherwise; reports are kept in
# ${ANALYZE_DIR:-build/analyze}.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 1
JOBS=2
[ "${1:-}" = "-j" ] && JOBS=${2:-2}
OUTDIR=${ANALYZE_DIR:-build/analyze}
rc=0

for tool in scan-build cppcheck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "analyze: $tool not installed (scripts/setup.sh)" >&2
		exit 1
	fi
done

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"

# A fresh BUILD folder so every translation unit is compiled (and so
# analysed); the normal build/ is left alone.  --status-bugs makes the
# exit status non-zero on any finding.
echo "analyze: scan-build (clang static analyzer)"
if scan-build --status-bugs -o "$OUTDIR/scan-build" \
    make -j"$JOBS" BUILD="$OUTDIR/build" all >"$OUTDIR/scan-build.log" 2>&1; then
	echo "ok - scan-build: no findings"
else
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$OUTDIR/scan-build.log" |
	    sort -u
	grep -E '^scan-build: ' "$OUTDIR/scan-build.log"
	echo "FAIL - scan-build: findings or build failure, log in $OUTDIR/scan-build.log"
	rc=1
fi

# cppcheck: the same include folders and feature macro as the build.
echo "analyze: cppcheck"
if cppcheck --enable=warning,portability --error-exitcode=1 --std=c11 \
    --inline-suppr -q -D_GNU_SOURCE -Isrc -Iprobes -Icollector -Ialerts \
    -Ibackup src probes collector alerts backup \
    >"$OUTDIR/cppcheck.log" 2>&1; then
	echo "ok - cppcheck: no findings"
else
	cat "$OUTDIR/cppcheck.log"
	echo "FAIL - cppcheck: findings"
	rc=1
fi
exit $rc
