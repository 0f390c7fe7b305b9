# A throw-away mariadbd for integration tests and benchmarks.
# Source after tests/lib.sh.  mariadb_start creates a datadir under $T_TMP,
# starts the server on a unix socket and a free 127.0.0.1 port (killed at
# exit through t_bg), creates the user osemon with a password and writes
# the option file $MDB_CNF (mode 0600, [client] user/password).
#   MDB_DIR MDB_SOCK MDB_PORT MDB_PID MDB_CNF MDB_PASSWORD
#   mariadb_sql SQL...     run SQL as root over the socket
#   mariadb_stop           stop the server and wait for it to exit

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
	    --skip-log-bin --skip-name-resolve --innodb-buffer-pool-size=16M \
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
