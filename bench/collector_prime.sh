#!/bin/sh
# Shared by bench/percheck.sh and bench/footprint.sh (sourced after
# tests/lib.sh; needs OSEMON_FULL).

# prime DIR CONF: run the collector until its RRD files stop appearing
# (at step 1 s each file holds 2 days at full resolution, ~4 MiB: creating
# them is a one-time cost, kept out of every measurement window)
prime() {
	"$OSEMON_FULL" run -c "$2" >"$1/prime.log" 2>&1 &
	_pp=$!
	_last=-1 _same=0 _i=0
	while [ "$_i" -lt 60 ] && [ "$_same" -lt 3 ]; do
		sleep 0.3
		_c=$(find "$1/rrd" -name '*.rrd' 2>/dev/null | wc -l)
		if [ "$_c" -gt 0 ] && [ "$_c" -eq "$_last" ]; then
			_same=$((_same + 1))
		else
			_same=0
		fi
		_last=$_c
		_i=$((_i + 1))
	done
	kill "$_pp" 2>/dev/null
	wait "$_pp" 2>/dev/null || true
}
