# Sourced by the icinga2 tests after tests/lib.sh.

# icinga_ns_script FILE: write a wrapper `sh FILE DIR CMD...` that execs CMD
# with icinga2's folders (/var/{lib,cache,log}/icinga2, /run) replaced by
# DIR's in a private mount namespace (the pid stays CMD's, so t_bg can
# stop it); the machine's own folders are never touched.
icinga_ns_script() {
	cat >"$1" <<'EOT'
I=$1
shift
exec unshare -m sh -c '
	set -e
	I=$1; shift
	mount --make-rprivate /
	for d in lib cache log; do
		mkdir -p "/var/$d/icinga2" 2>/dev/null || true
		mount --bind "$I/$d" "/var/$d/icinga2"
	done
	mount -t tmpfs tmpfs /run
	mkdir -p /run/icinga2/cmd
	exec "$@"
' sh "$I" "$@"
EOT
}

# icinga_alive PID: running, not a zombie waiting for this shell.
icinga_alive() {
	_s=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]
}

# icinga_stop PID [CMD_FIFO]: TERM icinga2's process tree, unblock a
# command listener sitting in open() of CMD_FIFO, then KILL what is left.
icinga_stop() {
	_tree=""
	_next=$1
	while [ -n "$_next" ]; do
		_tree="$_tree $_next"
		_kids=""
		for _p in $_next; do _kids="$_kids $(pgrep -P "$_p")"; done
		_next=$(echo $_kids)
	done
	for _p in $_tree; do kill "$_p" 2>/dev/null; done
	if [ -n "${2:-}" ]; then
		timeout 2 sh -c ': >"$1"' sh "$2" 2>/dev/null
	fi
	_n=0
	while icinga_alive "$1" && [ "$_n" -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	for _p in $_tree; do
		if icinga_alive "$_p"; then kill -9 "$_p" 2>/dev/null; fi
	done
	return 0
}
