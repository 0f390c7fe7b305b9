#!/bin/sh
# http probe, TLS against the harness nginx: verification by default with a
# reason per failure, -C days left (leaf and chain) against what openssl
# reads from the certificate and against check_http -C, --insecure,
# --min-tls, HTTP/2, -I/--resolve with the right SNI.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }
CA="$NGX_PKI/ca.pem"

# valid chain, verified against the test CA, reached by name via -I
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S --ca-file "$CA"
expect_rc 0 "valid certificate is OK"
expect_match "$OUT" '^HTTP OK: HTTP/1\.1 200 OK - 39 bytes in ' "valid: first line"
expect_near "$(perfdata_value "$OUT" cert_days_left)" "$(nginx_days_left valid)" 1 "valid: cert_days_left as openssl -enddate implies"
expect_match "$(perfdata_value "$OUT" time_tls)" '^[0-9.e-]+$' "time_tls perfdata"
expect_match "$(perfdata_value "$OUT" tls_version)" '^1\.[23]$' "tls_version perfdata"
expect_match "$OUT" 'certificate subject: O=osemon test,CN=valid-cn' "long output: subject"
expect_match "$OUT" 'certificate issuer: CN=osemon test root CA' "long output: issuer"
expect_match "$OUT" 'certificate SANs: DNS:localhost, IP:127.0.0.1' "long output: SANs"
expect_match "$OUT" 'TLS: TLSv1\.[23], cipher ' "long output: protocol and cipher"

# the same without the private CA: untrusted
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S
expect_rc 2 "unknown CA is CRITICAL by default"
expect_match "$OUT" "^HTTP CRITICAL: certificate 'valid-cn' is untrusted: unable to get local issuer certificate" "untrusted reason"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S --insecure
expect_rc 0 "--insecure accepts it"
expect_match "$OUT" 'not verified \(--insecure\): certificate .valid-cn. is untrusted' "--insecure still says what is wrong"

# each failure has its own reason
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_EXPIRED" -S --ca-file "$CA"
expect_rc 2 "expired is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: certificate 'expired-cn' expired 5 day\(s\) ago \(notAfter " "expired reason"
expect_near "$(perfdata_value "$OUT" cert_days_left)" "$(nginx_days_left expired)" 1 "expired: cert_days_left negative"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_NOTYET" -S --ca-file "$CA"
expect_rc 2 "not yet valid is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: certificate 'notyet-cn' not yet valid \(notBefore " "not yet valid reason"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_WRONG" -S --ca-file "$CA"
expect_rc 2 "wrong host name is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: certificate 'wrongname-cn' does not match host name 'localhost' \(SANs: DNS:www.example.invalid\)" "wrong name reason"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SELF" -S --ca-file "$CA"
expect_rc 2 "self-signed is CRITICAL"
expect_match "$OUT" "^HTTP CRITICAL: certificate 'selfsigned-cn' is self-signed and not trusted" "self-signed reason"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SELF" -S --ca-file "$NGX_PKI/selfsigned.pem"
expect_rc 0 "self-signed trusted through --ca-file"
t_run "$OSEMON" check http -u "https://127.0.0.1:$NGX_VALID/" --ca-file "$CA"
expect_rc 0 "IP address SAN matches an IP URL"

# -C alone: certificate only, check_http's wording and thresholds
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SOON" --ca-file "$CA" -C 30,14
expect_rc 2 "10 days left under -C 30,14 is CRITICAL"
soon=$(nginx_days_left soon)
expect_match "$OUT" "^HTTP CRITICAL: certificate 'soon-cn' expires in $soon day\(s\) \(" "-C critical message"
days=$(perfdata_value "$OUT" cert_days_left)
expect_near "$days" "$(nginx_days_left soon)" 1 "soon: cert_days_left as openssl -enddate implies"
expect_match "$OUT" "cert_days_left=$soon;@~:30;@~:14" "-C ranges in perfdata"
expect_no_match "$OUT" 'status=' "-C alone makes no HTTP request"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SOON" --ca-file "$CA" -C 30,5
expect_rc 1 "-C 30,5 is WARNING"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SOON" --ca-file "$CA" -C 5
expect_rc 0 "-C 5 is OK"
expect_match "$OUT" "^HTTP OK: certificate 'soon-cn' will expire on " "-C OK message"

