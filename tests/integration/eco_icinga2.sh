#!/bin/sh
# contrib/icinga2/ against the real Icinga 2: the CheckCommands match the
# probes' option tables (regenerated and compared); `icinga2 daemon -C` on
# a temporary config that includes them and the OSE example validates
# without errors or warnings; then the daemon runs the checks (forced
# through its command pipe) and every result is a valid plugin result.
# Icinga 2 insists on /var/lib, /var/cache, /var/log/icinga2 and
# /run/icinga2: a private mount namespace puts temporary folders there.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/icinga.sh"
need icinga2 unshare
# A private mount namespace needs root (CAP_SYS_ADMIN).
if ! unshare -m true 2>/dev/null; then
	echo "skip - $T_NAME: cannot make a private mount namespace (unshare -m)"
	echo skip >>"$T_RESULTS"
	exit 0
fi

I="$T_TMP/icinga2"
mkdir -p "$I/lib" "$I/cache" "$I/log" "$I/etc"

"$PY" "$SRC/contrib/icinga2/gen-commands.py" "$SRC" >"$T_TMP/gen.conf"
if cmp -s "$T_TMP/gen.conf" "$SRC/contrib/icinga2/osemon-commands.conf"; then
	t_pass "osemon-commands.conf is what gen-commands.py makes from the option tables"
else
	t_fail "osemon-commands.conf is stale: $(diff "$SRC/contrib/icinga2/osemon-commands.conf" "$T_TMP/gen.conf" | head -c 600)"
fi

probes=$("$OSEMON_FULL" --help 2>&1 | sed -n 's/^Probes: //p')
missing=""
for p in $probes backup; do
	grep -q "^object CheckCommand \"osemon_$p\" {" "$SRC/contrib/icinga2/osemon-commands.conf" ||
	    missing="$missing $p"
done
expect_eq "$missing" "" "a CheckCommand for every probe"

# every long option of every probe is an argument of its CheckCommand
missing=""
for p in $probes; do
	for o in $("$OSEMON_FULL" check "$p" --help | grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z0-9.-]+' |
	    sed 's/.*--//' | grep -vxE 'timeout|verbose|help|version'); do
		awk -v c="object CheckCommand \"osemon_$p\" {" '$0 == c { on = 1 } on && /^}/ { on = 0 } on' \
		    "$SRC/contrib/icinga2/osemon-commands.conf" | grep -q "\"--$o\" = {" ||
		    missing="$missing $p:--$o"
	done
done
expect_eq "$missing" "" "every option of every probe has an argument"

sed "s|\"/usr/bin/osemon\"|\"$OSEMON\"|" "$SRC/contrib/icinga2/osemon-commands.conf" >"$I/etc/osemon-commands.conf"
cp "$SRC/contrib/icinga2/ose-example.conf" "$SRC/contrib/icinga2/osemon-passive.conf" "$I/etc/"
mkdir -p "$T_TMP/dir"
printf 'twelve bytes' >"$T_TMP/dir/f"
cat >"$I/etc/main.conf" <<EOT
const PluginDir = "/usr/lib/nagios/plugins"
const ManubulonPluginDir = "/usr/lib/nagios/plugins"
const PluginContribDir = "/usr/lib/nagios/plugins"
const NodeName = "eco-test"
const ZoneName = "eco-test"
const TicketSalt = ""
include <itl>
include <plugins>
include "osemon-commands.conf"
include "ose-example.conf"
include "osemon-passive.conf"
object Service "local passive" {
	host_name = "ose-server"
	import "osemon-passive"
}

/* the commands the OSE example does not use */
object Service "local exec" {
	host_name = "ose-server"
	check_command = "osemon_exec"
	vars.osemon_exec_command = [ "/usr/lib/nagios/plugins/check_dummy", "1", "dummy says hi" ]
}
object Service "local dirsize" {
	host_name = "ose-server"
	check_command = "osemon_dirsize"
	vars.osemon_dirsize_path = [ "$T_TMP/dir" ]
	vars.osemon_dirsize_warning = "0:1000000"
	vars.osemon_timeout = 5
}
EOT
cat >"$I/etc/run.conf" <<EOT
include "main.conf"
object CheckerComponent "checker" { }
object ExternalCommandListener "command" { command_path = "$I/icinga2.cmd" }
object PerfdataWriter "perfdata" {
	service_perfdata_path = "$I/service-perfdata"
	host_perfdata_path = "$I/host-perfdata"
	service_temp_path = "$I/service-perfdata.tmp"
	host_temp_path = "$I/host-perfdata.tmp"
	service_format_template = "SERVICE::\$service.name\$\tSTATE::\$service.state_id\$\tOUTPUT::\$service.output\$"
	rotation_interval = 1s
}
EOT

# in_ns.sh CMD...: see icinga_ns_script in tests/lib/icinga.sh.
icinga_ns_script "$T_TMP/in_ns.sh"
in_ns() { sh "$T_TMP/in_ns.sh" "$I" "$@"; }

