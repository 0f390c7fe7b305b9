# Sourced by alert tests after tests/lib.sh: a test CA, server
# certificates and the SMTP server of tests/lib/smtpd.py.

# libesmtp 1.1 reads past a header-table key inside its own code; only
# ASan's strict_string_checks (tests/check.sh) reports it: suppress reports
# from interceptors called by libesmtp, and only those.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}suppressions=$SRC/tests/lib/libesmtp.asan.supp"
export ASAN_OPTIONS

# smtpd_certs DIR: DIR/ca.pem (test CA), DIR/server.{pem,key} signed by it
# for localhost and 127.0.0.1, DIR/rogue.{pem,key} from another CA.
smtpd_certs() {
	_d=$1
	mkdir -p "$_d"
	(
		cd "$_d" || exit 1
		for ca in ca rogueca; do
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			    -nodes -keyout $ca.key -out $ca.pem -days 2 \
			    -subj "/CN=osemon test $ca" 2>/dev/null || exit 1
		done
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
		for pair in server:ca rogue:rogueca; do
			n=${pair%%:*}
			ca=${pair#*:}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			    -keyout $n.key -out $n.csr -subj "/CN=localhost" \
			    2>/dev/null || exit 1
			openssl x509 -req -in $n.csr -CA $ca.pem -CAkey $ca.key \
			    -CAcreateserial -days 2 -extfile san.ext -out $n.pem \
			    2>/dev/null || exit 1
		done
	)
}

# smtpd_start PORT MAILDIR ARGS...: start tests/lib/smtpd.py in the
# background and wait for the port; $SMTPD_PID is its pid.
smtpd_start() {
	_port=$1
	_dir=$2
	shift 2
	t_bg sh -c 'f=$1; shift; exec "$@" 2>>"$f"' smtpd "$T_TMP/smtpd.err" \
	    $PY "$SRC/tests/lib/smtpd.py" --port "$_port" --dir "$_dir" \
	    --log "$T_TMP/smtpd.log" "$@"
	SMTPD_PID=$T_LAST_PID
	wait_port "$_port" 10
}

smtpd_stop() {
	kill "$SMTPD_PID" 2>/dev/null
	wait "$SMTPD_PID" 2>/dev/null
}

# smtpd_count MAILDIR: how many messages were stored.
smtpd_count() {
	ls "$1" 2>/dev/null | grep -c '\.eml$'
}
