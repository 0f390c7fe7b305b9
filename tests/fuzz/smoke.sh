#!/bin/sh
# Run each fuzz target for a short fixed time over its seed corpus.
# Usage: tests/fuzz/smoke.sh FUZZDIR [SECONDS]; prints "ok -"/"FAIL -" lines.
set -u
DIR=${1:-build/fuzz}
SECS=${2:-8}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
for bin in "$DIR"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="$SRC/tests/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -R "$corpus"/. "$work"/ 2>/dev/null
	if "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=1024 \
	    -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		echo "ok - fuzz $name: $(grep -o 'Done [0-9]* runs' "$work.log" | tail -n 1)"
	else
		echo "FAIL - fuzz $name: crash, see below"
		tail -n 40 "$work.log"
		rc=1
	fi
	rm -rf "$work" "$work.log"
done
exit $rc
