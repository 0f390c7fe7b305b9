#!/bin/sh
# exec probe: small fake plugins in sh run without a shell, their state,
# text, long output and perfdata kept; --metric re-evaluation; bad exits,
# signals, time-outs, garbage perfdata and missing metrics are UNKNOWN.
. "$SRC/tests/lib.sh"

pd() { # OUTPUT LABEL: value of LABEL (unit stripped)
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" '{ i = index($0, "="); lab = substr($0, 1, i - 1); gsub("\047", "", lab)
		if (lab == l) { split(substr($0, i + 1), f, ";"); v = f[1]; sub("[^0-9.eE+-]+$", "", v); print v; exit } }'
}

plugin() { # NAME BODY: an executable sh script in T_TMP
	printf '#!/bin/sh\n%s\n' "$2" >"$T_TMP/$1"
	chmod 755 "$T_TMP/$1"
}

plugin ok 'echo "FAKE OK - all good | time=0.5s;1;2;0;10 size=1024B"; exit 0'
plugin warn 'echo "FAKE WARNING - slowish | time=1.5s;1;2"; exit 1'
plugin crit 'echo "FAKE CRITICAL - down"; exit 2'
plugin unk 'echo "FAKE UNKNOWN - no idea"; exit 3'
plugin five 'echo "weird"; exit 5'
plugin sig 'echo "about to die"; kill -SEGV $$'
plugin slow 'sleep 30; echo never'
plugin garbage 'echo "FAKE OK | time=abc;;"; exit 0'
plugin nodata 'echo "FAKE OK - U value | time=U"; exit 0'
plugin long 'echo "FAKE OK - first line | a=1"
echo "long line one"
echo "long line two | b=2"
echo "c=3 '"'"'quoted label'"'"'=4"
exit 0'
plugin args 'echo "ARGS OK - [$1] [$2] [$#] | n=$#"; exit 0'
plugin fds 'for f in 7 8 9; do [ -e /proc/$$/fd/$f ] && { echo "FDS CRITICAL - fd $f leaked"; exit 2; }; done; echo "FDS OK"; exit 0'
plugin bigout 'i=0; while [ $i -lt 20000 ]; do echo "line $i of output that is long enough to fill the cap"; i=$((i+1)); done; exit 0'

t_run "$OSEMON" check exec -- "$T_TMP/ok"
expect_rc 0 "OK plugin exits 0"
expect_eq "$(printf '%s\n' "$OUT" | head -n 1)" "EXEC OK: FAKE OK - all good | time=0.5s;1;2;0;10 size=1024B" "text and perfdata kept"

t_run "$OSEMON" check exec -- "$T_TMP/warn"
expect_rc 1 "WARNING plugin exits 1"
expect_match "$OUT" "^EXEC WARNING: FAKE WARNING - slowish \| time=1.5s;1;2" "WARNING text"
t_run "$OSEMON" check exec -- "$T_TMP/crit"
expect_rc 2 "CRITICAL plugin exits 2"
expect_match "$OUT" "^EXEC CRITICAL: FAKE CRITICAL - down$" "CRITICAL text, no perfdata"
t_run "$OSEMON" check exec -- "$T_TMP/unk"
expect_rc 3 "UNKNOWN plugin exits 3"

t_run "$OSEMON" check exec -- "$T_TMP/five"
expect_rc 3 "exit code 5 is UNKNOWN"
expect_match "$OUT" "^EXEC UNKNOWN: .*five exited with status 5: weird" "exit code message"
t_run "$OSEMON" check exec -- "$T_TMP/sig"
expect_rc 3 "a signal is UNKNOWN"
expect_match "$OUT" "killed by signal 11" "signal message"
start=$(date +%s)
t_run "$OSEMON" check exec -t 1 -- "$T_TMP/slow"
end=$(date +%s)
expect_rc 3 "a time-out is UNKNOWN"
expect_match "$OUT" "timed out" "time-out message"
expect_near "$((end - start))" 1 1 "killed at the deadline"
sleep 0.2
expect_no_match "$(ps -eo args)" "$T_TMP/slow" "the timed-out plugin is gone"

