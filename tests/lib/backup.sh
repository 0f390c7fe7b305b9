# Sourced by the backup integration scripts (tests/integration/backup*.sh)
# after tests/lib.sh: the local B2 server and its control endpoint, a
# corrupted copy of an archive in B2, and the collector part of their
# configs.  The scripts set KEY_ID; b2_start sets URL.

# small_tree PREFIX: in the current folder the B2 key (key), the
# passphrase PREFIX-PID (pass), both mode 0600, and FS=$T_TMP/fs with
# etc/x.conf and a 1.5 MB incompressible data/blob.bin (parts of 400000
# bytes make it a large file); FS/backups is the local-dir.
small_tree() {
	printf 'K001testapplicationkey\n' >key
	printf '%s-%s\n' "$1" "$$" >pass
	chmod 600 key pass
	FS=$T_TMP/fs
	mkdir -p "$FS/etc" "$FS/data" "$FS/backups"
	echo 'x = 1' >"$FS/etc/x.conf"
	head -c 1500000 /dev/urandom >"$FS/data/blob.bin"
}

# b2_start PART-SIZE: start tests/lib/b2server.py (key
# K001testapplicationkey, minimum part 100000 bytes); sets URL and B2PID,
# returns 1 when it did not come up.
b2_start() {
	t_bg $PY "$SRC/tests/lib/b2server.py" --port-file "$T_TMP/b2.port" \
	    --key-id "$KEY_ID" --key K001testapplicationkey --part-size "$1" \
	    --min-part-size 100000 >"$T_TMP/b2.log" 2>&1
	B2PID=$T_LAST_PID
	wait_file "$T_TMP/b2.port" 10 || return 1
	URL="http://127.0.0.1:$(cat "$T_TMP/b2.port")"
}

# ctl JSON / ctl_file FILE: one control operation (fault, seed, ...).
ctl() { $PY -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+"/_control", data=sys.argv[2].encode()), timeout=10).read()' "$URL" "$1"; }
ctl_file() { $PY -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+"/_control", data=open(sys.argv[2], "rb").read()), timeout=10).read()' "$URL" "$1"; }
# count CALL: how often the server saw that API call.
count() { $PY -c 'import sys,json,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]+"/_control", timeout=5))["counts"].get(sys.argv[2], 0))' "$URL" "$1"; }

# corrupt_in_b2 FILE NAME: object NAME in bucket backups becomes FILE with
# one byte flipped in its middle (gpg's integrity check must catch it).
corrupt_in_b2() {
	$PY - "$1" "$2" >"$T_TMP/seed.json" <<'PYEOF'
import base64, json, sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x55
print(json.dumps({"op": "seed", "bucket": "backups", "files": [
    {"name": sys.argv[2], "content_b64": base64.b64encode(bytes(data)).decode()}]}))
PYEOF
	ctl_file "$T_TMP/seed.json"
}

# collector_conf SMTP-PORT: [global] (1 s checks, no flapping, host web1),
# [smtp] to the test SMTP server and [b2] to the B2 server: the start of a
# config whose [backup] section follows.
collector_conf() {
	cat <<CONF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
graph-interval = 3600
flap-detection = no
rrd-dir = data/rrd
graph-dir = data/www
state-dir = state
hostname = web1
group-window = 0
renotify = 0
[smtp]
server = 127.0.0.1:$1
starttls = off
from = osemon@web1.example
to = ops@example.com
timeout = 5
[b2]
api-url = $URL
key-id = $KEY_ID
key-file = key
bucket = backups
CONF
}
