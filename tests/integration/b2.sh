#!/bin/sh
# osemon check b2 against the local B2 server (tests/lib/b2server.py):
# ages around 26 h and 48 h, empty bucket, newest on a later page, hidden
# newest file, unfinished large file, token expiring between calls, 503
# then success, stall past -t, truncated JSON, wrong key, key file mode,
# v2 layout with a restricted key, clock skew.
. "$SRC/tests/lib.sh"

KEY_ID=0012testkeyid
printf 'K001testapplicationkey\n' >"$T_TMP/key"
chmod 600 "$T_TMP/key"

# b2_start NAME ARGS...: start a server; its base URL goes to $B2URL.
b2_start() {
	_name=$1
	shift
	t_bg $PY "$SRC/tests/lib/b2server.py" --port-file "$T_TMP/$_name.port" \
	    --key-id $KEY_ID --key K001testapplicationkey "$@" \
	    >"$T_TMP/$_name.log" 2>&1
	wait_file "$T_TMP/$_name.port" 10 || { t_fail "$_name server did not start"; exit 1; }
	B2URL="http://127.0.0.1:$(cat "$T_TMP/$_name.port")"
}

ctl() { # URL JSON
	$PY -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+"/_control", data=sys.argv[2].encode()), timeout=5).read()' "$1" "$2"
}
count() { # URL CALL
	$PY -c 'import sys,json,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]+"/_control", timeout=5))["counts"].get(sys.argv[2], 0))' "$1" "$2"
}

# One bucket per age case, each with one backup and its file list.
$PY - "$T_TMP/seed.json" <<'EOF'
import json, sys
buckets = []
for label, age in (("a2590", 25.9), ("a2600", 26.0), ("a2610", 26.1),
                   ("a4790", 47.9), ("a4800", 48.0), ("a4810", 48.1)):
    buckets.append({"name": label, "files": [
        {"name": "daily_web_%s.tar.gpg" % label, "size": 5000,
         "age_hours": age},
        {"name": "daily_web_%s.tar.gpg.list" % label, "size": 50,
         "age_hours": age}]})
buckets.append({"name": "empty", "files": [
    {"name": "unrelated.txt", "size": 3, "age_hours": 1}]})
# newest file hidden; an unfinished large file newer than everything
buckets.append({"name": "hidden", "files": [
    {"name": "daily_web_1.tar.gpg", "size": 5000, "age_hours": 30},
    {"name": "daily_web_2.tar.gpg", "size": 5000, "age_hours": 2},
    {"name": "daily_web_2.tar.gpg", "action": "hide", "age_hours": 1},
    {"name": "daily_web_3.tar.gpg", "action": "start", "age_hours": 0.5}]})
# a truncated backup: fresh but much smaller than the one before
buckets.append({"name": "shrunk", "files": [
    {"name": "daily_web_1.tar.gpg", "size": 100000, "age_hours": 25},
    {"name": "daily_web_2.tar.gpg", "size": 40000, "age_hours": 1},
    {"name": "monthly_web_1.tar.gpg", "size": 90000, "age_hours": 400}]})
# seven backups; the newest sorts last, so it is on the last page
files = [{"name": "daily_web_%d.tar.gpg" % i, "size": 1000 + i,
          "age_hours": 100 - i} for i in range(6)]
files.append({"name": "daily_web_9.tar.gpg", "size": 2000, "age_hours": 1})
buckets.append({"name": "paged", "files": files})
json.dump({"buckets": buckets}, open(sys.argv[1], "w"))
EOF

b2_start main --state "$T_TMP/seed.json"
URL=$B2URL
b2() { # BUCKET ARGS...
	_b=$1
	shift
	t_run "$OSEMON" check b2 --bucket "$_b" --prefix daily_ \
	    --key-id $KEY_ID --key-file "$T_TMP/key" --api-url "$URL" "$@"
}

