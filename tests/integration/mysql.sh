# mysql probe against a real mariadbd (tests/lib/mariadb.sh): metric names,
# questions and threads_running moving with real load, slow queries,
# connection usage, wrong password, option file permissions, a replica's
# lag, a hung and a stopped server, and the munin face under munin-run.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/mariadb.sh"
need mariadbd mariadb-install-db mariadb

mariadb_start || { t_fail "mariadbd did not start"; exit 0; }

# 1. OK over the socket, with the exact metric names.
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK"
expect_rc 0 "running server over the socket is OK"
expect_match "$OUT" '^MYSQL OK: .*MariaDB.* up [0-9]+ s' "plugin line names the server and uptime"
names=$(printf '%s\n' "$OUT" | head -n 1 | sed 's/^[^|]*|//' | tr ' ' '\n' |
    sed -n 's/^\([a-z_0-9]*\)=.*/\1/p' | tr '\n' ' ')
expect_eq "$names" "connect_time uptime threads_connected threads_running questions slow_queries aborted_connects open_tables connections_used slow_queries_rate innodb_bpool_used resident_memory " \
    "exact metric names in order"
expect_match "$(perfdata_value "$OUT" questions)" '^[0-9]+c?$' "questions is a counter"
rss=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$MDB_PID/status")
expect_near "$(perfdata_value "$OUT" resident_memory)" "$rss" $((rss / 5)) \
    "resident_memory is mariadbd's VmRSS"
expect_no_match "$OUT" "$MDB_PASSWORD" "the password never appears in the output"

# 2. OK over TCP.
t_run "$OSEMON" check mysql -f "$MDB_CNF" -H 127.0.0.1 -P "$MDB_PORT"
expect_rc 0 "running server over 127.0.0.1 is OK"
q1=$(perfdata_value "$OUT" questions)

# 3. Queries raise questions.
mariadb_sql "SELECT 1; SELECT 2; SELECT 3; SELECT 4; SELECT 5; SELECT 6; SELECT 7; SELECT 8; SELECT 9; SELECT 10;" >/dev/null
t_run "$OSEMON" check mysql -f "$MDB_CNF" -H 127.0.0.1 -P "$MDB_PORT"
q2=$(perfdata_value "$OUT" questions)
expect_eq "$([ $((q2 - q1)) -ge 10 ] && [ $((q2 - q1)) -lt 30 ] && echo yes)" yes \
    "10 queries raise questions by 10 and a few ($q1 -> $q2)"

# 4. SELECT SLEEP() sessions raise threads_running.
for i in 1 2 3; do
	t_bg mariadb --no-defaults -S "$MDB_SOCK" -uroot -e "SELECT SLEEP(6)" \
	    >/dev/null 2>&1
