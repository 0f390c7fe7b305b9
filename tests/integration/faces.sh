# The plugin faces through the built binaries: Nagios output and exit codes,
# option errors, the munin face and osemon_PROBE symlinks, and the light
# front handing heavy probes to osemon-full.
. "$SRC/tests/lib.sh"

cat >"$T_TMP/meminfo" <<'MEM'
MemTotal:        1000000 kB
MemFree:          100000 kB
MemAvailable:     250000 kB
Buffers:           10000 kB
Cached:           200000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
MEM

# Thresholds: used = 75%.
t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w 80 -c 90
expect_rc 0 "memory 75% under -w 80 -c 90 is OK"
expect_match "$OUT" '^MEMORY OK: ' "first line starts with PROBE STATE:"
expect_eq "$(perfdata_value "$OUT" used_pct)" "75" "perfdata used_pct=75"
t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w 70 -c 90 -v
expect_rc 1 "75% over -w 70 is WARNING"
expect_match "$OUT" '^MEMORY WARNING: ' "WARNING status word"
expect_match "$OUT" '^reason: threshold$' "-v names the reason code"
t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w 70 -c 74.5
expect_rc 2 "75% over -c 74.5 is CRITICAL"
t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w @70:80
expect_rc 1 "inverted range @70:80 alerts inside"
t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w ~:75 -c 75:
expect_rc 0 "inclusive bounds: 75 within ~:75 and 75:"
expect_match "$OUT" "used_pct=75%;~:75;75:" "ranges echoed in perfdata"

# Bad options: UNKNOWN on stdout, usage on stderr, exit 3.
for bad in foo : 1-10 1,10 10:~ 2:1 nan; do
	t_run "$OSEMON" check memory --meminfo "$T_TMP/meminfo" -w "$bad"
	expect_rc 3 "range '$bad' is rejected with exit 3"
	expect_match "$OUT" "^MEMORY UNKNOWN: --warning: Range format incorrect" "range '$bad': message"
done
t_run "$OSEMON" check memory --bogus
expect_rc 3 "unknown option exits 3"
expect_eq "$OUT" "MEMORY UNKNOWN: unknown option '--bogus'" "unknown option message"
expect_match "$ERR" '^Usage: osemon check memory' "short usage on stderr"
t_run "$OSEMON" check memory -t abc
expect_rc 3 "bad timeout exits 3"
t_run "$OSEMON" check nosuchprobe
expect_rc 3 "unknown probe exits 3"
expect_match "$OUT" "no probe named 'nosuchprobe'" "unknown probe message"

# -h and -V exit 3 as the guidelines say.
t_run "$OSEMON" check memory -h
expect_rc 3 "-h exits 3"
expect_match "$OUT" '--swap-warning RANGE' "help lists the probe's options"
t_run "$OSEMON" check memory -V
expect_rc 3 "-V exits 3"
expect_match "$OUT" '^osemon check memory [0-9]' "-V prints the version"

# The light front links libc only; heavy probes go to osemon-full.
libs=$(ldd "$OSEMON" | grep -c -E 'curl|rrd|mariadb|ssl|crypto|jansson|esmtp|inih' || true)
expect_eq "$libs" "0" "the light front links no heavy library"
libs=$(ldd "$BUILD/osemon-probes" | grep -c -E 'rrd|cairo|pango|esmtp|inih' || true)
expect_eq "$libs" "0" "osemon-probes links no collector library"
t_run "$OSEMON" check http --help
expect_rc 3 "light front hands 'check http' on to osemon-probes"
expect_match "$OUT" 'osemon [0-9.]+ \(check http\)' "the network tier answered for http"
t_run "$OSEMON" check backup --help
expect_rc 3 "'check backup' goes through both tiers to osemon-full"
expect_match "$OUT" 'osemon [0-9.]+ \(check backup\)' "osemon-full answered for backup"
t_run "$OSEMON" check
expect_rc 3 "'check' without a probe exits 3"
expect_match "$OUT" '^  backup ' "'check' lists the probes of every tier"

# munin face, directly and through osemon_PROBE symlinks.
t_run env meminfo="$T_TMP/meminfo" "$OSEMON" munin memory config
expect_rc 0 "munin config exits 0"
expect_match "$OUT" '^graph_title ' "config has graph_title"
expect_match "$OUT" '^used_pct.label ' "config has field labels"
expect_match "$OUT" '^used_pct.type GAUGE$' "config has field types"
ln -s "$OSEMON" "$T_TMP/osemon_memory"
t_run env meminfo="$T_TMP/meminfo" warning=70 "$T_TMP/osemon_memory"
expect_rc 0 "symlink fetch exits 0"
expect_match "$OUT" '^used_pct.value 75$' "fetch through the symlink reads env.meminfo"
t_run env meminfo="$T_TMP/meminfo" warning=70 "$T_TMP/osemon_memory" config
expect_match "$OUT" '^used_pct.warning 0:70$' "env.warning becomes FIELD.warning"
t_run env meminfo="$T_TMP/meminfo" MUNIN_CAP_DIRTYCONFIG=1 "$T_TMP/osemon_memory" config
expect_match "$OUT" '^used_pct.value 75$' "dirtyconfig appends values"
t_run env meminfo="$T_TMP/meminfo" "$T_TMP/osemon_memory" autoconf
expect_eq "$OUT" "yes" "autoconf says yes"
t_run env meminfo=/nonexistent "$T_TMP/osemon_memory" autoconf
expect_rc 0 "autoconf exits 0 even when it says no"
expect_match "$OUT" '^no \(' "autoconf says no (reason)"
t_run env warning=foo "$T_TMP/osemon_memory"
expect_rc 1 "bad env value: exit 1"
expect_match "$ERR" "Range format incorrect" "bad env value: reason on stderr"

# Under the real munin-run, with its own service dir (never /etc/munin).
if command -v munin-run >/dev/null 2>&1; then
	mkdir -p "$T_TMP/plugins" "$T_TMP/conf"
	ln -s "$OSEMON" "$T_TMP/plugins/osemon_load"
	printf '[osemon_load]\nuser root\nenv.warning 1000\n' >"$T_TMP/conf/osemon"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/conf" osemon_load config
	expect_rc 0 "munin-run config exits 0"
	expect_match "$OUT" '^load1.warning 0:1000$' "munin-run passes plugin-conf env"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/conf" osemon_load
	expect_match "$OUT" '^load1.value [0-9.]+$' "munin-run fetch"
fi
