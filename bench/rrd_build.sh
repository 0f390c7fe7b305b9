# Sourced by bench/rrd.sh and bench/graph.sh: build bench/rrd_bench.c
# against the project's objects in $BUILD/full (run `make` first).
SRC=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$SRC/build}
BENCH_BIN="$BUILD/bench/rrd_bench"
mkdir -p "$BUILD/bench"
if [ ! -x "$BENCH_BIN" ] || [ "$SRC/bench/rrd_bench.c" -nt "$BENCH_BIN" ] ||
    [ "$BUILD/osemon-full" -nt "$BENCH_BIN" ]; then
	objs=$(find "$BUILD/full" -name '*.o' ! -path '*/src/main.o' | sort)
	# shellcheck disable=SC2086
	cc -std=c11 -O2 -D_GNU_SOURCE -pthread -I"$SRC/src" -I"$SRC/probes" \
	    -I"$SRC/collector" $(pkg-config --cflags librrd jansson) \
	    -o "$BENCH_BIN" "$SRC/bench/rrd_bench.c" $objs \
	    $(pkg-config --libs libcurl openssl jansson librrd libmariadb inih libesmtp-1.0) -lm ||
	    { echo "bench: cannot build rrd_bench (run make first)" >&2; exit 1; }
fi
