# varnish probe against a real varnishd (tests/lib/varnish.sh): metric
# names, exact request counting against varnishstat, hit ratio, backend
# failures, a sick backend, varnishd stopped, garbage from varnishstat,
# the old flat JSON layout, and the munin face under munin-run.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/varnish.sh"
need varnishd varnishstat curl

cat >"$T_TMP/in.vcl" <<'VCL'
vcl 4.1;
backend web {
	.host = "127.0.0.1";
	.port = "@BACKEND_PORT@";
	.probe = { .url = "/"; .interval = 0.2s; .timeout = 0.5s;
	    .window = 3; .threshold = 2; .initial = 2; }
}
backend dead {
	.host = "127.0.0.1";
	.port = "@DEAD_PORT@";
	.connect_timeout = 0.5s;
}
sub vcl_recv {
	if (req.url ~ "^/dead/") {
		set req.backend_hint = dead;
	} else {
		set req.backend_hint = web;
	}
}
VCL
varnish_start "$T_TMP/in.vcl" || { t_fail "varnishd did not start"; exit 0; }

# 1. OK with the exact metric names.
t_run "$OSEMON" check varnish -n "$VN_DIR"
expect_rc 0 "running varnishd is OK"
expect_match "$OUT" '^VARNISH OK: ' "plugin line starts with VARNISH OK"
names=$(printf '%s\n' "$OUT" | head -n 1 | sed 's/^[^|]*|//' | tr ' ' '\n' |
    sed -n 's/^\([a-z_0-9]*\)=.*/\1/p' | tr '\n' ' ')
expect_eq "$names" "uptime client_req cache_hit cache_hitpass cache_miss backend_conn backend_fail backend_unhealthy n_object n_expired n_lru_nuked threads threads_failed sess_dropped thread_queue_len hit_ratio backend_fail_rate lru_nuked_rate sess_dropped_rate sma_s0_used sma_s0_free sma_transient_used sma_transient_free backends_sick " \
    "exact metric names in order"
expect_eq "$(perfdata_value "$OUT" backends_sick)" 0 "no sick backend while the backend is up"

# 2. N requests raise client_req by exactly N, as varnishstat -1 says.
before=$(perfdata_value "$OUT" client_req)
for p in 1 2 3 4 5 6 7; do
	varnish_get "/page$p.html" >/dev/null
done
varnish_get /page1.html >/dev/null
varnish_get /page1.html >/dev/null
t_run "$OSEMON" check varnish -n "$VN_DIR"
after=$(perfdata_value "$OUT" client_req)
expect_eq "$((after - before))" 9 "9 requests raise client_req by exactly 9"
expect_eq "$after" "$(varnish_counter MAIN.client_req)" "client_req equals varnishstat -1"
hit=$(varnish_counter MAIN.cache_hit)
miss=$(varnish_counter MAIN.cache_miss)
pass=$(varnish_counter MAIN.cache_hitpass)
expect_eq "$(perfdata_value "$OUT" cache_hit)" "$hit" "cache_hit equals varnishstat -1"
expect_near "$(perfdata_value "$OUT" hit_ratio)" \
    "$(awk -v h="$hit" -v m="$miss" -v p="$pass" 'BEGIN { print 100 * h / (h + m + p) }')" \
    0.001 "hit ratio since start is hits / (hits + misses + hit-for-pass)"

# 3. Hit ratio range.
t_run "$OSEMON" check varnish -n "$VN_DIR" --hitratio-critical 99:
expect_rc 2 "hit ratio below --hitratio-critical 99: is CRITICAL"
expect_match "$OUT" '^VARNISH CRITICAL: hit_ratio [0-9.]+% outside 99: \(critical\)' \
    "message names the hit ratio and its range"
t_run "$OSEMON" check varnish -n "$VN_DIR" --hitratio-warning 99: --hitratio-critical 1:
expect_rc 1 "hit ratio between the ranges is WARNING"

