# Sourced by every integration script in tests/integration/.
# The runner exports: OSEMON (light front), OSEMON_FULL, BUILD, SRC (repo
# root), T_RESULTS (one "pass"/"fail" line per assertion).  Each script gets
# its own temporary folder T_TMP, removed at exit together with every
# process it started through t_bg.
set -u
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/osemon-$T_NAME.XXXXXX")
T_PIDS=""
PY=/usr/bin/python3

t_cleanup() {
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.1
	for p in $T_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_TMP"
}
trap t_cleanup EXIT

t_pass() { echo "ok - $T_NAME: $1"; echo pass >>"$T_RESULTS"; }
t_fail() {
	echo "FAIL - $T_NAME: $1"
	echo fail >>"$T_RESULTS"
	[ -z "${T_VERBOSE:-}" ] || { echo "--- stdout"; cat "$T_TMP/out" 2>/dev/null; echo "--- stderr"; cat "$T_TMP/err" 2>/dev/null; }
}

# t_run CMD...: run, keep stdout in $OUT, stderr in $ERR, exit code in $RC.
t_run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# Assertions: each records exactly one pass or fail.
expect_rc() { # expected description
	if [ "$RC" = "$1" ]; then t_pass "$2"; else t_fail "$2 (exit $RC, wanted $1; out: $(printf %s "$OUT" | head -c 300); err: $(printf %s "$ERR" | head -c 300))"; fi
}
expect_eq() { # actual expected description
	if [ "$1" = "$2" ]; then t_pass "$3"; else t_fail "$3 (got '$1', wanted '$2')"; fi
}
expect_match() { # text extended-regex description
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then t_pass "$3"; else t_fail "$3 ('$(printf %s "$1" | head -c 400)' !~ /$2/)"; fi
}
expect_no_match() { # text extended-regex description
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then t_fail "$3 ('$(printf %s "$1" | head -c 400)' =~ /$2/)"; else t_pass "$3"; fi
}
# expect_near actual expected tolerance description (numbers)
expect_near() {
	if awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; then
		t_pass "$4"
	else
		t_fail "$4 (got $1, wanted $2 +- $3)"
	fi
}
expect_file() { # path description
	if [ -s "$1" ]; then t_pass "$2"; else t_fail "$2 ($1 missing or empty)"; fi
}

# perfdata_value OUTPUT LABEL: the value of LABEL in a plugin's perfdata.
perfdata_value() {
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    sed -n "s/^'\{0,1\}$2'\{0,1\}=\([-0-9.eE+U]*\).*/\1/p" | head -n 1
}

# A free TCP port on 127.0.0.1.
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# t_bg CMD...: start in the background, remember the pid for cleanup.
t_bg() {
	"$@" &
	T_PIDS="$T_PIDS $!"
	T_LAST_PID=$!
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		if $PY -c 'import socket,sys; s=socket.socket(); s.settimeout(0.2); s.connect(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# wait_file PATH [SECONDS]
wait_file() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# Skip a whole script (counted neither as pass nor fail) when a tool is missing.
need() {
	for _t in "$@"; do
		command -v "$_t" >/dev/null 2>&1 || { echo "skip - $T_NAME: $_t not installed"; echo skip >>"$T_RESULTS"; exit 0; }
	done
}
