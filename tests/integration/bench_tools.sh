#!/bin/sh
# The measuring tools of bench/ measure what they say: bench/cpurun.c
# (CPU of exec'd runs from wait4, a daemon's window CPU, private RSS and
# PSS from smaps_rollup) and bench/plot.sh (a PNG from a run's summary).
. "$SRC/tests/lib.sh"

CPURUN=$T_TMP/cpurun
t_run cc -O2 -Wall -Wextra -Werror -o "$CPURUN" "$SRC/bench/cpurun.c"
expect_rc 0 "cpurun.c builds without warnings"

# loop: CPU per run of a busy shell loop is real CPU, exits counted
t_run "$CPURUN" loop 3 /bin/sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done'
expect_rc 0 "cpurun loop runs"
cpu=$(printf '%s\n' "$OUT" | sed -n 's/^cpu_us //p')
wall=$(printf '%s\n' "$OUT" | sed -n 's/^wall_ms //p')
expect_match "$cpu" '^[0-9]+\.[0-9]$' "cpu_us is a number"
if awk -v c="$cpu" -v w="$wall" 'BEGIN { exit !(c > 10000 && c / 1000 <= w * 1.5 + 5) }'; then
	t_pass "a busy loop's CPU is counted and not above its wall time ($cpu us, $wall ms)"
else
	t_fail "busy loop: cpu_us $cpu, wall_ms $wall"
fi
expect_eq "$(printf '%s\n' "$OUT" | sed -n 's/^bad //p')" 0 "every run exited 0"
t_run "$CPURUN" loop 4 /bin/false
expect_eq "$(printf '%s\n' "$OUT" | sed -n 's/^bad //p')" 4 "runs that exit 1 are counted as bad"
t_run "$CPURUN" loop 0 /bin/true
expect_rc 2 "N below 1 is a usage error"
# paced: one run every 0.1 s, as a scheduler spreads checks
t_run env CPURUN_PACE_S=0.1 "$CPURUN" loop 5 /bin/true
wall=$(printf '%s\n' "$OUT" | sed -n 's/^wall_ms //p')
expect_near "$wall" 80 25 "CPURUN_PACE_S=0.1: runs start 0.1 s apart (wall ms per run over 5 runs, the last not waited for)"

# daemon: a program that allocates and touches 20 MiB, then sleeps
t_run "$CPURUN" daemon 2 1 $PY -c 'import time; b = bytearray(20 * 1024 * 1024); time.sleep(30)'
expect_rc 0 "cpurun daemon measures a sleeping process"
priv=$(printf '%s\n' "$OUT" | sed -n 's/^priv_kib //p')
pss=$(printf '%s\n' "$OUT" | sed -n 's/^pss_kib //p')
win=$(printf '%s\n' "$OUT" | sed -n 's/^window_s //p')
cpu=$(printf '%s\n' "$OUT" | sed -n 's/^cpu_s //p')
if [ -n "$priv" ] && [ "$priv" -ge 20480 ] && [ "$pss" -ge "$priv" ]; then
	t_pass "private RSS holds the 20 MiB touched ($priv KiB, PSS $pss KiB)"
else
	t_fail "private/PSS: '$priv' '$pss'"
fi
expect_near "$win" 1 0.3 "the window lasts the seconds asked"
expect_near "$cpu" 0 0.1 "a sleeping process uses no CPU in the window"
expect_near "$(printf '%s\n' "$OUT" | sed -n 's/^task_cpu_s //p')" 0 0.02 "and none by its threads' schedstat"
# a busy process: the threads' CPU is the window
t_run "$CPURUN" daemon 0.5 1 /bin/sh -c 'while :; do :; done'
expect_near "$(printf '%s\n' "$OUT" | sed -n 's/^task_cpu_s //p')" 1 0.25 "a busy process's task_cpu_s is its window"
t_run "$CPURUN" daemon 0.2 1 /bin/true
expect_rc 1 "a daemon that dies during warm-up is an error"
expect_match "$ERR" 'died during warm-up' "and says so"

# plot.sh: a PNG from a summary in bench/run.sh's format
if command -v gnuplot >/dev/null 2>&1; then
	cat >"$T_TMP/results.txt" <<'EOF'
osemon benchmark full run: 2026-01-01 00:00 UTC
== summary: osemon/peer ratios (below 1: osemon uses less; targets from the issues, reported, not asserted)
bench      name                               ratio                        value target     detail
startup    startup-disk-wall                  osemon/plugin                 0.98 <=1.5 met  (osemon 874 us, peer 896 us)
rrd        rrd-direct                         osemon/rrdtool-update       0.0036 <=1.0 met  (osemon 16.5 us, peer 4622.4 us CPU per update)
backup     backup-runner-rss/bound            -                           0.2718 -
== comparisons
EOF
	t_run sh "$SRC/bench/plot.sh" "$T_TMP/results.txt" "$T_TMP/r.png"
	expect_rc 0 "plot.sh draws the ratios"
	expect_match "$OUT" '\(2 ratios\)' "only osemon/peer rows are plotted"
	t_run file "$T_TMP/r.png"
	expect_match "$OUT" 'PNG image data, 1000 x' "the plot is a PNG"
fi
