#!/bin/sh
# memory probe: /proc/meminfo fixtures (normal, no swap, garbage) through
# --meminfo, and the live file against free(1)'s numbers.
. "$SRC/tests/lib.sh"

pd() { # OUTPUT LABEL: value of LABEL (unit stripped)
	printf '%s\n' "$1" | head -n 1 | sed -n 's/^[^|]*|//p' | tr ' ' '\n' |
	    awk -v l="$2" '{ i = index($0, "="); if (substr($0, 1, i - 1) == l) {
		split(substr($0, i + 1), f, ";"); v = f[1]; sub("[^0-9.eE+-]+$", "", v); print v; exit } }'
}

# 8 GiB RAM, 2 GiB available -> 75 % used; 4 GiB swap, 1 GiB free -> 75 %.
cat >"$T_TMP/normal" <<'M'
MemTotal:        8388608 kB
MemFree:          524288 kB
MemAvailable:    2097152 kB
Buffers:          131072 kB
Cached:          1048576 kB
SwapCached:            0 kB
SwapTotal:       4194304 kB
SwapFree:        1048576 kB
HugePages_Total:       0
M
sed -e 's/^SwapTotal:.*/SwapTotal:             0 kB/' \
    -e 's/^SwapFree:.*/SwapFree:              0 kB/' "$T_TMP/normal" >"$T_TMP/noswap"
printf 'MemTotal: lots\nMemAvailable: 12 kB\n' >"$T_TMP/garbage"
printf 'Hello world\n' >"$T_TMP/nokeys"
sed '/^MemAvailable/d' "$T_TMP/normal" >"$T_TMP/old"

t_run "$OSEMON" check memory --meminfo "$T_TMP/normal"
expect_rc 0 "normal fixture without ranges is OK"
expect_match "$OUT" '^MEMORY OK: RAM 75.0% used \(6144 of 8192 MiB\), swap 75.0% used \(3072 of 4096 MiB\)' "message"
expect_eq "$(pd "$OUT" total)" 8589934592 "total bytes"
expect_eq "$(pd "$OUT" available)" 2147483648 "available bytes"
expect_eq "$(pd "$OUT" used)" 6442450944 "used = total - MemAvailable"
expect_eq "$(pd "$OUT" buffers)" 134217728 "buffers bytes"
expect_eq "$(pd "$OUT" cached)" 1073741824 "cached bytes"
expect_eq "$(pd "$OUT" swap_total)" 4294967296 "swap total"
expect_eq "$(pd "$OUT" swap_used)" 3221225472 "swap used"
expect_eq "$(pd "$OUT" used_pct)" 75 "used %"
expect_eq "$(pd "$OUT" swap_used_pct)" 75 "swap used %"

t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" -w 80 -c 90
expect_rc 0 "75 % under -w 80 is OK"
expect_match "$OUT" "used_pct=75%;80;90;0;100" "ranges in perfdata"
t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" -w 70 -c 90
expect_rc 1 "75 % over -w 70 is WARNING"
expect_match "$OUT" '^MEMORY WARNING: ' "WARNING status word"
t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" -w 60 -c 75
expect_rc 1 "75 % is not over -c 75 (inclusive bound): WARNING only"
t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" -w 60 -c 74.9
expect_rc 2 "75 % over -c 74.9 is CRITICAL"
t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" --swap-warning 50 --swap-critical 80
expect_rc 1 "swap 75 % over --swap-warning 50 is WARNING"
t_run "$OSEMON" check memory --meminfo "$T_TMP/normal" --swap-warning 50 --swap-critical 70
expect_rc 2 "swap 75 % over --swap-critical 70 is CRITICAL"

t_run "$OSEMON" check memory --meminfo "$T_TMP/noswap" --swap-warning 50 --swap-critical 80
expect_rc 0 "no swap is OK, not CRITICAL"
expect_match "$OUT" '^MEMORY OK: RAM 75.0% used \(6144 of 8192 MiB\), no swap' "no swap message"
expect_eq "$(pd "$OUT" swap_used_pct)" 0 "no swap: swap used 0 %"

t_run "$OSEMON" check memory --meminfo "$T_TMP/old"
expect_rc 0 "kernel without MemAvailable"
# MemFree + Buffers + Cached = 512 + 128 + 1024 MiB available
expect_eq "$(pd "$OUT" available)" 1744830464 "available estimated without MemAvailable"

t_run "$OSEMON" check memory --meminfo "$T_TMP/garbage"
expect_rc 3 "garbage is UNKNOWN"
expect_match "$OUT" "^MEMORY UNKNOWN: cannot parse .*: bad MemTotal line" "garbage message"
t_run "$OSEMON" check memory --meminfo "$T_TMP/nokeys"
expect_rc 3 "a file without MemTotal is UNKNOWN"
t_run "$OSEMON" check memory --meminfo "$T_TMP/missing"
expect_rc 3 "a missing file is UNKNOWN"
expect_match "$OUT" "cannot read .*missing: No such file or directory" "missing file message"

# The live file, against /proc/meminfo read by awk.
t_run "$OSEMON" check memory
expect_rc 0 "live /proc/meminfo without ranges is OK"
tot=$(awk '/^MemTotal:/ { print $2 * 1024 }' /proc/meminfo)
expect_eq "$(pd "$OUT" total)" "$tot" "live total equals MemTotal"
avail=$(awk '/^MemAvailable:/ { print $2 * 1024 }' /proc/meminfo)
expect_near "$(pd "$OUT" available)" "$avail" 268435456 "live available near MemAvailable"

t_run "$OSEMON" munin memory config
expect_match "$OUT" '^graph_title Memory usage' "munin config"
expect_eq "$(printf '%s\n' "$OUT" | grep -c '\.label ')" 9 "nine munin fields"
t_run env meminfo="$T_TMP/normal" "$OSEMON" munin memory
expect_match "$OUT" '^used_pct\.value 75$' "munin fetch from a fixture"
