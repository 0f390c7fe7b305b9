#!/bin/sh
# The whole suite, as `make check` and CI run it:
#   1. format check (.clang-format)
#   2. build + unit + integration tests
#   3. the same again built with AddressSanitizer + UndefinedBehaviorSanitizer
#   4. every libFuzzer target for a few seconds over its seed corpus
#   5. the quick benchmark pass (every comparison runs and prints its ratio)
# Ends with one line "N passed, N failed".
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
ALL=$(mktemp)
export LC_ALL=C

record() { # pass|fail description
	echo "$1" >>"$ALL"
	if [ "$1" = pass ]; then echo "ok - $2"; else echo "FAIL - $2"; fi
}

if sh scripts/format-check.sh >/tmp/osemon-format.log 2>&1; then
	record pass "format check"
else
	head -n 40 /tmp/osemon-format.log
	record fail "format check (run clang-format -i on the files above)"
fi

run_build() { # build-dir make-args...
	dir=$1
	shift
	if make -j2 BUILD="$dir" "$@" tests >"/tmp/osemon-make-$dir.log" 2>&1; then
		record pass "build $dir"
		part=$(mktemp)
		bash tests/run.sh "$dir" "$part"
		cat "$part" >>"$ALL"
		rm -f "$part"
	else
		tail -n 40 "/tmp/osemon-make-$dir.log"
		record fail "build $dir"
	fi
}

echo "== plain build"
run_build build
echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
# libesmtp reads past a key of its own header table (not our code): its
# interceptor reports are suppressed, nothing else.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:suppressions=$SRC/tests/lib/libesmtp.asan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS=suppressions=$SRC/tests/lsan.supp:print_suppressions=0 \
    run_build build-asan SANITIZE=address,undefined OPT="-O1 -g"

echo "== fuzz smoke"
if command -v clang >/dev/null && sh tests/fuzz/build.sh build/fuzz >/tmp/osemon-fuzz-build.log 2>&1; then
	record pass "fuzz targets build"
	sh tests/fuzz/smoke.sh build/fuzz 5 | while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok - "*) echo pass >>"$ALL" ;;
		"FAIL - "*) echo fail >>"$ALL" ;;
		esac
	done
else
	tail -n 30 /tmp/osemon-fuzz-build.log
	record fail "fuzz targets build"
fi

if [ -f bench/run.sh ]; then
	echo "== bench-quick"
	if sh bench/run.sh --quick >/tmp/osemon-bench.log 2>&1; then
		grep -E 'ratio|×|x ' /tmp/osemon-bench.log | head -n 40
		record pass "bench-quick: every comparison ran"
	else
		tail -n 30 /tmp/osemon-bench.log
		record fail "bench-quick"
	fi
fi

p=$(grep -c '^pass$' "$ALL")
f=$(grep -c '^fail$' "$ALL")
rm -f "$ALL"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
