# A throw-away varnishd in front of a python http.server backend.
# Source after tests/lib.sh.  varnish_start [VCL_FILE] starts both (killed
# at exit through t_bg).  A VCL file may use the placeholders @BACKEND_PORT@
# and @DEAD_PORT@ (a free port nobody listens on); without one varnishd
# gets -b 127.0.0.1:BACKEND_PORT.
#   VN_DIR (the -n working directory) VN_PORT VN_PID
#   BACKEND_PORT BACKEND_PID BACKEND_DIR (files served) DEAD_PORT
#   varnish_counter NAME   value of one counter from `varnishstat -1`
#   varnish_get PATH       one request through varnish; prints the status

varnish_start() {
	VN_DIR=$T_TMP/vn
	VN_PORT=$(free_port)
	BACKEND_PORT=$(free_port)
	DEAD_PORT=$(free_port)
	BACKEND_DIR=$T_TMP/www
	mkdir -p "$BACKEND_DIR/dead"
	echo "hello from the backend" >"$BACKEND_DIR/index.html"
	for _i in 1 2 3 4 5 6 7 8 9; do
		echo "page $_i" >"$BACKEND_DIR/page$_i.html"
	done
	t_bg $PY -m http.server "$BACKEND_PORT" --bind 127.0.0.1 \
	    --directory "$BACKEND_DIR" >"$T_TMP/backend.log" 2>&1
	BACKEND_PID=$T_LAST_PID
	wait_port "$BACKEND_PORT" 10 || return 1
	if [ -n "${1:-}" ]; then
		sed -e "s/@BACKEND_PORT@/$BACKEND_PORT/g" \
		    -e "s/@DEAD_PORT@/$DEAD_PORT/g" "$1" >"$T_TMP/test.vcl"
		set -- -f "$T_TMP/test.vcl"
	else
		set -- -b "127.0.0.1:$BACKEND_PORT"
	fi
	# -j none: no privilege separation, so the worker can use the
	# 0700 test folder; one small thread pool keeps it light.
	t_bg varnishd -F -j none -n "$VN_DIR" -a "127.0.0.1:$VN_PORT" "$@" \
	    -s malloc,32m -p thread_pools=1 -p thread_pool_min=10 \
	    -p thread_pool_max=50 >"$T_TMP/varnishd.log" 2>&1
	VN_PID=$T_LAST_PID
	wait_port "$VN_PORT" 30 || {
		echo "varnishd did not start:" >&2
		cat "$T_TMP/varnishd.log" >&2
		return 1
	}
	_n=50
	until varnishstat -n "$VN_DIR" -t 1 -1 -f MAIN.uptime >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

varnish_counter() {
	varnishstat -n "$VN_DIR" -t 1 -1 -f "$1" | awk -v n="$1" '$1 == n { print $2 }'
}

varnish_get() {
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$VN_PORT$1"
}

varnish_stop() {
	kill "$VN_PID" 2>/dev/null
	_n=100
	while [ "$_n" -gt 0 ] && kill -0 "$VN_PID" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
}