t_run in_ns icinga2 daemon -C -c "$I/etc/main.conf" -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)"
expect_rc 0 "icinga2 daemon -C validates contrib/icinga2"
expect_match "$OUT" 'Instantiated 19 Services' "icinga2 -C: the 16 OSE services and 3 local ones"
expect_match "$OUT" 'Instantiated [0-9]+ CheckCommands' "icinga2 -C: CheckCommands instantiated"
expect_no_match "$OUT" '(warning|critical)/' "icinga2 -C: no warnings, no errors"

# Run it: checks forced now through the command pipe.
t_bg sh "$T_TMP/in_ns.sh" "$I" timeout 60 icinga2 daemon -c "$I/etc/run.conf" \
    -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)" -x notice >"$T_TMP/daemon.log" 2>&1
n=0
while [ ! -p "$I/icinga2.cmd" ] && [ "$n" -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
if [ -p "$I/icinga2.cmd" ]; then
	t_pass "icinga2 daemon started (command pipe is there)"
else
	t_fail "icinga2 daemon did not start: $(tail -5 "$T_TMP/daemon.log")"
	exit 0
fi
now=$(date +%s)
printf '[%s] SCHEDULE_FORCED_HOST_SVC_CHECKS;ose-server;%s\n' "$now" "$now" >"$I/icinga2.cmd"
n=0
while [ "$n" -lt 200 ]; do
	# long output continues on the next lines: keep the first lines only
	cat "$I"/service-perfdata* 2>/dev/null | grep '^SERVICE::' | sort -u >"$T_TMP/results"
	[ "$(cut -f1 "$T_TMP/results" | sort -u | wc -l)" -ge 19 ] && break
	sleep 0.1
	n=$((n + 1))
done
expect_eq "$(cut -f1 "$T_TMP/results" | sort -u | wc -l | tr -d ' ')" 19 "icinga2 ran all 19 services"

# the backup probe may not be in every build yet
has_backup=0
"$OSEMON_FULL" --help 2>&1 | sed -n 's/^Probes: //p' | grep -qw backup && has_backup=1
tab=$(printf '\t')
bad=""
while IFS="$tab" read -r svc state output; do
	svc=${svc#SERVICE::}
	state=${state#STATE::}
	output=${output#OUTPUT::}
	[ "$svc" = "backup job" ] && [ "$has_backup" -eq 0 ] && continue
	[ "$svc" = "local passive" ] && continue	# dummy, not osemon
	case "$state" in 0|1|2|3) ;; *) bad="$bad [$svc: state $state]" ;; esac
	printf '%s\n' "$output" | head -n 1 | grep -Eq '^[A-Z0-9]+ (OK|WARNING|CRITICAL|UNKNOWN)' ||
	    bad="$bad [$svc: $output]"
done <"$T_TMP/results"
expect_eq "$bad" "" "every result is a valid plugin result"
[ "$has_backup" -eq 0 ] && echo "skip - $T_NAME: 'backup job': this build has no backup probe"

result() { grep "^SERVICE::$1$tab" "$T_TMP/results" | head -n 1; }
expect_match "$(result 'local exec')" "STATE::1${tab}OUTPUT::EXEC WARNING: .*dummy says hi" "exec: the plugin array after -- keeps its words"
expect_match "$(result 'local dirsize')" "STATE::0${tab}OUTPUT::DIRSIZE OK" "dirsize: OK with the path array"
expect_match "$(result 'local passive')" "STATE::3${tab}OUTPUT::no result from the osemon collector for local passive \(freshness\)" "osemon-passive: without results, UNKNOWN with the reason"
expect_match "$(result disk)" "STATE::0${tab}OUTPUT::DISK OK: / " "disk: OK"
expect_match "$(result 'https www')" "STATE::2${tab}OUTPUT::HTTP CRITICAL" "https www: nothing on 127.0.0.1:443 is CRITICAL"

# The command lines Icinga built (its notice log).
log=$(cat "$T_TMP/daemon.log")
expect_match "$log" "'check' 'http' '--certificate' '30,14' '--continue-after-certificate' .*'--hostname' 'www.opensourceecology.org' '--path' '/' '--resolve' '127.0.0.1' '--ssl' '--warning' '3'" "https www: vhost, \$address\$, SSL, certificate days"
expect_no_match "$log" "'--string' ''" "https: no empty --string for sites without one"
expect_match "$log" "'--string' 'Open Source Ecology'" "https wiki: --string"
expect_match "$log" "'check' 'disk' '--critical' '95' '--path' '/' '--path' '/var' '--warning' '85'" "disk: repeatable --path from an array"
expect_match "$log" "'--prefix' 'daily_' '--prefix' 'monthly_'" "b2: both prefixes"
expect_match "$log" "'check' 'exec' '--' '/usr/lib/nagios/plugins/check_dummy' '1' 'dummy says hi'" "exec: -- then the plugin's words"
expect_match "$log" "'check' 'dirsize' .*'--timeout' '5'" "osemon_timeout is --timeout"

# Stop icinga2 (not under test).
icinga_stop "$T_LAST_PID" "$I/icinga2.cmd"
exit 0
