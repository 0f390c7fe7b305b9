# Test harness: a private nginx on 127.0.0.1 with certificates made by a
# test CA.  Source after tests/lib.sh, then:
#
#   nginx_certs            # make the CA and the certificates in $T_TMP/pki
#   nginx_start            # start nginx; exports the ports below
#
# Certificates ($NGX_PKI/NAME.pem, one EC key leaf.key for all leaves):
#   ca.pem          test root CA (give it to --ca-file)
#   inter.pem       intermediate CA signed by the root
#   valid.pem       localhost + 127.0.0.1, valid 90 days (1 day old)
#   soon.pem        localhost, expires in 10.5 days (10 whole days left)
#   expired.pem     localhost, expired 5 days ago
#   notyet.pem      localhost, valid from 3 days on
#   wrongname.pem   www.example.invalid only
#   selfsigned.pem  localhost, self-signed (no CA)
#   chain.pem       localhost signed by the intermediate (leaf + inter)
#   chainsoon.pem   like chain.pem but the intermediate expires in 20.5 days
#
# Ports: NGX_HTTP (plain), NGX_HTTP_B (second plain server, redirect
# target), NGX_VALID NGX_SOON NGX_EXPIRED NGX_NOTYET NGX_WRONG NGX_SELF
# NGX_CHAIN NGX_CHAINSOON (https, HTTP/2 enabled), NGX_TLS13 (valid cert,
# TLS 1.3 only), NGX_TLS12 (valid cert, TLS 1.2 only).
#
# Plain paths: / (index.html "hello osemon"), /big.bin (2 MiB), /slow.txt
# (6 KiB at 2 KiB/s: about 3 s), /missing (404), /error (500),
# /redir-rel (301 to "/redir-abs", relative Location), /redir-abs (302 to
# http://127.0.0.1:$NGX_HTTP_B/landing), /loop (302 to itself), /private/
# (basic auth, user "mon", password in $NGX_PKI/auth.txt as user:password),
# /json (application/json), /to-https (302 to https://localhost:$NGX_VALID/).
# Every response has "X-Osemon: harness".

NGX_DIR="$T_TMP/nginx"
NGX_PKI="$T_TMP/pki"

# _ngx_date OFFSET: an openssl ca date OFFSET from now ("-5 days").
_ngx_date() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

# _ngx_sign NAME SAN START END [ISSUER] [EXT]: a leaf (or CA) signed by
# ISSUER (default ca) with openssl ca and explicit dates.
_ngx_sign() {
	_n=$1 _san=$2 _start=$3 _end=$4 _iss=${5:-ca} _ext=${6:-v3_leaf}
	_key="$NGX_PKI/leaf.key"
	[ "$_ext" = v3_ca ] && _key="$NGX_PKI/$_n.key"
	SAN="$_san" openssl req -new -key "$_key" -subj "/CN=${_n}-cn/O=osemon test" \
	    -out "$NGX_PKI/$_n.csr" 2>/dev/null || return 1
	SAN="$_san" openssl ca -batch -notext -config "$NGX_PKI/ca.cnf" \
	    -cert "$NGX_PKI/$_iss.pem" -keyfile "$NGX_PKI/$_iss.key" \
	    -startdate "$(_ngx_date "$_start")" -enddate "$(_ngx_date "$_end")" \
	    -extensions "$_ext" -in "$NGX_PKI/$_n.csr" -out "$NGX_PKI/$_n.pem" \
	    >/dev/null 2>&1 || return 1
}