done
n=0
while [ "$n" -lt 50 ]; do
	[ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'")" = 3 ] && break
	sleep 0.1
	n=$((n + 1))
done
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK" --threads-running-critical 3
expect_rc 2 "threads running above --threads-running-critical 3 is CRITICAL"
expect_eq "$(perfdata_value "$OUT" threads_running)" 4 "3 sleeping sessions + ours: threads_running 4"
expect_match "$OUT" '^MYSQL CRITICAL: threads_running 4 outside 3 \(critical\)' "message names threads_running and its range"

# 5. Connection usage: max_connections 20, 5 connected (3 sleepers, ours, root's).
mariadb_sql "SET GLOBAL max_connections = 20"
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK" --connections-warning 10
tc=$(perfdata_value "$OUT" threads_connected)
expect_near "$(perfdata_value "$OUT" connections_used)" "$(awk -v t="$tc" 'BEGIN { print t * 100 / 20 }')" 0.001 \
    "connections_used is threads_connected / max_connections"
expect_rc 1 "connections above --connections-warning 10 (%) is WARNING"

# 6. Slow queries.
mariadb_sql "SET GLOBAL long_query_time = 0.2"
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK"
s1=$(perfdata_value "$OUT" slow_queries)
mariadb --no-defaults -S "$MDB_SOCK" -uroot -e "SELECT SLEEP(0.25)" >/dev/null
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK" --slow-queries-warning 0
s2=$(perfdata_value "$OUT" slow_queries)
expect_eq "$((${s2%c} - ${s1%c}))" 1 "one slow query raises slow_queries by 1"
expect_rc 1 "slow queries per second above --slow-queries-warning 0 is WARNING"

# 6b. The collector face: the slow query rate over the last interval.  The
# plugin face (since start) stays WARNING after one slow query; the
# collector goes WARNING for the interval that saw it, then OK again.
mkdir -p "$T_TMP/coll"
cat >"$T_TMP/coll/osemon.conf" <<CONF
[global]
rrd-dir = rrd
graph-dir = www
state-dir = state
[check m]
probe = mysql
defaults-file = $MDB_CNF
socket = $MDB_SOCK
interval = 1
retry-interval = 1
slow-queries-warning = 0
CONF
coll_state() { # wait until check m is in state $1 (at most 8 s)
	_n=0
	while [ "$_n" -lt 40 ]; do
		t_run "$OSEMON" status -c "$T_TMP/coll/osemon.conf"
		printf '%s\n' "$OUT" | grep -Eq "^m +$1 " && return 0
		sleep 0.2
		_n=$((_n + 1))
	done
	return 1
}
t_bg "$OSEMON" run -c "$T_TMP/coll/osemon.conf" 2>"$T_TMP/coll/run.log"
COLL_PID=$T_LAST_PID
coll_state OK
expect_match "$OUT" '^m +OK ' "collector: no slow query in the interval is OK"
mariadb --no-defaults -S "$MDB_SOCK" -uroot -e "SELECT SLEEP(0.25)" >/dev/null
coll_state WARNING
expect_match "$OUT" '^m +WARNING .*slow_queries_rate [0-9.e-]+ outside 0 \(warning\)' \
    "collector: the interval with a slow query is WARNING"
coll_state OK
expect_match "$OUT" '^m +OK ' "collector: the next interval without one is OK again"
kill "$COLL_PID" 2>/dev/null
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK" --slow-queries-warning 0
expect_rc 1 "while the plugin face (since start) is still WARNING"

# 7. Wrong password: CRITICAL with the server's reason.
(umask 077 && printf '[client]\nuser=osemon\npassword=wrong\n' >"$T_TMP/wrong.cnf")
t_run "$OSEMON" check mysql -f "$T_TMP/wrong.cnf" -s "$MDB_SOCK"
expect_rc 2 "wrong password is CRITICAL"
expect_match "$OUT" "^MYSQL CRITICAL: cannot connect: Access denied for user 'osemon'" "message has the server's error"

# 8. Option file readable by group or world: refused before connecting.
cp "$MDB_CNF" "$T_TMP/open.cnf"
chmod 0644 "$T_TMP/open.cnf"
t_run "$OSEMON" check mysql -f "$T_TMP/open.cnf" -s "$MDB_SOCK"
expect_rc 3 "world-readable option file is UNKNOWN"
expect_match "$OUT" '^MYSQL UNKNOWN: option file refused: .*(group|others)' "message says why the file is refused"
chmod 0640 "$T_TMP/open.cnf"
t_run "$OSEMON" check mysql -f "$T_TMP/open.cnf" -s "$MDB_SOCK"
expect_rc 3 "group-readable option file is UNKNOWN"
t_run "$OSEMON" check mysql -f "$T_TMP/missing.cnf" -s "$MDB_SOCK"
expect_rc 3 "missing option file is UNKNOWN"

# 9. munin face under the real munin-run.
if command -v munin-run >/dev/null 2>&1; then
	mkdir -p "$T_TMP/plugins" "$T_TMP/plugin-conf.d"
	ln -s "$OSEMON" "$T_TMP/plugins/osemon_mysql"
	printf '[osemon_mysql]\nuser root\nenv.defaults_file %s\nenv.socket %s\n' \
	    "$MDB_CNF" "$MDB_SOCK" >"$T_TMP/plugin-conf.d/osemon"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/plugin-conf.d" \
	    osemon_mysql config
	expect_match "$OUT" '^graph_category db' "munin config: category db"
	expect_match "$OUT" '^questions\.type DERIVE' "munin config: questions is DERIVE"
	expect_match "$OUT" '^threads_running\.type GAUGE' "munin config: threads_running is GAUGE"
	t_run munin-run --servicedir "$T_TMP/plugins" --sconfdir "$T_TMP/plugin-conf.d" \
	    osemon_mysql
	expect_match "$OUT" '^questions\.value [0-9]+$' "munin fetch: questions value"
	expect_match "$OUT" '^uptime\.value [0-9]+$' "munin fetch: uptime value"
fi

# 9b. A replica: its lag, and replication stopped.
if mariadb_start_replica; then
	n=0
	while [ "$n" -lt 50 ]; do
		t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$REP_SOCK"
		[ "$(perfdata_value "$OUT" replica_lag)" = 0 ] && break
		sleep 0.1
		n=$((n + 1))
	done
	expect_rc 0 "replica in sync is OK"
	expect_eq "$(perfdata_value "$OUT" replica_lag)" 0 "replica_lag is 0 s"
	t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$REP_SOCK" --replica-lag-critical @0:0
	expect_rc 2 "replica lag inside --replica-lag-critical @0:0 is CRITICAL"
	replica_sql "STOP SLAVE"
	t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$REP_SOCK"
	expect_rc 2 "stopped replication is CRITICAL"
	expect_match "$OUT" '^MYSQL CRITICAL: replication is not running' "message says replication is not running"
	kill "$REP_PID"
else
	t_fail "replica did not start"
fi

# 10. A hung server (SIGSTOP) is CRITICAL within -t.
kill -STOP "$MDB_PID"
start=$(date +%s.%N)
t_run "$OSEMON" check mysql -f "$MDB_CNF" -H 127.0.0.1 -P "$MDB_PORT" -t 3
end=$(date +%s.%N)
kill -CONT "$MDB_PID"
expect_rc 2 "hung server is CRITICAL"
expect_match "$OUT" 'timed out' "message says it timed out"
expect_eq "$(awk -v a="$start" -v b="$end" 'BEGIN { print (b - a < 3.5) ? "yes" : "no" }')" yes \
    "hung server answered within -t 3"

# 11. Stopped server: CRITICAL.
mariadb_stop
t_run "$OSEMON" check mysql -f "$MDB_CNF" -H 127.0.0.1 -P "$MDB_PORT"
expect_rc 2 "stopped server over TCP is CRITICAL"
expect_match "$OUT" "^MYSQL CRITICAL: cannot connect: Can't connect to server on '127.0.0.1'" "message has the connect error"
t_run "$OSEMON" check mysql -f "$MDB_CNF" -s "$MDB_SOCK"
expect_rc 2 "stopped server over the socket is CRITICAL"