# 4. A backend that refuses connections shows backend failures.
s1=$(varnish_get /dead/a)
s2=$(varnish_get /dead/b)
expect_eq "$s1$s2" 503503 "requests to the dead backend fail with 503"
t_run "$OSEMON" check varnish -n "$VN_DIR"
expect_eq "$(perfdata_value "$OUT" backend_fail)" "$(varnish_counter MAIN.backend_fail)" \
    "backend_fail equals varnishstat -1"
expect_match "$(perfdata_value "$OUT" backend_fail)" '^[1-9]' "backend failures counted"
t_run "$OSEMON" check varnish -n "$VN_DIR" --backend-fail-warning 0
expect_rc 1 "backend failure rate above --backend-fail-warning 0 is WARNING"
expect_match "$OUT" 'backend_fail_rate [0-9.e-]+ outside 0 \(warning\)' "message names the failure rate"

# 4b. The collector face: the hit ratio over the last interval, not since
# start (which is above 0 after the hits of section 2).
mkdir -p "$T_TMP/coll"
cat >"$T_TMP/coll/osemon.conf" <<CONF
[global]
rrd-dir = rrd
graph-dir = www
state-dir = state
[check v]
probe = varnish
instance = $VN_DIR
interval = 1
retry-interval = 1
hitratio-warning = 50:
CONF
t_bg "$OSEMON" run -c "$T_TMP/coll/osemon.conf" 2>"$T_TMP/coll/run.log"
COLL_PID=$T_LAST_PID
n=0
until "$OSEMON" status -c "$T_TMP/coll/osemon.conf" 2>/dev/null | grep -q '^v '; do
	n=$((n + 1))
	[ "$n" -lt 50 ] || break
	sleep 0.1
done
for p in 1 2 3 4 5; do
	varnish_get "/page$p.html?collector" >/dev/null
done
n=0
while [ "$n" -lt 40 ]; do
	t_run "$OSEMON" status -c "$T_TMP/coll/osemon.conf"
	printf '%s\n' "$OUT" | grep -q 'hit ratio 0.0% (last interval)' && break
	sleep 0.2
	n=$((n + 1))
done
expect_match "$OUT" '^v +WARNING .*hit_ratio 0% outside 50: \(warning\), .*hit ratio 0.0% \(last interval\)' \
    "collector: 5 misses make the last interval's hit ratio 0% (WARNING)"
kill "$COLL_PID" 2>/dev/null
since=$(awk -v h="$(varnish_counter MAIN.cache_hit)" -v m="$(varnish_counter MAIN.cache_miss)" \
    -v p="$(varnish_counter MAIN.cache_hitpass)" 'BEGIN { print (100 * h / (h + m + p) > 0) ? "yes" : "no" }')
expect_eq "$since" yes "while the hit ratio since start is above 0"

# 5. Garbage from varnishstat is UNKNOWN with a clear message.
fake() { # name body-file
	printf '#!/bin/sh\ncat "%s"\n' "$2" >"$T_TMP/$1"
	chmod +x "$T_TMP/$1"
}
printf '{"version": 1, "counters": {"MAIN.uptime": {"value": 12' >"$T_TMP/trunc.json"
printf '{"version":1,"counters":{"MAIN.client_req":{"value":"many"}}}' >"$T_TMP/type.json"
printf '{"version":1,"counters":{"MAIN.client_req":{"value":1e300}}}' >"$T_TMP/huge.json"
printf '[1, 2, 3]' >"$T_TMP/array.json"
fake trunc.sh "$T_TMP/trunc.json"
fake type.sh "$T_TMP/type.json"
fake huge.sh "$T_TMP/huge.json"
fake array.sh "$T_TMP/array.json"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/trunc.sh"
expect_rc 3 "truncated JSON is UNKNOWN"
expect_match "$OUT" '^VARNISH UNKNOWN: varnishstat output is not JSON' "truncated JSON message"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/type.sh"
expect_rc 3 "a string counter is UNKNOWN"
expect_match "$OUT" '^VARNISH UNKNOWN: counter MAIN.client_req: value is not a number' "wrong type message"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/huge.sh"
expect_rc 3 "a counter beyond 2^64 is UNKNOWN"
expect_match "$OUT" 'MAIN.client_req: value out of range' "huge number message"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/array.sh"
expect_rc 3 "a JSON array is UNKNOWN"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/no-such-varnishstat"
expect_rc 2 "a missing varnishstat is CRITICAL"