nginx_certs() {
	mkdir -p "$NGX_PKI/newcerts" || return 1
	: >"$NGX_PKI/index.txt"
	echo 1000 >"$NGX_PKI/serial"
	cat >"$NGX_PKI/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $NGX_PKI
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = dn
[ dn ]
[ v3_leaf ]
basicConstraints = CA:FALSE
subjectAltName = \$ENV::SAN
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	_ec="-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
	for k in ca inter chainsoon-inter leaf; do
		# shellcheck disable=SC2086
		openssl genpkey $_ec -out "$NGX_PKI/$k.key" 2>/dev/null || return 1
	done
	SAN=DNS:unused openssl req -x509 -new -key "$NGX_PKI/ca.key" -days 3650 \
	    -subj "/CN=osemon test root CA" -config "$NGX_PKI/ca.cnf" \
	    -extensions v3_ca -out "$NGX_PKI/ca.pem" 2>/dev/null || return 1
	_ngx_sign inter "DNS:unused" "-1 day" "+1000 days" ca v3_ca || return 1
	_ngx_sign chainsoon-inter "DNS:unused" "-1 day" "+20 days 12 hours" ca v3_ca || return 1
	_ngx_sign valid "DNS:localhost,IP:127.0.0.1" "-1 day" "+90 days" || return 1
	_ngx_sign soon "DNS:localhost,IP:127.0.0.1" "-80 days" "+10 days 12 hours" || return 1
	_ngx_sign expired "DNS:localhost,IP:127.0.0.1" "-95 days" "-5 days" || return 1
	_ngx_sign notyet "DNS:localhost,IP:127.0.0.1" "+3 days" "+93 days" || return 1
	_ngx_sign wrongname "DNS:www.example.invalid" "-1 day" "+90 days" || return 1
	_ngx_sign chainleaf "DNS:localhost,IP:127.0.0.1" "-1 day" "+90 days" inter || return 1
	_ngx_sign chainsoonleaf "DNS:localhost,IP:127.0.0.1" "-1 day" "+90 days" chainsoon-inter || return 1
	cat "$NGX_PKI/chainleaf.pem" "$NGX_PKI/inter.pem" >"$NGX_PKI/chain.pem"
	cat "$NGX_PKI/chainsoonleaf.pem" "$NGX_PKI/chainsoon-inter.pem" >"$NGX_PKI/chainsoon.pem"
	openssl req -x509 -new -key "$NGX_PKI/leaf.key" -days 90 \
	    -subj "/CN=selfsigned-cn" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -out "$NGX_PKI/selfsigned.pem" 2>/dev/null || return 1
	# basic auth: user mon, a random password; htpasswd in apr1
	_pw=$(openssl rand -hex 12)
	printf 'mon:%s\n' "$(openssl passwd -apr1 "$_pw")" >"$NGX_PKI/htpasswd"
	(umask 077; printf 'mon:%s\n' "$_pw" >"$NGX_PKI/auth.txt")
	(umask 077; printf 'mon:wrong%s\n' "$_pw" >"$NGX_PKI/auth-bad.txt")
}

# _ngx_tls_server PORT CERT [PROTOCOLS]
_ngx_tls_server() {
	cat <<EOF
	server {
		listen 127.0.0.1:$1 ssl http2;
		server_name localhost;
		ssl_certificate $NGX_PKI/$2.pem;
		ssl_certificate_key $NGX_PKI/leaf.key;
		ssl_protocols ${3:-TLSv1.2 TLSv1.3};
		ssl_session_cache off;
		ssl_session_tickets off;
		root $NGX_DIR/html;
		add_header X-Osemon harness always;
	}
EOF
}

