#!/bin/sh
# The status pages and graphs of `osemon run --once`, served by nginx with
# contrib/nginx/osemon.conf, loaded by headless Chromium: every page 200,
# every PNG decodes, probe text is escaped, caching/read-only/auth rules.
. "$SRC/tests/lib.sh"
need nginx rrdtool file curl

D="$T_TMP/c"
mkdir -p "$D"
cat >"$D/osemon.conf" <<EOF
[global]
interval = 60
retries = 1
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = web<b>host</b>

[check load]
probe = load

[check memory]
probe = memory

[check xss]
probe = proc
name = <script>alert(1)</script>
EOF

t_run "$OSEMON" run -c "$D/osemon.conf" --once
expect_rc 2 "run --once: worst state CRITICAL (the missing process)"
W="$D/data/www"
expect_file "$W/index.html" "index.html written"
expect_file "$W/status.json" "status.json written"
expect_file "$W/xss/index.html" "page per check written"

# index.html: every check, state classes, escaped probe text and host.
index=$(cat "$W/index.html")
expect_match "$index" '<a href="load/index.html">load</a>' "index links to the load page"
expect_match "$index" '<td class="critical">CRITICAL <span class="mark">HARD</span>' "index marks the hard CRITICAL"
expect_match "$index" '&lt;script&gt;alert\(1\)&lt;/script&gt;' "probe text escaped on the index"
expect_no_match "$index" '<script|<b>' "no raw markup from probes or config on the index"
page=$(cat "$W/xss/index.html")
expect_no_match "$page" '<script' "no raw <script> on the check page"
expect_match "$(cat "$W/load/index.html")" '<img src="load1-day.png"' "load page shows its day graph"

# status.json: valid JSON with the contract's keys; no argv or secrets.
t_run $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in d["checks"]}
print(d["host"], sorted(c), c["xss"]["state"], c["xss"]["hard"],
      c["load"]["metrics"][0]["name"], c["xss"]["message"][:27])
' "$W/status.json"
expect_eq "$OUT" "web<b>host</b> ['load', 'memory', 'xss'] CRITICAL True load1 not running: <script>alert(" "status.json shape and raw (JSON-encoded) text"