# 6. The flat layout of Varnish < 6.5 (recorded shape of varnishstat 6.0).
cat >"$T_TMP/flat.json" <<'JSON'
{
  "timestamp": "2026-11-26T18:00:00",
  "MAIN.uptime": {"description": "Child process uptime", "flag": "c", "format": "d", "value": 3600},
  "MAIN.client_req": {"description": "Good client requests received", "flag": "c", "format": "i", "value": 1000},
  "MAIN.cache_hit": {"description": "Cache hits", "flag": "c", "format": "i", "value": 750},
  "MAIN.cache_hitpass": {"description": "Cache hits for pass", "flag": "c", "format": "i", "value": 0},
  "MAIN.cache_miss": {"description": "Cache misses", "flag": "c", "format": "i", "value": 250},
  "SMF.s0.g_bytes": {"type": "SMF", "ident": "s0", "flag": "g", "format": "B", "value": 1048576},
  "SMF.s0.g_space": {"type": "SMF", "ident": "s0", "flag": "g", "format": "B", "value": 3145728},
  "VBE.boot.default.happy": {"type": "VBE", "ident": "boot.default", "flag": "b", "format": "b", "value": 18446744073709551615}
}
JSON
fake flat.sh "$T_TMP/flat.json"
t_run "$OSEMON" check varnish --varnishstat "$T_TMP/flat.sh"
expect_rc 0 "flat layout is OK"
expect_eq "$(perfdata_value "$OUT" hit_ratio)" 75 "flat layout hit ratio 75%"
expect_eq "$(perfdata_value "$OUT" smf_s0_free)" 3145728 "flat layout SMF storage free"
expect_eq "$(perfdata_value "$OUT" backends_sick)" 0 "a full 64-bit probe bitmap is healthy"

# 7. munin face under the real munin-run.
if command -v munin-run >/dev/null 2>&1; then
	mkdir -p "$T_TMP/plugins" "$T_TMP/plugin-conf.d" "$T_TMP/state"
	ln -s "$OSEMON" "$T_TMP/plugins/osemon_varnish"
	printf '[osemon_varnish]\nuser root\nenv.instance %s\n' "$VN_DIR" \
	    >"$T_TMP/plugin-conf.d/osemon"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/plugin-conf.d" \
	    osemon_varnish config
	expect_match "$OUT" '^graph_title ' "munin config has a graph title"
	expect_match "$OUT" '^client_req\.type DERIVE' "munin: client_req is DERIVE"
	expect_match "$OUT" '^hit_ratio\.type GAUGE' "munin: hit_ratio is GAUGE"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/plugin-conf.d" \
	    osemon_varnish
	expect_eq "$(printf '%s\n' "$OUT" | sed -n 's/^client_req\.value //p')" \
	    "$(varnish_counter MAIN.client_req)" "munin fetch client_req equals varnishstat"
fi

# 8. The probed backend goes down: sick, CRITICAL.
kill "$BACKEND_PID"
n=0
while [ "$n" -lt 30 ]; do
	t_run "$OSEMON" check varnish -n "$VN_DIR"
	[ "$RC" = 2 ] && break
	sleep 0.2
	n=$((n + 1))
done
expect_rc 2 "a sick backend is CRITICAL"
expect_match "$OUT" '1 of 2 backends sick' "message counts the sick backends"
expect_eq "$(perfdata_value "$OUT" backends_sick)" 1 "backends_sick is 1"
expect_match "$OUT" 'backend boot.web: sick' "long output names the sick backend"

# 9. varnishd stopped: CRITICAL.
varnish_stop
t_run "$OSEMON" check varnish -n "$VN_DIR" -t 5
expect_rc 2 "varnishd stopped is CRITICAL"
expect_match "$OUT" '^VARNISH CRITICAL: varnishstat failed.*(running|hold)' "message says varnishd is not running"