t_run "$OSEMON" check exec -- "$T_TMP/garbage"
expect_rc 3 "garbage perfdata is UNKNOWN"
expect_match "$OUT" "^EXEC UNKNOWN: bad perfdata from .*garbage: " "garbage perfdata message"
t_run "$OSEMON" check exec -- "$T_TMP/nosuch"
expect_rc 3 "a missing program is UNKNOWN"
expect_match "$OUT" "cannot run .*nosuch: No such file or directory" "missing program message"
t_run "$OSEMON" check exec
expect_rc 3 "no command is UNKNOWN"

t_run "$OSEMON" check exec -- "$T_TMP/long"
expect_rc 0 "long output plugin"
expect_eq "$(printf '%s\n' "$OUT" | head -n 1)" "EXEC OK: FAKE OK - first line | a=1 b=2 c=3 'quoted label'=4" "perfdata from line 1 and long lines"
expect_match "$OUT" "$(printf '\nlong line one\nlong line two')" "long text lines kept"
expect_no_match "$(printf '%s\n' "$OUT" | tail -n +2)" "c=3" "perfdata lines are not long text"

t_run "$OSEMON" check exec -- "$T_TMP/args" "a b" '$HOME;*'
expect_match "$OUT" '^EXEC OK: ARGS OK - \[a b\] \[\$HOME;\*\] \[2\]' "arguments passed without a shell"
t_run "$OSEMON" check exec -- "$T_TMP/fds" 9>/dev/null 8>/dev/null 7</dev/null
expect_eq "$OUT" "EXEC OK: FDS OK" "extra fds of the caller are closed in the plugin"

t_run "$OSEMON" check exec -- "$T_TMP/bigout"
expect_rc 0 "huge output is capped, not fatal"
expect_match "$OUT" "output truncated" "truncation noted"

# --metric
t_run "$OSEMON" check exec --metric time -w 0.4 -c 2 -- "$T_TMP/ok"
expect_rc 1 "--metric time 0.5 over -w 0.4 is WARNING"
expect_match "$OUT" "^EXEC WARNING: FAKE OK - all good \(time=0.5s outside warning range 0.4\) \| time=0.5s;0.4;2;0;10" "our ranges replace the plugin's"
t_run "$OSEMON" check exec --metric time -w 1 -c 0.3 -- "$T_TMP/ok"
expect_rc 2 "--metric time over -c 0.3 is CRITICAL"
t_run "$OSEMON" check exec --metric time -w 5 -c 10 -- "$T_TMP/warn"
expect_rc 1 "worst wins: plugin WARNING stays WARNING under wide ranges"
t_run "$OSEMON" check exec --metric size -w 2048 -- "$T_TMP/ok"
expect_rc 0 "--metric size within range"
t_run "$OSEMON" check exec --metric nosuch -w 1 -- "$T_TMP/ok"
expect_rc 3 "missing metric is UNKNOWN"
expect_match "$OUT" "metric 'nosuch' not in the plugin's perfdata" "missing metric message"
t_run "$OSEMON" check exec --metric time -w 1 -- "$T_TMP/nodata"
expect_rc 3 "metric value U is UNKNOWN"
t_run "$OSEMON" check exec -w 1 -- "$T_TMP/ok"
expect_rc 3 "-w without --metric is UNKNOWN"
t_run "$OSEMON" check exec --metric time -w 'x' -- "$T_TMP/ok"
expect_rc 3 "bad range is UNKNOWN"

# a real monitoring plugin
if [ -x /usr/lib/nagios/plugins/check_dummy ]; then
	t_run "$OSEMON" check exec -- /usr/lib/nagios/plugins/check_dummy 1 "hello there"
	expect_rc 1 "check_dummy 1 is WARNING"
	expect_match "$OUT" "^EXEC WARNING: WARNING: hello there" "check_dummy text"
fi