# PNGs: four periods per metric, valid PNG of munin's width.
n=$(ls "$W/load"/*.png | wc -l)
expect_eq "$n" 24 "load: 6 metrics x 4 periods of PNG"
expect_match "$(file -b "$W/load/load1-week.png")" '^PNG image data, 497 x [0-9]+' "week graph is a 497-px PNG"
expect_eq "$(find "$W" -name '*.tmp.*' | wc -l)" 0 "no temp files left in graph-dir"

# The RRD behind it: step = interval, heartbeat 2 x step, GAUGE.
info=$(rrdtool info "$D/data/rrd/load/load1.rrd")
expect_match "$info" '^step = 60$' "RRD step is the check interval"
expect_match "$info" 'ds\[value\].minimal_heartbeat = 120' "RRD heartbeat is 2 x step"

# nginx with the shipped snippet, its alias pointed at graph-dir; a second
# server has basic auth switched on; /t/ holds the Chromium probe page.
N="$T_TMP/nginx"
mkdir -p "$N/logs" "$N/tmp" "$N/t"
# nginx's workers drop to an unprivileged user when started as root.
chmod 755 "$T_TMP"
sed "s|alias /var/lib/osemon/www/;|alias $W/;|" "$SRC/contrib/nginx/osemon.conf" >"$N/osemon.conf"
sed -e 's|^\t#auth_basic |\tauth_basic |' -e "s|^\t#auth_basic_user_file .*|\tauth_basic_user_file $N/htpasswd;|" \
    "$N/osemon.conf" >"$N/osemon-auth.conf"
printf 'mon:%s\n' "$(openssl passwd -apr1 s3cret)" >"$N/htpasswd"
P=$(free_port)
PA=$(free_port)
cat >"$N/nginx.conf" <<EOF
worker_processes 1;
error_log $N/logs/error.log;
pid $N/nginx.pid;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	access_log $N/logs/access.log;
	client_body_temp_path $N/tmp;
	proxy_temp_path $N/tmp;
	fastcgi_temp_path $N/tmp;
	uwsgi_temp_path $N/tmp;
	scgi_temp_path $N/tmp;
	server {
		listen 127.0.0.1:$P;
		include $N/osemon.conf;
		location /t/ { alias $N/t/; }
	}
	server {
		listen 127.0.0.1:$PA;
		include $N/osemon-auth.conf;
	}
}
EOF
t_bg nginx -p "$N" -c "$N/nginx.conf" -g 'daemon off;'
if ! wait_port "$P" 10; then
	t_fail "nginx did not start: $(cat "$N/logs/error.log" 2>/dev/null | tail -3)"
	exit 0
fi
U="http://127.0.0.1:$P/osemon"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "$(code "$U/")" 200 "nginx serves index.html"
expect_eq "$(code "$U/load/load1-day.png")" 200 "nginx serves a PNG"
expect_eq "$(code "$U/status.json")" 200 "nginx serves status.json"
hdr=$(curl -s -D - -o "$T_TMP/got.png" "$U/load/load1-day.png" | tr -d '\r')
expect_match "$hdr" '^Content-Type: image/png' "PNG content type"
expect_match "$hdr" '^Cache-Control: max-age=[0-9]+' "PNG cached until its next rendering"
expect_eq "$(cmp -s "$T_TMP/got.png" "$W/load/load1-day.png" && echo same)" same "PNG served byte for byte"
hdr=$(curl -s -D - -o /dev/null "$U/index.html" | tr -d '\r')
expect_match "$hdr" '^Cache-Control: no-cache' "index.html always revalidated"
expect_match "$hdr" "^Content-Security-Policy: default-src 'none'" "index.html sent with a CSP"
expect_match "$(code -X POST "$U/index.html")" '^40[35]$' "read-only: POST refused"
echo partial >"$W/index.html.tmp.4242"
expect_eq "$(code "$U/index.html.tmp.4242")" 404 "temp files never served"
UA="http://127.0.0.1:$PA/osemon"
expect_eq "$(code "$UA/")" 401 "basic auth: refused without credentials"
expect_eq "$(code -u mon:wrong "$UA/")" 401 "basic auth: refused with a wrong password"
expect_eq "$(code -u mon:s3cret "$UA/load/load1-day.png")" 200 "basic auth: PNG with credentials"

# Headless Chromium: load the index and every check page (same origin, in
# iframes), record each image's decoded size and any script element.
command -v chromium >/dev/null 2>&1 || { echo "skip - $T_NAME: chromium not installed"; exit 0; }
cat >"$N/t/probe.html" <<'EOF'
<!DOCTYPE html>
<html><body><pre id="result">pending</pre>
<script>
function report() {
	var out = [], frames = document.getElementsByTagName('iframe');
	for (var f = 0; f < frames.length; f++) {
		var d = frames[f].contentDocument;
		if (!d || !d.body) { out.push('page-missing ' + frames[f].src); continue; }
		out.push('page ' + frames[f].getAttribute('src') +
		    ' scripts=' + d.getElementsByTagName('script').length +
		    ' rows=' + d.getElementsByTagName('tr').length);
		for (var i = 0; i < d.images.length; i++)
			out.push('img ' + d.images[i].getAttribute('src') + ' ' +
			    d.images[i].naturalWidth + 'x' + d.images[i].naturalHeight);
	}
	document.getElementById('result').textContent = 'BEGIN\n' + out.join('\n') + '\nEND';
}
window.addEventListener('load', report);
</script>
<iframe src="/osemon/index.html"></iframe>
<iframe src="/osemon/load/index.html"></iframe>
<iframe src="/osemon/memory/index.html"></iframe>
<iframe src="/osemon/xss/index.html"></iframe>
</body></html>
EOF
timeout 50 chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$T_TMP/chr" --dump-dom \
    "http://127.0.0.1:$P/t/probe.html" >"$T_TMP/dom.html" 2>"$T_TMP/chr.err"
dom=$(sed -n '/BEGIN$/,/^END/p' "$T_TMP/dom.html" | sed '1d;$d')
expect_eq "$(printf '%s\n' "$dom" | grep -c '^page ')" 4 "chromium loaded the index and three check pages"
expect_eq "$(printf '%s\n' "$dom" | grep '^page ' | grep -vc 'scripts=0 ')" 0 "no script element in any page"
imgs=$(printf '%s\n' "$dom" | grep -c '^img ')
expect_eq "$imgs" "$(ls "$W"/load/*.png "$W"/memory/*.png "$W"/xss/*.png | wc -l)" "chromium saw every graph of the three pages"
expect_eq "$(printf '%s\n' "$dom" | grep '^img ' | grep -c ' 0x0$')" 0 "every image decodes (naturalWidth > 0)"
expect_match "$(printf '%s\n' "$dom" | grep '^img load1-day.png')" '^img load1-day.png 497x[0-9]+$' "day graph decodes at 497 px"