nginx_start() {
	need nginx openssl
	mkdir -p "$NGX_DIR/html/private" "$NGX_DIR/logs" "$NGX_DIR/tmp" || return 1
	chmod 755 "$T_TMP" "$NGX_DIR" "$NGX_DIR/html" "$NGX_DIR/html/private"
	chmod 755 "$NGX_PKI" 2>/dev/null
	chmod 644 "$NGX_PKI"/*.pem "$NGX_PKI/leaf.key" "$NGX_PKI/htpasswd" 2>/dev/null
	printf '<html><body>hello osemon</body></html>\n' >"$NGX_DIR/html/index.html"
	printf 'secret page\n' >"$NGX_DIR/html/private/index.html"
	printf '{"status":"green"}\n' >"$NGX_DIR/html/json"
	head -c 2097152 /dev/zero | tr '\0' 'x' >"$NGX_DIR/html/big.bin"
	head -c 6144 /dev/zero | tr '\0' 's' >"$NGX_DIR/html/slow.txt"
	for v in NGX_HTTP NGX_HTTP_B NGX_VALID NGX_SOON NGX_EXPIRED NGX_NOTYET \
	    NGX_WRONG NGX_SELF NGX_CHAIN NGX_CHAINSOON NGX_TLS13 NGX_TLS12; do
		eval "$v=\$(free_port)"
	done
	export NGX_HTTP NGX_HTTP_B NGX_VALID NGX_SOON NGX_EXPIRED NGX_NOTYET \
	    NGX_WRONG NGX_SELF NGX_CHAIN NGX_CHAINSOON NGX_TLS13 NGX_TLS12
	_user=""
	[ "$(id -u)" -eq 0 ] && _user="user root root;"
	{
		cat <<EOF
$_user
worker_processes 1;
daemon off;
pid $NGX_DIR/nginx.pid;
error_log $NGX_DIR/logs/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $NGX_DIR/tmp/body;
	proxy_temp_path $NGX_DIR/tmp/proxy;
	fastcgi_temp_path $NGX_DIR/tmp/fastcgi;
	uwsgi_temp_path $NGX_DIR/tmp/uwsgi;
	scgi_temp_path $NGX_DIR/tmp/scgi;
	types { text/html html; application/json json; application/octet-stream bin; text/plain txt; }
	default_type application/json;
	keepalive_timeout 5;
	server {
		listen 127.0.0.1:$NGX_HTTP;
		server_name localhost;
		root $NGX_DIR/html;
		absolute_redirect off;
		add_header X-Osemon harness always;
		location = /missing { return 404; }
		location = /error { return 500; }
		location = /redir-rel { return 301 /redir-abs; }
		location = /redir-abs { return 302 http://127.0.0.1:$NGX_HTTP_B/landing; }
		location = /loop { return 302 /loop; }
		location = /to-https { return 302 https://localhost:$NGX_VALID/; }
		location = /slow.txt { limit_rate 2k; limit_rate_after 0; }
		location /private/ {
			auth_basic "osemon";
			auth_basic_user_file $NGX_PKI/htpasswd;
		}
	}
	server {
		listen 127.0.0.1:$NGX_HTTP_B;
		location = /landing { return 200 "landed on B\n"; }
	}
EOF
		_ngx_tls_server "$NGX_VALID" valid
		_ngx_tls_server "$NGX_SOON" soon
		_ngx_tls_server "$NGX_EXPIRED" expired
		_ngx_tls_server "$NGX_NOTYET" notyet
		_ngx_tls_server "$NGX_WRONG" wrongname
		_ngx_tls_server "$NGX_SELF" selfsigned
		_ngx_tls_server "$NGX_CHAIN" chain
		_ngx_tls_server "$NGX_CHAINSOON" chainsoon
		_ngx_tls_server "$NGX_TLS13" valid TLSv1.3
		_ngx_tls_server "$NGX_TLS12" valid TLSv1.2
		echo "}"
	} >"$NGX_DIR/nginx.conf"
	t_bg nginx -e "$NGX_DIR/logs/error.log" -p "$NGX_DIR" -c "$NGX_DIR/nginx.conf"
	NGX_PID=$T_LAST_PID
	wait_port "$NGX_TLS12" 10 || {
		echo "nginx did not start:" >&2
		cat "$NGX_DIR/logs/error.log" >&2
		return 1
	}
}

# nginx_days_left CERT: floor of days until notAfter, as openssl sees it.
nginx_days_left() {
	_end=$(openssl x509 -noout -enddate -in "$NGX_PKI/$1.pem" | sed 's/^notAfter=//')
	_e=$(date -u -d "$_end" +%s)
	_now=$(date -u +%s)
	echo $(( (_e - _now) / 86400 - ((_e - _now) < 0 && (_e - _now) % 86400 != 0 ? 1 : 0) ))
}

# A loopback server that accepts connections and never answers; prints
# nothing.  Usage: silent_server PORT
silent_server() {
	t_bg $PY -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$1"
}
