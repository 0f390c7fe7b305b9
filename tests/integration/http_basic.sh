#!/bin/sh
# http probe, plain HTTP against the harness nginx: status mapping, content,
# size, redirects (relative and absolute on non-standard ports), request
# options, basic auth from a file, and option errors.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }
B="http://127.0.0.1:$NGX_HTTP"

# plain 200: the check_http-like first line, exact size, status perfdata
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP"
expect_rc 0 "200 is OK"
expect_match "$OUT" '^HTTP OK: HTTP/1\.1 200 OK - 39 bytes in [0-9]+\.[0-9]{3} second response time \|' "first line like check_http"
expect_eq "$(perfdata_value "$OUT" size)" 39 "size perfdata is the body length"
expect_eq "$(perfdata_value "$OUT" status)" 200 "status perfdata"
for m in time_dns time_connect time_ttfb time_total; do
	expect_match "$(perfdata_value "$OUT" $m)" '^[0-9.e-]+$' "$m perfdata present"
done
expect_no_match "$OUT" 'time_tls=' "no time_tls on plain http"
expect_match "$OUT" "URL: http://127.0.0.1:$NGX_HTTP/" "long output names the URL"

# -I connects to an address while Host stays the name, with -H or -u
t_run "$OSEMON" check http -H osemon-test.invalid -I 127.0.0.1 -p "$NGX_HTTP" -s 'hello osemon'
expect_rc 0 "-H NAME -I ADDR: no DNS lookup of NAME"
t_run "$OSEMON" check http -u "http://osemon-test.invalid:$NGX_HTTP/" -I 127.0.0.1
expect_rc 0 "-u URL -I ADDR: no DNS lookup of the URL's host"
t_run "$OSEMON" check http -u "http://osemon-test.invalid:$NGX_HTTP/" -t 5
expect_rc 2 "without -I the name does not resolve"
expect_match "$OUT" "^HTTP CRITICAL: Could not resolve host: osemon-test.invalid" "resolve failure message"

# -4 / -6: nginx listens on 127.0.0.1 only
t_run "$OSEMON" check http -H localhost -p "$NGX_HTTP" -4
expect_rc 0 "-4 reaches the IPv4 listener"
t_run "$OSEMON" check http -H localhost -p "$NGX_HTTP" -6 -t 5
expect_rc 2 "-6 does not reach an IPv4-only listener"
t_run "$OSEMON" check http -H localhost -p "$NGX_HTTP" -4 -6
expect_rc 3 "-4 with -6 is UNKNOWN"

# same through -u with a full URL and the light front handing over
t_run "$OSEMON" check http -u "$B/"
expect_rc 0 "-u full URL"

# status mapping
t_run "$OSEMON" check http -u "$B/missing"
expect_rc 1 "404 is WARNING"
expect_match "$OUT" '^HTTP WARNING: HTTP/1\.1 404 Not Found - client error - ' "404 message"
expect_eq "$(perfdata_value "$OUT" status)" 404 "404 status perfdata"
t_run "$OSEMON" check http -u "$B/error"
expect_rc 2 "500 is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: HTTP/1\.1 500 Internal Server Error - server error' "500 message"
t_run "$OSEMON" check http -u "$B/missing" -e 404
expect_rc 0 "-e 404 accepts the 404"
t_run "$OSEMON" check http -u "$B/" -e 201,204
expect_rc 2 "-e without the status is CRITICAL"
expect_match "$OUT" 'status 200 not in expected 201,204' "-e message lists the codes"
t_run "$OSEMON" check http -u "$B/" -e 200 -e 301
expect_rc 0 "-e repeated"

# content
t_run "$OSEMON" check http -u "$B/" -s 'hello osemon'
expect_rc 0 "-s present"
t_run "$OSEMON" check http -u "$B/" -s nothere
expect_rc 2 "-s missing is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: HTTP/1.1 200 OK - string 'nothere' not found - 39 bytes" "-s message"
t_run "$OSEMON" check http -u "$B/" -r 'hel+o [a-z]+'
expect_rc 0 "-r matches"
t_run "$OSEMON" check http -u "$B/" -r 'hel+o [0-9]+'
expect_rc 2 "-r not matching is CRITICAL"
expect_match "$OUT" "pattern 'hel\+o \[0-9\]\+' not found" "-r message"
t_run "$OSEMON" check http -u "$B/" -r 'hello' --invert-regex
expect_rc 2 "--invert-regex match is CRITICAL"
t_run "$OSEMON" check http -u "$B/" -r 'goodbye' --invert-regex
expect_rc 0 "--invert-regex no match is OK"
t_run "$OSEMON" check http -u "$B/" -d 'X-Osemon: harness'
expect_rc 0 "-d header present"
t_run "$OSEMON" check http -u "$B/" -d 'X-Missing'
expect_rc 2 "-d header missing is CRITICAL"
expect_match "$OUT" "header string 'X-Missing' not found" "-d message"

