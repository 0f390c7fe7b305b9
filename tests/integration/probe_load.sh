#!/bin/sh
# load probe: /proc/loadavg fixtures through --loadavg, check_load-style
# triple ranges, -r per CPU, and the live file.
. "$SRC/tests/lib.sh"

pd() { # OUTPUT LABEL: value of LABEL
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" '{ i = index($0, "="); if (substr($0, 1, i - 1) == l) {
		split(substr($0, i + 1), f, ";"); print f[1]; exit } }'
}

cpus=$(getconf _NPROCESSORS_ONLN)
printf '4.00 2.00 1.00 3/321 4567\n' >"$T_TMP/loadavg"
printf 'x y z\n' >"$T_TMP/garbage"

t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg"
expect_rc 0 "no ranges: OK"
expect_match "$OUT" "^LOAD OK: load average: 4.00, 2.00, 1.00 \\($cpus CPU" "message"
expect_eq "$(pd "$OUT" load1)" 4 "load1"
expect_eq "$(pd "$OUT" load5)" 2 "load5"
expect_eq "$(pd "$OUT" load15)" 1 "load15"
expect_near "$(pd "$OUT" load1_per_cpu)" "$(awk -v c="$cpus" 'BEGIN { print 4 / c }')" 0.0001 "load1 per CPU"

t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 5,4,3 -c 10,8,6
expect_rc 0 "under -w 5,4,3 is OK"
expect_match "$OUT" "load1=4;5;10;0 load5=2;4;8;0 load15=1;3;6;0" "ranges in perfdata"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 3,4,3 -c 10,8,6
expect_rc 1 "load1 4 over 3 is WARNING"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 5,1.5,3 -c 10,8,6
expect_rc 1 "load5 2 over 1.5 is WARNING"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 5,4,3 -c 10,8,0.5
expect_rc 2 "load15 1 over 0.5 is CRITICAL"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -c 3.5
expect_rc 2 "one range applies to all three"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 4,2,1
expect_rc 0 "inclusive bounds: 4 is not over 4"

# per CPU: 4 / cpus
half=$(awk -v c="$cpus" 'BEGIN { print 4 / c - 0.01 }')
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -r -w "$half,100,100"
expect_rc 1 "-r judges load1 / CPUs"
expect_match "$OUT" "load1=4;;;0 " "-r: no ranges on the raw value"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -r -w 4.5
expect_rc 0 "-r -w 4.5: per-CPU load (at most 4) is OK"

t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 1,2
expect_rc 3 "two ranges is a usage error"
expect_match "$OUT" "Range format incorrect" "two ranges message"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 1,2,3,4
expect_rc 3 "four ranges is a usage error"
t_run "$OSEMON" check load --loadavg "$T_TMP/loadavg" -w 1:x
expect_rc 3 "garbage range is UNKNOWN"
t_run "$OSEMON" check load --loadavg "$T_TMP/garbage"
expect_rc 3 "garbage loadavg is UNKNOWN"
expect_match "$OUT" "^LOAD UNKNOWN: cannot parse" "garbage message"

t_run "$OSEMON" check load
expect_rc 0 "live /proc/loadavg"
live=$(cut -d' ' -f3 /proc/loadavg)
expect_near "$(pd "$OUT" load15)" "$live" 0.5 "live load15 near /proc/loadavg"

if [ -x /usr/lib/nagios/plugins/check_load ]; then
	t_run /usr/lib/nagios/plugins/check_load -w 100,100,100 -c 200,200,200
	cl=$(pd "$OUT" load15)
	t_run "$OSEMON" check load
	expect_near "$(pd "$OUT" load15)" "$cl" 0.5 "load15 agrees with check_load"
fi

t_run env loadavg="$T_TMP/loadavg" "$OSEMON" munin load
expect_match "$OUT" '^load5\.value 2$' "munin fetch"
t_run "$OSEMON" munin load config
expect_match "$OUT" '^graph_title Load average' "munin config"
