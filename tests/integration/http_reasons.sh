#!/bin/sh
# http probe: the reason code (closed enum, shown by -v) of each kind of
# failure, table-driven: state and reason, not prose.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/nginx.sh"
need nginx openssl
nginx_certs || { t_fail "nginx_certs"; exit 0; }
nginx_start || { t_fail "nginx_start"; exit 0; }
SP=$(free_port)
silent_server "$SP"
GP=$(free_port)
t_bg $PY "$SRC/tests/lib/http_garbage.py" "$GP"
wait_port "$SP" 5 && wait_port "$GP" 5 || t_fail "helper servers did not start"
B="http://127.0.0.1:$NGX_HTTP"
T="-H localhost -I 127.0.0.1 -S --ca-file $NGX_PKI/ca.pem"

# case: exit reason arguments...
while IFS='|' read -r rc reason args; do
	[ -n "$rc" ] || continue
	# shellcheck disable=SC2086
	t_run "$OSEMON" check http -v $args
	last=$(printf '%s\n' "$OUT" | tail -n 1)
	if [ "$RC" = "$rc" ] && [ "$last" = "reason: $reason" ]; then
		t_pass "$args: exit $rc, reason $reason"
	else
		t_fail "$args: exit $RC ($last), wanted $rc (reason: $reason); $(printf '%s' "$OUT" | head -n 1 | cut -c1-160)"
	fi
done <<EOF
0|none|-u $B/
1|status|-u $B/missing
2|status|-u $B/error
2|status|-u $B/ -e 204
2|status|-u $B/loop -f follow --max-redirs 2
2|content|-u $B/ -s absent
2|content|-u $B/ -r absent
2|content|-u $B/ -d X-Absent
1|threshold|-u $B/big.bin -m 10:20
2|threshold|-u $B/ -c 0:0.000000001
2|connect|-H 127.0.0.1 -p $(free_port)
2|timeout|-H 127.0.0.1 -p $SP -t 1
2|protocol|-u http://127.0.0.1:$GP/garbage
2|protocol|-u http://127.0.0.1:$GP/truncated
2|protocol|-u http://127.0.0.1:$GP/badchunk
2|tls|$T -p $NGX_EXPIRED
2|tls|$T -p $NGX_NOTYET
2|tls|$T -p $NGX_WRONG
2|tls|$T -p $NGX_SELF
2|tls|-H localhost -I 127.0.0.1 -S -p $NGX_VALID
2|tls|$T -p $NGX_TLS12 --min-tls 1.3
2|tls|$T -p $NGX_SOON -C 30,14
1|tls|$T -p $NGX_SOON -C 30,5
0|none|$T -p $NGX_SOON -C 5
2|protocol|-H 127.0.0.1 -p $NGX_HTTP --http2
3|config|-u ftp://127.0.0.1/
3|config|-H 127.0.0.1 -r (
3|config|-u $B/private/ --auth-file $T_TMP/absent
EOF