# --- ages at and around 26 h and 48 h -------------------------------
b2 a2590
expect_rc 0 "25.9 h old: OK"
expect_match "$OUT" '^B2 OK: newest backup daily_web_a2590.tar.gpg is 25.9 h old, 5000 B, 1 backups \|' "25.9 h: message"
expect_near "$(perfdata_value "$OUT" age_hours)" 25.9 0.01 "25.9 h: age_hours perfdata"
expect_match "$OUT" "age_hours=[0-9.]+;26;48;0 size=5000B;;;0 count=1;;;0 size_ratio=U;50:;;0" "25.9 h: perfdata layout"
b2 a2600
expect_rc 1 "exactly 26 h old: WARNING"
b2 a2610
expect_rc 1 "26.1 h old: WARNING"
expect_match "$OUT" '^B2 WARNING: newest backup daily_web_a2610.tar.gpg is 26.1 h old' "26.1 h: message"
b2 a4790
expect_rc 1 "47.9 h old: WARNING"
b2 a4800
expect_rc 2 "exactly 48 h old: CRITICAL"
b2 a4810
expect_rc 2 "48.1 h old: CRITICAL"
expect_near "$(perfdata_value "$OUT" age_hours)" 48.1 0.01 "48.1 h: age_hours perfdata"
b2 a4810 -w 50 -c 72
expect_rc 0 "48.1 h with -w 50 -c 72: OK"
b2 a2590 --suffix ''
expect_match "$OUT" "count=2;" "--suffix '' counts the file list too"

# --- empty bucket, hidden and unfinished files ----------------------
b2 empty
expect_rc 2 "empty bucket: CRITICAL"
expect_match "$OUT" "^B2 CRITICAL: no backup in bucket empty under daily_" "empty bucket: message"
b2 hidden
expect_rc 1 "hidden newest file ignored: WARNING on the 30 h one"
expect_match "$OUT" "newest backup daily_web_1.tar.gpg is 30.0 h old" "hidden/unfinished files do not count"
expect_match "$OUT" "count=1;" "hidden: one visible backup"

# --- size drop ------------------------------------------------------
t_run "$OSEMON" check b2 --bucket shrunk --prefix daily_ --prefix monthly_ \
    --key-id $KEY_ID --key-file "$T_TMP/key" --api-url "$URL"
expect_rc 1 "newest backup 40% of the previous: WARNING"
expect_match "$OUT" "40000 B \(40% of the previous\), 3 backups" "size drop: message"
expect_eq "$(perfdata_value "$OUT" size_ratio)" "40" "size drop: size_ratio perfdata"
expect_eq "$(printf '%s\n' "$OUT" | sed -n 2,4p | awk '{print $5}' | tr '\n' ' ')" \
    "daily_web_2.tar.gpg daily_web_1.tar.gpg monthly_web_1.tar.gpg " \
    "long output lists the newest backups, newest first"
b2 shrunk --size-warning 30:
expect_rc 0 "size drop within --size-warning 30:: OK"

# --- pagination -----------------------------------------------------
b2_start paged --state "$T_TMP/seed.json" --page-cap 2
PURL=$B2URL
t_run "$OSEMON" check b2 --bucket paged --prefix daily_ --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "$PURL"
expect_rc 0 "newest on the last page: OK"
expect_match "$OUT" "newest backup daily_web_9.tar.gpg is 1.0 h old, 2000 B" "newest on the last page found"
expect_match "$OUT" "count=7;" "every page counted"
expect_eq "$(count "$PURL" b2_list_file_names)" 4 "7 names at 2 per page: 4 list calls"

# --- token expiring between calls -----------------------------------
b2_start token --state "$T_TMP/seed.json" --token-uses 1 --page-cap 3
TURL=$B2URL
t_run "$OSEMON" check b2 --bucket paged --prefix daily_ --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "$TURL"
expect_rc 0 "token expiring between calls: re-authorised, OK"
expect_match "$OUT" "count=7;" "token expiry: all pages read"
expect_eq "$(count "$TURL" b2_authorize_account)" 4 "one re-authorisation per expired call"

# --- 503 then success, 429 with Retry-After -------------------------
ctl "$URL" '{"op":"fault","call":"b2_list_file_names","status":503,"count":1,"message":"c002_v0001118_t0002 is too busy"}'
b2 a2590
expect_rc 0 "503 then success: OK"
ctl "$URL" '{"op":"fault","call":"b2_list_buckets","status":429,"retry_after":1,"count":1}'
b2 a2590
expect_rc 0 "429 Retry-After 1 then success: OK"
ctl "$URL" '{"op":"fault","call":"b2_list_file_names","status":503,"count":10}'
b2 a2590
expect_rc 3 "503 that persists: UNKNOWN"
expect_match "$OUT" "^B2 UNKNOWN: B2: b2_list_file_names: HTTP 503 service_unavailable" "persistent 503: B2's code in the message"
ctl "$URL" '{"op":"clear"}'