# page size
t_run "$OSEMON" check http -u "$B/big.bin" -m 1000:50000
expect_rc 1 "-m too large is WARNING"
expect_match "$OUT" 'page size 2097152 too large - 2097152 bytes' "-m too large message"
expect_eq "$(perfdata_value "$OUT" size)" 2097152 "2 MiB body size"
expect_match "$OUT" 'size=2097152B;1000:50000;;0' "size perfdata carries the -m range"
t_run "$OSEMON" check http -u "$B/" -m 100
expect_rc 1 "-m too small is WARNING"
expect_match "$OUT" 'page size 39 too small' "-m too small message"
t_run "$OSEMON" check http -u "$B/big.bin" -m 2000000:3000000 -s xxxx
expect_rc 0 "-m inside range, -s on a large body"

# redirects: relative Location, then absolute to another non-standard port
t_run "$OSEMON" check http -u "$B/redir-rel"
expect_rc 0 "301 without -f is OK"
expect_match "$OUT" '^HTTP OK: HTTP/1\.1 301 Moved Permanently' "301 status line"
t_run "$OSEMON" check http -u "$B/redir-rel" -f warning
expect_rc 1 "-f warning"
t_run "$OSEMON" check http -u "$B/redir-rel" -f critical
expect_rc 2 "-f critical"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" --path /redir-rel -f follow -s 'landed on B'
expect_rc 0 "-f follow through relative then absolute redirect"
expect_match "$OUT" '^HTTP OK: HTTP/1\.1 200 OK - 12 bytes' "followed to the landing page"
expect_match "$OUT" "redirects: 301 -> /redir-abs, 302 -> http://127.0.0.1:$NGX_HTTP_B/landing" "redirect chain in long output"
t_run "$OSEMON" check http -u "$B/loop" -f follow --max-redirs 3
expect_rc 2 "redirect loop is CRITICAL"
expect_match "$OUT" 'Maximum \(3\) redirects followed' "loop message names the limit"

# request options
t_run "$OSEMON" check http -u "$B/" -j HEAD
expect_rc 0 "HEAD"
expect_eq "$(perfdata_value "$OUT" size)" 0 "HEAD has no body"
t_run "$OSEMON" check http -u "$B/" -P 'a=1' -e 405
expect_rc 0 "POST to a static file is 405 (-P sends a body)"
t_run "$OSEMON" check http -u "$B/" -k 'X-Test: 1' -A 'osemon-test/1'
expect_rc 0 "-k and -A accepted"

# basic auth from a file
t_run "$OSEMON" check http -u "$B/private/"
expect_rc 1 "no credentials: 401 is WARNING"
t_run "$OSEMON" check http -u "$B/private/" --auth-file "$NGX_PKI/auth.txt" -s 'secret page'
expect_rc 0 "--auth-file credentials accepted"
t_run "$OSEMON" check http -u "$B/private/" --auth-file "$NGX_PKI/auth-bad.txt"
expect_rc 1 "wrong password: 401"
chmod 644 "$NGX_PKI/auth.txt"
t_run "$OSEMON" check http -u "$B/private/" --auth-file "$NGX_PKI/auth.txt"
expect_rc 3 "world-readable auth file refused"
expect_no_match "$OUT$ERR" "$(cut -d: -f2 "$NGX_PKI/auth.txt")" "the secret never shows"

# option and URL errors are UNKNOWN with a clear message
t_run "$OSEMON" check http -u 'ftp://127.0.0.1/'
expect_rc 3 "ftp URL is UNKNOWN"
expect_match "$OUT" 'scheme must be http or https' "scheme message"
t_run "$OSEMON" check http -u 'http://user:pw@127.0.0.1/'
expect_rc 3 "credentials in URL refused"
t_run "$OSEMON" check http -u 'http://127.0.0.1:99999/'
expect_rc 3 "bad port in URL"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" -e 2000
expect_rc 3 "bad -e code"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" -r '(unclosed'
expect_rc 3 "bad regex"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" -f sometimes
expect_rc 3 "bad -f"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" -k 'no colon'
expect_rc 3 "bad header"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" -m 10:5
expect_rc 3 "bad -m"
t_run "$OSEMON" check http
expect_rc 3 "no target"
expect_match "$OUT" 'no target' "no target message"

# connection refused: CRITICAL, connect reason
p=$(free_port)
t_run "$OSEMON" check http -H 127.0.0.1 -p "$p"
expect_rc 2 "connection refused is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: Failed to connect to 127.0.0.1 port $p" "refused message"

# munin face: options from the environment (plugin-conf.d env.url)
t_run env url="$B/" "$OSEMON" munin http config
expect_match "$OUT" '^time_total\.label time_total \(s\)' "munin config lists time_total"
t_run env url="$B/" "$OSEMON" munin http
expect_rc 0 "munin fetch"
expect_match "$OUT" '^size\.value 39$' "munin fetch size"
expect_match "$OUT" '^status\.value 200$' "munin fetch status"
