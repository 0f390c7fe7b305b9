#!/bin/sh
# CPU per HTTP(S) check: the http probe run in-process back to back
# (bench/http_bench.c: probe->run with FACE_COLLECTOR, a new
# libcurl handle, connection and TLS handshake per check) against
# monitoring-plugins' check_http exec'd once per check, as Nagios does; and
# the plugin faces exec'd per check: `osemon check http` against check_curl.
# The harness nginx serves both on 127.0.0.1 with TLS session caching and
# tickets off, so every HTTPS check pays a full handshake.  osemon verifies
# the chain (--ca-file) and host name; check_http verifies neither.  The
# in-process checks keep the check's parsed CA store between runs, as the
# collector does; "bundle" runs verify against a system-sized CA bundle.
# Ratios are from this same run.
# Usage: sh bench/http.sh [--quick]      (needs `make` first)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
N=1000
[ "${1:-}" = --quick ] && N=100
PLUGINS=${PLUGINS:-/usr/lib/nagios/plugins}

BIN="$BUILD/bench/http_bench"
mkdir -p "$BUILD/bench"
if [ ! -x "$BIN" ] || [ "$SRC/bench/http_bench.c" -nt "$BIN" ] ||
    [ "$BUILD/osemon-full" -nt "$BIN" ]; then
	objs=$(find "$BUILD/full" -name '*.o' ! -path '*/src/main.o' | sort)
	# shellcheck disable=SC2086
	cc -std=c11 -O2 -D_GNU_SOURCE -pthread -I"$SRC/src" -I"$SRC/probes" \
	    -o "$BIN" "$SRC/bench/http_bench.c" $objs \
	    $(pkg-config --libs libcurl openssl jansson librrd libmariadb inih libesmtp-1.0) -lm ||
	    { echo "bench: cannot build http_bench (run make first)" >&2; exit 1; }
fi

T_RESULTS=/dev/null
T_NAME=bench-http
set +u
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
set -u
nginx_certs || { echo "bench: certificates failed" >&2; exit 1; }
nginx_start >/dev/null || { echo "bench: nginx did not start" >&2; exit 1; }
# the worker serves the requests: its CPU is the server side
sleep 0.3
BENCH_SERVER_PID=$(pgrep -P "$NGX_PID" | head -n 1 || true)
export BENCH_SERVER_PID

val() { sed -n "s/^$1 //p" "$2"; }
run() { # name mode args...
	_name=$1
	shift
	"$BIN" "$@" >"$T_TMP/$_name.txt" 2>"$T_TMP/$_name.err" || true
	if [ ! -s "$T_TMP/$_name.txt" ]; then
		echo "$_name: the driver failed: $(head -c 300 "$T_TMP/$_name.err")"
		return 0
	fi
	printf '%-30s %9s us CPU/check %8s ms wall/check %7s us server/check  bad=%s\n' \
	    "$_name" "$(val cpu_us "$T_TMP/$_name.txt")" \
	    "$(val wall_ms "$T_TMP/$_name.txt")" "$(val server_us "$T_TMP/$_name.txt")" \
	    "$(val bad "$T_TMP/$_name.txt")"
}
ratio() { # label a b
	awk -v a="$(val cpu_us "$T_TMP/$2.txt")" -v b="$(val cpu_us "$T_TMP/$3.txt")" -v l="$1" \
	    'BEGIN { if (b > 0) printf "ratio %s: %.1fx\n", l, a / b; else printf "ratio %s: n/a\n", l }'
}

# a CA bundle the size of a real one: Debian's system bundle plus the test CA
BUNDLE="$T_TMP/bundle.pem"
cat /etc/ssl/certs/ca-certificates.crt "$NGX_PKI/ca.pem" >"$BUNDLE" 2>/dev/null ||
    cp "$NGX_PKI/ca.pem" "$BUNDLE"
NB=$(grep -c 'BEGIN CERTIFICATE' "$BUNDLE")
# private copies: a rebuild of $BUILD during the run must not break it
mkdir -p "$T_TMP/bin"
cp "$BUILD/osemon" "$BUILD/osemon-full" "$T_TMP/bin/" ||
    { echo "bench: no osemon binaries in $BUILD (run make first)" >&2; exit 1; }
# the network probes' own front (libcurl, openssl), when the build has it
PROBES_BIN=osemon-full
if [ -x "$BUILD/osemon-probes" ]; then
	cp "$BUILD/osemon-probes" "$T_TMP/bin/"
	PROBES_BIN=osemon-probes
fi
OS="$T_TMP/bin"
H="-H 127.0.0.1 -p $NGX_HTTP"
S="-H localhost -I 127.0.0.1 -p $NGX_VALID -S"
echo "http: $N checks each, nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(curl-config --version), $(openssl version | cut -d' ' -f1-2)"
# shellcheck disable=SC2086
{
	run inproc-http inproc "$N" $H
	run exec-check_http-http exec "$N" "$PLUGINS/check_http" $H
	run inproc-https inproc "$N" $S --ca-file "$NGX_PKI/ca.pem"
	run exec-check_http-https exec "$N" "$PLUGINS/check_http" $S --sni
	run inproc-https-bundle inproc "$N" $S --ca-file "$BUNDLE"
	run exec-check_curl-https-bundle exec "$N" "$PLUGINS/check_curl" $S -D --ca-cert "$BUNDLE"
	run exec-osemon-http exec "$N" "$OS/osemon" check http $H
	run exec-$PROBES_BIN-http exec "$N" "$OS/$PROBES_BIN" check http $H
	run exec-check_curl-http exec "$N" "$PLUGINS/check_curl" $H
	run exec-osemon-https exec "$N" "$OS/osemon" check http $S --ca-file "$NGX_PKI/ca.pem"
	run exec-check_curl-https exec "$N" "$PLUGINS/check_curl" $S -D --ca-cert "$NGX_PKI/ca.pem"
}
ratio "check_http exec / in-process probe, HTTP" exec-check_http-http inproc-http
ratio "check_http exec / in-process probe, HTTPS (full handshake)" exec-check_http-https inproc-https
ratio "check_http exec / in-process probe, HTTPS verified against a $NB-certificate bundle" exec-check_http-https inproc-https-bundle
ratio "check_curl exec / in-process probe, HTTPS, both verify against the $NB-certificate bundle" exec-check_curl-https-bundle inproc-https-bundle
ratio "check_curl exec / osemon check http exec, HTTP" exec-check_curl-http exec-osemon-http
ratio "check_curl exec / $PROBES_BIN check http exec, HTTP" exec-check_curl-http exec-$PROBES_BIN-http
ratio "check_curl exec / osemon check http exec, HTTPS (both verify)" exec-check_curl-https exec-osemon-https
# RATIO lines (osemon/peer, CPU per check) for bench/run.sh's summary
rline() { # name peer-label osemon-case peer-case
	awk -v o="$(val cpu_us "$T_TMP/$3.txt")" -v p="$(val cpu_us "$T_TMP/$4.txt")" -v n="$1" -v l="$2" \
	    'BEGIN { if (o > 0 && p > 0) printf "RATIO %s osemon/%s = %.3f (osemon %.0f us, peer %.0f us CPU per check)\n", n, l, o / p, o, p }'
}
rline http-percheck check_http inproc-http exec-check_http-http
rline https-percheck check_http inproc-https exec-check_http-https
rline http-plugin-face check_curl exec-osemon-http exec-check_curl-http
rline https-plugin-face check_curl exec-osemon-https exec-check_curl-https
set +e	# tests/lib.sh's cleanup trap must not turn a failed kill into exit 1