# compare with monitoring-plugins' check_http -C on the same certificates
CH=/usr/lib/nagios/plugins/check_http
if [ -x "$CH" ]; then
	for c in "soon:$NGX_SOON:30,14" "soon:$NGX_SOON:30,5" "soon:$NGX_SOON:5" "valid:$NGX_VALID:30,14" "expired:$NGX_EXPIRED:30,14"; do
		name=${c%%:*}; rest=${c#*:}; port=${rest%%:*}; th=${rest#*:}
		"$CH" -H localhost -I 127.0.0.1 -p "$port" -S --sni -C "$th" >"$T_TMP/ch.out" 2>&1
		ch_rc=$?
		ch_days=$(sed -n "s/.*expires in \([0-9]*\) day.*/\1/p" "$T_TMP/ch.out")
		t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$port" --ca-file "$CA" -C "$th"
		expect_rc "$ch_rc" "$name -C $th: same exit code as check_http ($(head -c 80 "$T_TMP/ch.out"))"
		if [ -n "$ch_days" ]; then
			expect_match "$OUT" "expires in $ch_days day" "$name -C $th: same days as check_http"
		fi
	done
fi

# -C with the HTTP check as well
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_SOON" --ca-file "$CA" -C 30,5 --continue-after-certificate -s nothere
expect_rc 2 "--continue-after-certificate: the worse of both"
expect_match "$OUT" "string 'nothere' not found" "content problem reported"
expect_match "$OUT" "certificate 'soon-cn' expires in $(nginx_days_left soon) day" "certificate problem reported too"
expect_eq "$(perfdata_value "$OUT" status)" 200 "HTTP request made"

# earliest-expiring certificate in the chain
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_CHAIN" -S --ca-file "$CA" -C 30,14
expect_rc 0 "intermediate-signed chain is OK"
expect_match "$OUT" 'chain depth 1: O=osemon test,CN=inter-cn' "chain listed in long output"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_CHAINSOON" -S --ca-file "$CA" -C 30,14
expect_rc 1 "intermediate expiring in 20 days is WARNING"
inter=$(nginx_days_left chainsoon-inter)
expect_match "$OUT" "certificate 'chainsoon-inter-cn' in the chain expires in $inter day" "names the intermediate"
expect_near "$(perfdata_value "$OUT" cert_chain_days_left)" "$inter" 1 "cert_chain_days_left"
expect_near "$(perfdata_value "$OUT" cert_days_left)" "$(nginx_days_left chainsoonleaf)" 1 "leaf days still reported"

# expired certificate with --insecure -C: still CRITICAL on the dates
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_EXPIRED" -S --insecure -C 30,14
expect_rc 2 "--insecure -C on an expired certificate is CRITICAL"
expect_match "$OUT" "certificate 'expired-cn' expired 5 day" "--insecure expired message"

# TLS versions
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_TLS12" -S --ca-file "$CA"
expect_rc 0 "TLS 1.2 server"
expect_eq "$(perfdata_value "$OUT" tls_version)" 1.2 "tls_version 1.2"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_TLS12" -S --ca-file "$CA" --min-tls 1.3
expect_rc 2 "--min-tls 1.3 against a TLS 1.2 server is CRITICAL"
expect_match "$OUT" '^HTTP CRITICAL: TLS handshake failed: .*protocol version' "--min-tls failure message"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_TLS13" -S --ca-file "$CA" --min-tls 1.3
expect_rc 0 "--min-tls 1.3 against TLS 1.3"
expect_eq "$(perfdata_value "$OUT" tls_version)" 1.3 "tls_version 1.3"

# HTTP/2
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S --ca-file "$CA" --http2
expect_rc 0 "HTTP/2"
expect_match "$OUT" '^HTTP OK: HTTP/2 200 - 39 bytes' "HTTP/2 status line"
expect_match "$OUT" 'HTTP version: 2' "HTTP/2 in long output"
t_run "$OSEMON" check http -H 127.0.0.1 -p "$NGX_HTTP" --http2
expect_rc 2 "--http2 to a plain HTTP/1.1 port fails"
t_run "$OSEMON" check http -u "https://localhost:$NGX_VALID/" -I 127.0.0.1 --ca-file "$CA" --http1.1
expect_rc 0 "--http1.1 with -u and -I"
expect_match "$OUT" '^HTTP OK: HTTP/1\.1 200 OK' "HTTP/1.1 status line"

# a redirect from http to https: the chain reported is the https one
t_run "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/to-https" -f follow --ca-file "$CA" -s 'hello osemon'
expect_rc 0 "http -> https redirect followed and verified"
expect_near "$(perfdata_value "$OUT" cert_days_left)" "$(nginx_days_left valid)" 1 "cert_days_left of the https hop"
expect_match "$OUT" "redirects: 302 -> https://localhost:$NGX_VALID/" "redirect to https in long output"
t_run "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/to-https" -f follow
expect_rc 2 "http -> https redirect to an untrusted certificate is CRITICAL"
expect_match "$OUT" "certificate 'valid-cn' is untrusted" "untrusted after redirect"

# option errors
t_run "$OSEMON" check http -u "http://127.0.0.1:$NGX_HTTP/" -C 30
expect_rc 3 "-C on an http URL is UNKNOWN"
t_run "$OSEMON" check http -H localhost -p "$NGX_VALID" -C 10,20
expect_rc 3 "-C with crit > warn is UNKNOWN"
t_run "$OSEMON" check http -H localhost -p "$NGX_VALID" -S --min-tls 1.4
expect_rc 3 "bad --min-tls"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S --ca-file "$T_TMP/none.pem"
expect_rc 3 "unreadable --ca-file is UNKNOWN"
expect_match "$OUT" "cannot read --ca-file $T_TMP/none.pem" "--ca-file message"
t_run "$OSEMON" check http -H localhost -I 127.0.0.1 -p "$NGX_VALID" -S --ca-file /etc/hostname
expect_rc 3 "a --ca-file without certificates is UNKNOWN"
expect_match "$OUT" "^HTTP UNKNOWN: cannot load CA certificates from /etc/hostname" "--ca-file load message"
