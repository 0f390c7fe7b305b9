#!/bin/sh
# http probe: the -t deadline covers connect, TLS, headers and body (a
# server that accepts and never answers is CRITICAL after -t, not later),
# -w/-c response time ranges, and bad answers (garbage status lines,
# truncated bodies, bad chunked encoding, oversized headers) each give a
# clear CRITICAL, never a hang or a crash.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }

# elapsed CMD...: run through t_run, seconds taken in $EL
elapsed() {
	_t0=$($PY -c 'import time; print(time.monotonic())')
	t_run "$@"
	EL=$($PY -c 'import sys, time; print(round(time.monotonic() - float(sys.argv[1]), 3))' "$_t0")
}

SP=$(free_port)
silent_server "$SP"
wait_port "$SP" 5 || t_fail "silent server did not start"
elapsed "$OSEMON" check http -H 127.0.0.1 -p "$SP" -t 1
expect_rc 2 "accept-and-never-answer is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: timeout after (0\.9|1\.0)[0-9]* seconds' "timeout message"
expect_near "$EL" 1.2 0.7 "ends within -t (+1 s)"
elapsed "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$SP" -S -t 1.5
expect_rc 2 "TLS handshake never answered is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: timeout after 1\.[45]' "TLS timeout message"
expect_near "$EL" 1.7 0.7 "TLS wait ends within -t (+1 s)"

# the deadline covers the body: a 3 s download under -t 1
elapsed "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/slow.txt" -t 1
expect_rc 2 "slow body beyond -t is CRITICAL"
expect_match "$OUT" 'timeout after (0\.9|1\.0)[0-9]* seconds: Operation timed out .* out of 6144 bytes received' "partial body in the message"
expect_near "$EL" 1.2 0.7 "slow body ends within -t (+1 s)"

# response time ranges on the whole transfer
t_run "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/slow.txt" -w 1 -c 10
expect_rc 1 "3 s response over -w 1 is WARNING"
expect_match "$OUT" 'response time [0-9.]+ s over 1 - 6144 bytes' "-w message"
expect_match "$OUT" 'time_total=[0-9.]+s;1;10;0' "-w/-c in perfdata"
t_run "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/" -w 1 -c 2
expect_rc 0 "fast response under -w/-c"

# bad answers
GP=$(free_port)
t_bg $PY "$SRC/tests/lib/http_garbage.py" "$GP"
wait_port "$GP" 5 || t_fail "garbage server did not start"
G="http://127.0.0.1:$GP"
t_run "$OSEMON" check http -u "$G/garbage" -t 5
expect_rc 2 "non-HTTP answer is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: invalid HTTP response: Received HTTP/0.9' "non-HTTP answer message"
t_run "$OSEMON" check http -u "$G/badstatus" -t 5
expect_rc 2 "malformed status line is CRITICAL"
t_run "$OSEMON" check http -u "$G/status999" -t 5
expect_rc 2 "status 999 is CRITICAL"
expect_match "$OUT" 'invalid status 999' "status 999 message"
elapsed "$OSEMON" check http -u "$G/truncated" -t 5
expect_rc 2 "truncated body is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: invalid HTTP response: transfer closed with 990 bytes remaining' "truncated body message"
expect_near "$EL" 0.3 1 "truncated body fails at once"
t_run "$OSEMON" check http -u "$G/badchunk" -t 5
expect_rc 2 "invalid chunked encoding is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: .*chunk' "invalid chunk message"
t_run "$OSEMON" check http -u "$G/bighdr" -t 5
expect_rc 2 "200 KiB header line is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: invalid HTTP response: headers over' "oversized header message"
elapsed "$OSEMON" check http -u "$G/manyhdr" -t 5
expect_match "$RC" '^[02]$' "100,000 headers: a verdict, no crash ($RC)"
expect_near "$EL" 0.5 4 "100,000 headers: no hang"
elapsed "$OSEMON" check http -u "$G/silent" -t 1
expect_rc 2 "request read, never answered: CRITICAL"
expect_near "$EL" 1.2 0.7 "silent after request ends within -t"
t_run "$OSEMON" check http -u "$G/nul" -s needle
expect_rc 0 "-s finds a string after NUL bytes"
