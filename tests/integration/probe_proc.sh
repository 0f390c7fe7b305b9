#!/bin/sh
# proc probe: processes started by the test under unique names (copies of
# sleep), counted and their RSS summed; missing names are CRITICAL.
. "$SRC/tests/lib.sh"

pd() { # OUTPUT LABEL: value of LABEL (unit stripped)
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" '{ i = index($0, "="); if (substr($0, 1, i - 1) == l) {
		split(substr($0, i + 1), f, ";"); v = f[1]; sub("[^0-9.eE+-]+$", "", v); print v; exit } }'
}

short="osmt$$"
long="osemon-test-long-name-$$"	# longer than comm's 15 characters
cp "$(command -v sleep)" "$T_TMP/$short"
cp "$(command -v sleep)" "$T_TMP/$long"
t_bg "$T_TMP/$short" 60
p1=$T_LAST_PID
t_bg "$T_TMP/$short" 60
p2=$T_LAST_PID
t_bg "$T_TMP/$short" 60
p3=$T_LAST_PID
t_bg "$T_TMP/$long" 60
p4=$T_LAST_PID
sleep 0.3
page=$(getconf PAGESIZE)
rss_of() { # PID...: summed resident bytes from statm
	for p in "$@"; do cut -d' ' -f2 "/proc/$p/statm"; done |
	    awk -v pg="$page" '{ s += $1 } END { print s * pg }'
}

t_run "$OSEMON" check proc -n "$short"
expect_rc 0 "three running processes: OK"
expect_eq "$(pd "$OUT" "${short}_count")" 3 "count is 3"
expect_near "$(pd "$OUT" "${short}_rss")" "$(rss_of $p1 $p2 $p3)" 65536 "RSS is the sum of statm resident pages"
expect_match "$OUT" "^PROC OK: $short: 3 processes, [0-9.]+ MiB RSS" "message"

t_run "$OSEMON" check proc -n "$long"
expect_eq "$(pd "$OUT" "${long}_count")" 1 "a name longer than comm matches argv[0]"

t_run "$OSEMON" check proc -n "$short,$long"
expect_rc 0 "comma list: both found"
expect_eq "$(pd "$OUT" "${long}_count")" 1 "comma list: second name counted"
t_run "$OSEMON" check proc -n "$short" -n "$long"
expect_eq "$(pd "$OUT" "${short}_count") $(pd "$OUT" "${long}_count")" "3 1" "repeated -n"

t_run "$OSEMON" check proc -n "$short" -n "nosuch$$"
expect_rc 2 "a missing process is CRITICAL"
expect_match "$OUT" "^PROC CRITICAL: not running: nosuch$$ " "missing message names it"
expect_eq "$(pd "$OUT" "nosuch$$_count")" 0 "missing count is 0"

t_run "$OSEMON" check proc -n "nosuch$$|$short"
expect_rc 0 "alternatives a|b: one running is enough"
expect_eq "$(pd "$OUT" "nosuch$$_count")" 3 "alternatives counted together under the first name"

t_run "$OSEMON" check proc -n "$short" --min-count 4
expect_rc 2 "--min-count 4 with 3 running is CRITICAL"
expect_match "$OUT" "too few: $short" "--min-count message"
t_run "$OSEMON" check proc -n "$short" --min-count 3
expect_rc 0 "--min-count 3 with 3 running is OK"

t_run "$OSEMON" check proc -n "$short" -w 1000 -c 1000000000
expect_rc 1 "RSS over -w 1000 bytes is WARNING"
expect_match "$OUT" "${short}_rss=[0-9]+B;1000;1000000000;0" "RSS ranges in perfdata"
t_run "$OSEMON" check proc -n "$short" -w 1000 -c 2000
expect_rc 2 "RSS over -c 2000 bytes is CRITICAL"
t_run "$OSEMON" check proc
expect_rc 3 "no -n is UNKNOWN"

kill "$p1" "$p2"
wait "$p1" "$p2" 2>/dev/null
t_run "$OSEMON" check proc -n "$short"
expect_eq "$(pd "$OUT" "${short}_count")" 1 "count follows processes that exit"

t_run env name="$short" "$OSEMON" munin proc
expect_match "$OUT" "_count\.value 1$" "munin fetch with env.name"
