#!/bin/bash
# Run every unit and integration test against one build folder.
# Usage: tests/run.sh BUILD [RESULTS_FILE]
# Prints one line per assertion and ends with "N passed, N failed".
set -u
BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
T_RESULTS=${2:-$(mktemp)}
: >"$T_RESULTS"
export BUILD SRC T_RESULTS
export OSEMON="$BUILD/osemon" OSEMON_FULL="$BUILD/osemon-full"
export LC_ALL=C

for t in "$BUILD"/tests/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	passed=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
	failed=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
	passed=${passed:-0}
	failed=${failed:-0}
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		failed=1	# crashed or sanitizer report
	fi
	i=0; while [ "$i" -lt "$passed" ]; do echo pass >>"$T_RESULTS"; i=$((i + 1)); done
	i=0; while [ "$i" -lt "$failed" ]; do echo fail >>"$T_RESULTS"; i=$((i + 1)); done
	if [ "$failed" -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[ RUN\|^\[       OK' | sed "s/^/$name: /"
	fi
	echo "unit $name: $passed passed, $failed failed"
done

# Integration scripts, TEST_JOBS at a time (default 2: most of their time
# is spent waiting for servers and intervals).  Each one's output is
# printed when it ends, so lines never interleave.
run_script() { # script
	name=$(basename "$1" .sh)
	log=$(mktemp)
	mine=$(mktemp)
	T_NAME=$name T_RESULTS=$mine timeout -k 10 600 sh "$1" >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL - $name: script exited $rc" >>"$log"
		echo fail >>"$mine"
	elif [ ! -s "$mine" ]; then
		echo "FAIL - $name: asserted nothing" >>"$log"
		echo fail >>"$mine"
	fi
	cat "$log"
	cat "$mine" >>"$T_RESULTS"
	rm -f "$log" "$mine"
}
JOBS=${TEST_JOBS:-2}
running=0
for s in "$SRC"/tests/integration/*.sh; do
	[ -f "$s" ] || continue
	run_script "$s" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

p=$(grep -c '^pass$' "$T_RESULTS")
f=$(grep -c '^fail$' "$T_RESULTS")
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
