#!/bin/sh
# contrib/munin/ against the real munin-node 2.0: a temporary
# munin-node.conf on a loopback port; osemon_PROBE symlinks and
# contrib/munin/plugin-conf.d/osemon in temporary folders bind-mounted over
# /etc/munin/plugins and /etc/munin/plugin-conf.d inside a private mount
# namespace (the machine's /etc is never touched).  A client speaks the
# master's side of the protocol and checks answers munin's master accepts.
. "$SRC/tests/lib.sh"
need munin-node unshare
# A private mount namespace needs root (CAP_SYS_ADMIN).
if ! unshare -m true 2>/dev/null; then
	echo "skip - $T_NAME: cannot make a private mount namespace (unshare -m)"
	echo skip >>"$T_RESULTS"
	exit 0
fi

M="$T_TMP/munin"
mkdir -p "$M/plugins" "$M/conf.d" "$M/state"
for p in disk load memory; do
	ln -s "$OSEMON" "$M/plugins/osemon_$p"
done
cp "$SRC/contrib/munin/plugin-conf.d/osemon" "$M/conf.d/osemon"
# a probe from the osemon-probes tier, against a local web server
HTTP_PORT=$(free_port)
mkdir -p "$T_TMP/www"
printf 'hello munin\n' >"$T_TMP/www/index.html"
t_bg "$PY" -m http.server -b 127.0.0.1 -d "$T_TMP/www" "$HTTP_PORT" >/dev/null 2>&1
wait_port "$HTTP_PORT" 10 || t_fail "http.server did not start"
ln -s "$OSEMON" "$M/plugins/osemon_http"
printf '[osemon_http]\nenv.url http://127.0.0.1:%s/index.html\n' "$HTTP_PORT" >"$M/conf.d/osemon-test"
PORT=$(free_port)
cat >"$M/munin-node.conf" <<EOT
log_level 4
log_file $M/munin-node.log
pid_file $M/munin-node.pid
background 0
setsid 0
user root
group root
ignore_file [\#~]\$
ignore_file \.(bak|dpkg-old|dpkg-dist|dpkg-new)\$
host_name eco-test.example
allow ^127\.0\.0\.1\$
host 127.0.0.1
port $PORT
timeout 20
EOT

# The plugins must be reachable by their munin user (nobody).
if ! su -s /bin/sh nobody -c "test -x '$OSEMON'" 2>/dev/null; then
	echo "skip - $T_NAME: $OSEMON not executable by nobody"
	echo skip >>"$T_RESULTS"
	exit 0
fi

t_bg unshare -m sh -c '
	set -e
	mount --make-rprivate /
	mount --bind "$1/plugins" /etc/munin/plugins
	mount --bind "$1/conf.d" /etc/munin/plugin-conf.d
	if [ -d /var/lib/munin-node/plugin-state ]; then
		mount --bind "$1/state" /var/lib/munin-node/plugin-state
	fi
	exec munin-node --config "$1/munin-node.conf" --foreground
' sh "$M" >"$T_TMP/node.out" 2>&1
if wait_port "$PORT" 20; then
	t_pass "munin-node listens on 127.0.0.1:$PORT"
else
	t_fail "munin-node did not start: $(tail -5 "$T_TMP/node.out" "$M/munin-node.log" 2>/dev/null)"
	exit 0
fi

t_run "$PY" "$SRC/tests/lib/munin_client.py" "$PORT" \
    "cap multigraph dirtyconfig" list "config osemon_disk" \
    "fetch osemon_disk" "fetch osemon_load" "fetch osemon_http" "fetch nosuch" version quit
expect_rc 0 "the client got every answer"
printf '%s\n' "$OUT" >"$T_TMP/transcript"
# answer ANSWER-OF-COMMAND: the lines after "> COMMAND" up to the next ">"
answer() {
	awk -v c="> $1" '$0 == c { on = 1; next } /^> / { on = 0 } on' "$T_TMP/transcript"
}
expect_eq "$(head -n 1 "$T_TMP/transcript")" "# munin node at eco-test.example" "banner names host_name"
expect_eq "$(answer 'cap multigraph dirtyconfig')" "cap multigraph dirtyconfig" "cap answered"
LIST=$(answer list)
expect_eq "$(printf '%s\n' "$LIST" | wc -l | tr -d ' ')" 1 "list is one line"
expect_match " $LIST " ' osemon_disk ' "list contains osemon_disk"
expect_match " $LIST " ' osemon_load ' "list contains osemon_load"
expect_match " $LIST " ' osemon_memory ' "list contains osemon_memory"

CONF=$(answer "config osemon_disk")
expect_match "$CONF" '^graph_title .+' "config: graph_title"
expect_match "$CONF" '^graph_category [a-z0-9.-]+$' "config: graph_category in munin's alphabet"
expect_match "$CONF" '^[a-zA-Z_][a-zA-Z0-9_]*\.label .+' "config: FIELD.label lines"
expect_eq "$(printf '%s\n' "$CONF" | tail -n 1)" "." "config ends with ."
# plugin-conf.d reached the plugin: env.path /,/var and env.warning 85
expect_match "$CONF" '^_var_used_pct\.warning (0)?:?85$' "config: env.warning 85 from plugin-conf.d is /var's warning"
expect_match "$CONF" '^__used_pct\.critical (0)?:?95$' "config: env.critical 95 for /"
# every line is a graph_ attribute, a FIELD.attr, or a value (dirtyconfig)
bad=$(printf '%s\n' "$CONF" | grep -Ev '^(graph_[a-z_]+ .+|[a-zA-Z_][a-zA-Z0-9_]*\.[a-z_]+ .+|\.)$')
expect_eq "$bad" "" "config: every line well-formed"
# dirtyconfig asked for: values come with the config
expect_match "$CONF" '^__used_pct\.value [0-9.]+$' "config with dirtyconfig carries the values"
# fields named in values are declared with a label
undeclared=""
for f in $(printf '%s\n' "$CONF" | sed -n 's/^\([a-zA-Z_][a-zA-Z0-9_]*\)\.value .*/\1/p'); do
	printf '%s\n' "$CONF" | grep -q "^$f\.label " || undeclared="$undeclared $f"
done
expect_eq "$undeclared" "" "every value's field has a label"

FETCH=$(answer "fetch osemon_disk")
expect_match "$FETCH" '^__used_pct\.value [0-9]+(\.[0-9]+)?$' "fetch: / used % is a number"
bad=$(printf '%s\n' "$FETCH" | grep -Ev '^([a-zA-Z_][a-zA-Z0-9_]*\.value (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|U)|\.)$')
expect_eq "$bad" "" "fetch: only FIELD.value NUMBER lines"
expect_eq "$(printf '%s\n' "$FETCH" | tail -n 1)" "." "fetch ends with ."
LOAD=$(answer "fetch osemon_load")
expect_match "$LOAD" '^load1\.value [0-9.]+$' "fetch osemon_load: load1"
HTTPF=$(answer "fetch osemon_http")
expect_match "$HTTPF" '^status\.value 200$' "fetch osemon_http (osemon-probes tier, env.url from plugin-conf.d): status 200"
expect_match "$HTTPF" '^size\.value 12$' "fetch osemon_http: body size"
expect_eq "$(answer 'fetch nosuch')" "# Unknown service
." "fetch nosuch: # Unknown service and ."
expect_match "$(answer version)" '^munins node on eco-test.example version: ' "version line"
expect_match "$(answer quit)" '^closed 0$' "quit closes the connection"

# The machine's /etc/munin/plugins was not touched.
if [ -e /etc/munin/plugins/osemon_disk ]; then
	t_fail "osemon_disk leaked into /etc/munin/plugins"
else
	t_pass "the machine's /etc/munin/plugins is untouched"
fi
