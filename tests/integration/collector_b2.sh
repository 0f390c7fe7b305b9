# The collector's shared [b2] section: b2 checks take bucket, key and API
# URL from it, and a check section overrides them.
. "$SRC/tests/lib.sh"

printf 'K001testapplicationkey\n' >"$T_TMP/key"
chmod 600 "$T_TMP/key"
$PY - "$T_TMP/seed.json" <<'PYEOF'
import json, sys
json.dump({"buckets": [
    {"name": "fresh", "files": [
        {"name": "daily_web_1.tar.gpg", "size": 5000, "age_hours": 3}]},
    {"name": "stale", "files": [
        {"name": "daily_web_1.tar.gpg", "size": 5000, "age_hours": 50}]},
]}, open(sys.argv[1], "w"))
PYEOF
t_bg $PY "$SRC/tests/lib/b2server.py" --port-file "$T_TMP/port" \
    --state "$T_TMP/seed.json" >"$T_TMP/b2.log" 2>&1
wait_file "$T_TMP/port" 10 || { t_fail "b2 server did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$T_TMP/port")"

cat >"$T_TMP/osemon.conf" <<CONF
[global]
interval = 60
retries = 1
rrd-dir = rrd
graph-dir = www
state-dir = state

[b2]
api-url = $URL
key-id = 0012testkeyid
key-file = $T_TMP/key
bucket = fresh

[check backups]
probe = b2
prefix = daily_

[check old-backups]
probe = b2
prefix = daily_
bucket = stale
CONF

t_run "$OSEMON" config check -c "$T_TMP/osemon.conf"
expect_rc 0 "config with a [b2] section is valid"
t_run "$OSEMON" run -c "$T_TMP/osemon.conf" --once
expect_rc 2 "--once: the stale bucket is CRITICAL"
expect_match "$OUT" '^backups +OK ' "b2 check takes bucket and credentials from [b2]"
expect_match "$OUT" '^old-backups +CRITICAL ' "a check's own bucket overrides [b2]"

sed 's/^bucket = fresh$/bucket = fresh\nbogus-key = 1/' "$T_TMP/osemon.conf" >"$T_TMP/bad.conf"
printf '\n[check typo]\nprobe = b2\nmax-age = x\n' >>"$T_TMP/bad.conf"
t_run "$OSEMON" config check -c "$T_TMP/bad.conf"
expect_rc 1 "unknown keys are reported"
expect_match "$OUT$ERR" 'bad.conf:[0-9]+: .*max-age' "the check's unknown key is named with its line"
expect_match "$OUT$ERR" 'bad.conf:[0-9]+: .*bogus-key' "an unknown key in [b2] is named with its line"
