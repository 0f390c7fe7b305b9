#!/bin/sh
# Build every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan against the
# project's sources compiled by clang.  Usage: tests/fuzz/build.sh OUTDIR
set -eu
OUT=${1:-build/fuzz}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
mkdir -p "$OUT/obj"
PKGS="libcurl openssl jansson librrd libmariadb inih libesmtp-1.0"
CF="-std=c11 -g -O1 -D_GNU_SOURCE -pthread -Isrc -Iprobes -Icollector -Ialerts -Ibackup $(pkg-config --cflags $PKGS) -fsanitize=fuzzer-no-link,address,undefined"
objs=""
for f in src/*.c probes/*.c collector/*.c alerts/*.c backup/*.c; do
	[ -f "$f" ] || continue
	[ "$f" = src/main.c ] && continue
	o="$OUT/obj/$(echo "$f" | tr / _).o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
		clang $CF -c -o "$o" "$f"
	fi
	objs="$objs $o"
done
for t in tests/fuzz/fuzz_*.c; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .c)
	clang $CF -fsanitize=fuzzer -o "$OUT/$name" "$t" $objs $(pkg-config --libs $PKGS) -lm
done