# --- stall past the deadline ----------------------------------------
ctl "$URL" '{"op":"stall","call":"b2_list_file_names","seconds":8,"count":1}'
start=$(date +%s)
b2 a2590 -t 2
end=$(date +%s)
expect_rc 3 "stall past -t 2: UNKNOWN"
expect_match "$OUT" "^B2 UNKNOWN: .*deadline" "stall: says the deadline passed"
expect_near $((end - start)) 2 1 "stall: answers within -t"

# --- truncated JSON -------------------------------------------------
ctl "$URL" '{"op":"truncate","call":"b2_list_file_names","count":1}'
b2 a2590
expect_rc 3 "truncated JSON: UNKNOWN"
expect_match "$OUT" "^B2 UNKNOWN: B2: b2_list_file_names: invalid JSON" "truncated JSON: message"

# --- 400 from B2 ----------------------------------------------------
b2 nosuchbucket
expect_rc 3 "unknown bucket: UNKNOWN"
expect_match "$OUT" "bucket nosuchbucket not found" "unknown bucket: message"

# --- credentials ----------------------------------------------------
printf 'K001wrongsecret\n' >"$T_TMP/badkey"
chmod 600 "$T_TMP/badkey"
t_run "$OSEMON" check b2 --bucket a2590 --key-id $KEY_ID \
    --key-file "$T_TMP/badkey" --api-url "$URL"
expect_rc 3 "wrong key: UNKNOWN"
expect_match "$OUT" "B2 refused key ID $KEY_ID and its application key \(HTTP 401 bad_auth_token\)" "wrong key: clear message"
expect_no_match "$OUT$ERR" "K001wrongsecret" "wrong key: the key is never printed"
auths=$(count "$URL" b2_authorize_account)
cp "$T_TMP/key" "$T_TMP/openkey"
chmod 644 "$T_TMP/openkey"
t_run "$OSEMON" check b2 --bucket a2590 --key-id $KEY_ID \
    --key-file "$T_TMP/openkey" --api-url "$URL"
expect_rc 3 "world-readable key file: UNKNOWN"
expect_match "$OUT" "^B2 UNKNOWN: key file refused" "world-readable key file refused"
expect_no_match "$OUT$ERR" "K001testapplicationkey" "refused key file: key not printed"
expect_eq "$(count "$URL" b2_authorize_account)" "$auths" "refused key file: B2 never asked"
t_run "$OSEMON" check b2 --bucket a2590 --key-id $KEY_ID --api-url "$URL"
expect_rc 3 "no --key-file: UNKNOWN"
t_run "$OSEMON" check b2 --bucket a2590 --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "http://127.0.0.1:$(free_port)"
expect_rc 3 "nothing listening: UNKNOWN"
expect_match "$OUT" "^B2 UNKNOWN: B2: b2_authorize_account: " "nothing listening: message"

# --- v2 layout, key restricted to one bucket ------------------------
printf '{"buckets":[{"name":"only","files":[{"name":"daily_x.tar.gpg","size":7,"age_hours":2}]}],"restricted_bucket":"only"}' >"$T_TMP/v2.json"
b2_start v2 --state "$T_TMP/v2.json" --layout v2
VURL=$B2URL
t_run "$OSEMON" check b2 --bucket only --prefix daily_ --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "$VURL"
expect_rc 0 "v2 authorize layout: OK"
expect_eq "$(count "$VURL" b2_list_buckets)" 0 "restricted key: bucket id from authorize, no b2_list_buckets"
t_run "$OSEMON" check b2 --bucket other --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "$VURL"
expect_rc 3 "restricted key, other bucket: UNKNOWN"
expect_match "$OUT" "restricted to bucket only" "restricted key: message"

# --- clock skew: B2's clock wins beyond 10 minutes ------------------
printf '{"buckets":[{"name":"skew","files":[{"name":"daily_x.tar.gpg","size":7,"age_hours":27}]}]}' >"$T_TMP/skew.json"
b2_start skew --state "$T_TMP/skew.json" --clock-offset 7200
SURL=$B2URL
t_run "$OSEMON" check b2 --bucket skew --key-id $KEY_ID \
    --key-file "$T_TMP/key" --api-url "$SURL"
expect_rc 1 "local clock 2 h behind B2: age from B2's clock, WARNING"
expect_match "$OUT" "local clock differs from B2's" "clock skew reported"

# --- munin face: options from the environment -----------------------
t_run env bucket=a2590 prefix=daily_ key_id=$KEY_ID key_file="$T_TMP/key" \
    api_url="$URL" "$OSEMON" munin b2
expect_match "$OUT" "^age_hours.value 25.9" "munin: age_hours value"
expect_match "$OUT" "^size.value 5000$" "munin: size value"
