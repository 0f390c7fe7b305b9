#!/bin/sh
# contrib/nagios/ against the real Nagios 4: `nagios4 -v` on a temporary
# main config (stock Debian templates, contacts and time periods, read
# only; everything written goes to $T_TMP) that includes commands.cfg and
# services.cfg reports 0 errors and 0 warnings; every probe has a command;
# every service's command line, macros expanded for a local target, runs
# and gives a valid plugin result.
. "$SRC/tests/lib.sh"
need nagios4

N="$T_TMP/nagios"
mkdir -p "$N/conf.d" "$N/checkresults"
cp "$SRC"/contrib/nagios/*.cfg "$N/conf.d/"

# Services for the commands the OSE example does not use, on local targets.
HTTP_PORT=$(free_port)
mkdir -p "$T_TMP/www/sub"
printf 'hello from the eco test\n' >"$T_TMP/www/index.html"
printf 'some bytes\n' >"$T_TMP/www/sub/file"
cat >"$N/local.cfg" <<EOT
define service {
    use                     osemon-service
    service_description     local http
    check_command           osemon_http!localhost!/index.html!2!5!-p $HTTP_PORT -s 'eco test'
}
define service {
    use                     osemon-service
    service_description     local https certificate
    check_command           osemon_https_cert!localhost!30,14!-p $HTTP_PORT -t 3
}
define service {
    use                     osemon-service
    service_description     local dirsize
    check_command           osemon_dirsize!$T_TMP/www!0:1000000!0:2000000!
}
define service {
    use                     osemon-passive
    host_name               ose-server
    service_description     local passive
    contact_groups          admins
}
define service {
    use                     osemon-service
    service_description     local exec
    check_command           osemon_exec!!/usr/lib/nagios/plugins/check_dummy 1 'dummy says hi'
}
EOT

# Stock Debian objects are only read; every written path is in $N.
objs=""
for f in commands contacts timeperiods templates; do
	objs="$objs
cfg_file=/etc/nagios4/objects/$f.cfg"
done
cat >"$N/nagios.cfg" <<EOT
log_file=$N/nagios.log
$objs
cfg_dir=$N/conf.d
cfg_file=$N/local.cfg
object_cache_file=$N/objects.cache
precached_object_file=$N/objects.precache
resource_file=$N/resource.cfg
status_file=$N/status.dat
nagios_user=$(id -un)
nagios_group=$(id -gn)
check_external_commands=1
command_file=$N/nagios.cmd
lock_file=$N/nagios.lock
temp_file=$N/nagios.tmp
temp_path=$N
check_result_path=$N/checkresults
state_retention_file=$N/retention.dat
debug_file=$N/debug.log
query_socket=$N/query.sock
illegal_macro_output_chars=\`~\$&|'"<>
EOT
printf '$USER1$=/usr/lib/nagios/plugins\n' >"$N/resource.cfg"

t_run nagios4 -v "$N/nagios.cfg"
expect_rc 0 "nagios4 -v accepts contrib/nagios with Debian's stock objects"
expect_match "$OUT" '^Total Warnings: 0$' "nagios4 -v: 0 warnings"
expect_match "$OUT" '^Total Errors: +0$' "nagios4 -v: 0 errors"
expect_match "$OUT" 'Checked 21 services' "nagios4 -v read the 16 OSE services and the 5 local ones"

# Every probe of osemon-full has a command osemon_PROBE.
probes=$("$OSEMON_FULL" --help 2>&1 | sed -n 's/^Probes: //p')
expect_match "$probes" 'disk .*http' "osemon --help lists the probes"
missing=""
for p in $probes backup; do
	grep -Eq "^ +command_name +osemon_$p\$" "$SRC/contrib/nagios/commands.cfg" ||
	    missing="$missing $p"
done
expect_eq "$missing" "" "contrib/nagios/commands.cfg has a command for every probe"

# A local web server for the http services.
t_bg "$PY" -m http.server -b 127.0.0.1 -d "$T_TMP/www" "$HTTP_PORT" >/dev/null 2>&1
wait_port "$HTTP_PORT" 10 || t_fail "http.server did not start"

"$PY" "$SRC/tests/lib/nagios_cmds.py" "$OSEMON" 127.0.0.1 \
    "$N"/conf.d/*.cfg "$N/local.cfg" >"$T_TMP/cmds.tsv"
used=$(grep -v '^#' "$T_TMP/cmds.tsv" | cut -f2 | sort -u | tr '\n' ' ')
defined=$(sed -n 's/^#commands //p' "$T_TMP/cmds.tsv")
expect_eq "$used" "$defined " "every command is used by a service (OSE or local)"

# the backup probe may not be in every build yet
has_backup=0
"$OSEMON_FULL" --help 2>&1 | sed -n 's/^Probes: //p' | grep -qw backup && has_backup=1
tab=$(printf '\t')
grep -v '^#' "$T_TMP/cmds.tsv" >"$T_TMP/cmds.run"
while IFS="$tab" read -r desc cmd line; do
	if [ "$cmd" = osemon_backup ] && [ "$has_backup" -eq 0 ]; then
		echo "skip - $T_NAME: '$desc': this build has no backup probe"
		continue
	fi
	t_run timeout 30 sh -c "$line" </dev/null
	first=$(printf '%s\n' "$OUT" | head -n 1)
	case "$RC" in
	0|1|2|3) t_pass "'$desc' exits $RC" ;;
	*) t_fail "'$desc' exits $RC: $line: $ERR" ;;
	esac
	if [ "$cmd" = osemon_no_result ]; then
		# monitoring-plugins' check_dummy: "UNKNOWN: text"
		expect_match "$first" '^UNKNOWN: ' "'$desc' prints check_dummy's status line"
	else
		expect_match "$first" '^[A-Z0-9]+ (OK|WARNING|CRITICAL|UNKNOWN)' "'$desc' prints a plugin status line"
	fi
	case "$desc" in
	"local http")
		expect_eq "$RC" 0 "local http: OK against the local server"
		expect_match "$first" 'time_total=[0-9.]+s;2;5;' "local http: perfdata has the total time with -w 2 -c 5" ;;
	"local dirsize")
		expect_eq "$RC" 0 "local dirsize: OK" ;;
	"local passive")
		expect_eq "$RC" 3 "local passive: the freshness command says UNKNOWN"
		expect_match "$first" 'no result from the osemon collector for local passive' "local passive: names the service" ;;
	"local exec")
		expect_eq "$RC" 1 "local exec: check_dummy's WARNING kept"
		expect_match "$first" 'dummy says hi' "local exec: plugin text kept" ;;
	"disk"|"load"|"memory")
		expect_match "$first" '\|.*=' "$desc: has perfdata" ;;
	"https www")
		expect_eq "$RC" 2 "https www: nothing on 127.0.0.1:443 is CRITICAL" ;;
	esac
done <"$T_TMP/cmds.run"
