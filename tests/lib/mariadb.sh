# A throw-away mariadbd for integration tests and benchmarks.
# Source after tests/lib.sh.  mariadb_start creates a datadir under $T_TMP,
# starts the server on a unix socket and a free 127.0.0.1 port (killed at
# exit through t_bg), creates the user osemon with a password and writes
# the option file $MDB_CNF (mode 0600, [client] user/password).
#   MDB_DIR MDB_SOCK MDB_PORT MDB_PID MDB_CNF MDB_PASSWORD
#   mariadb_sql SQL...     run SQL as root over the socket
#   mariadb_stop           stop the server and wait for it to exit
#   mariadb_start_replica  a second server replicating from the first
#                          (REP_SOCK REP_PORT REP_PID; replica_sql SQL...)

mariadb_start() {
	MDB_DIR=$T_TMP/mdb
	MDB_SOCK=$MDB_DIR/sock
	MDB_PORT=$(free_port)
	MDB_PASSWORD=osemon-test-$$
	MDB_CNF=$T_TMP/mariadb-client.cnf
	mkdir -p "$MDB_DIR"
	mariadb-install-db --no-defaults --datadir="$MDB_DIR/data" \
	    --auth-root-authentication-method=normal --skip-test-db \
	    >"$MDB_DIR/install.log" 2>&1 || {
		echo "mariadb-install-db failed:" >&2
		tail -n 20 "$MDB_DIR/install.log" >&2
		return 1
	}
	t_bg mariadbd --no-defaults --datadir="$MDB_DIR/data" \
	    --socket="$MDB_SOCK" --port="$MDB_PORT" --bind-address=127.0.0.1 \
	    --pid-file="$MDB_DIR/mariadbd.pid" --user="$(id -un)" \
	    --log-bin="$MDB_DIR/binlog" --server-id=1 \
	    --skip-name-resolve --innodb-buffer-pool-size=16M \
	    --log-error="$MDB_DIR/error.log" >"$MDB_DIR/stderr.log" 2>&1
	MDB_PID=$T_LAST_PID
	wait_file "$MDB_SOCK" 30 && wait_port "$MDB_PORT" 10 || {
		echo "mariadbd did not start:" >&2
		tail -n 20 "$MDB_DIR/error.log" >&2
		return 1
	}
	mariadb_sql "CREATE USER 'osemon'@'localhost' IDENTIFIED BY '$MDB_PASSWORD';
	    CREATE USER 'osemon'@'127.0.0.1' IDENTIFIED BY '$MDB_PASSWORD';
	    GRANT PROCESS, SLAVE MONITOR ON *.* TO 'osemon'@'localhost';
	    GRANT PROCESS, SLAVE MONITOR ON *.* TO 'osemon'@'127.0.0.1';" ||
	    return 1
	(umask 077 && printf '[client]\nuser=osemon\npassword=%s\n' \
	    "$MDB_PASSWORD" >"$MDB_CNF")
}

mariadb_sql() {
	mariadb --no-defaults -S "$MDB_SOCK" -uroot -N -B -e "$*"
}

mariadb_stop() {
	kill "$MDB_PID" 2>/dev/null
	_n=100
	while [ "$_n" -gt 0 ] && kill -0 "$MDB_PID" 2>/dev/null; do
		sleep 0.1
		_n=$((_n - 1))
	done
}

mariadb_start_replica() {
	REP_DIR=$T_TMP/mdb-replica
	REP_SOCK=$REP_DIR/sock
	REP_PORT=$(free_port)
	mkdir -p "$REP_DIR"
	mariadb-install-db --no-defaults --datadir="$REP_DIR/data" \
	    --auth-root-authentication-method=normal --skip-test-db \
	    >"$REP_DIR/install.log" 2>&1 || return 1
	t_bg mariadbd --no-defaults --datadir="$REP_DIR/data" \
	    --socket="$REP_SOCK" --port="$REP_PORT" --bind-address=127.0.0.1 \
	    --pid-file="$REP_DIR/mariadbd.pid" --user="$(id -un)" \
	    --server-id=2 --skip-log-bin --skip-name-resolve \
	    --innodb-buffer-pool-size=16M --log-error="$REP_DIR/error.log" \
	    >"$REP_DIR/stderr.log" 2>&1
	REP_PID=$T_LAST_PID
	wait_file "$REP_SOCK" 30 && wait_port "$REP_PORT" 10 || return 1
	mariadb_sql "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-$$';
	    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';" || return 1
	# The replica replays the primary's binlog from its start, users too.
	replica_sql "CHANGE MASTER TO MASTER_HOST='127.0.0.1',
	    MASTER_PORT=$MDB_PORT, MASTER_USER='repl',
	    MASTER_PASSWORD='repl-$$', MASTER_USE_GTID=slave_pos;
	    START SLAVE;" || return 1
	_n=100
	until [ "$(replica_sql "SELECT COUNT(*) FROM mysql.user WHERE User = 'osemon'")" = 2 ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

replica_sql() {
	mariadb --no-defaults -S "$REP_SOCK" -uroot -N -B -e "$*"
}
