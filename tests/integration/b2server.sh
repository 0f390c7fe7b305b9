#!/bin/sh
# The local B2 server itself follows Backblaze's documented rules, so the
# client tests mean something: token classes, Content-Length, SHA1 forms,
# part rules, one upload per token, listing semantics.
. "$SRC/tests/lib.sh"

t_bg $PY "$SRC/tests/lib/b2server.py" --port-file "$T_TMP/port" \
    --min-part-size 1000 --part-size 4000 >"$T_TMP/log" 2>&1
wait_file "$T_TMP/port" 10 || { t_fail "server did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$T_TMP/port")"

# One line per check: "NAME<TAB>ok" or "NAME<TAB>detail".
$PY - "$URL" >"$T_TMP/checks" 2>&1 <<'EOF'
import base64, hashlib, http.client, json, sys, urllib.parse
base = sys.argv[1]
host = urllib.parse.urlsplit(base)

def req(method, url, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.putrequest(method, u.path + ("?" + u.query if u.query else ""))
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    if body is not None and "Transfer-Encoding" not in (headers or {}):
        c.putheader("Content-Length", str(len(body)))
    c.endheaders()
    if body is not None:
        if (headers or {}).get("Transfer-Encoding") == "chunked":
            c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            c.send(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return r.status, j, r

def check(name, cond, detail=""):
    print("%s\t%s" % (name, "ok" if cond else "FAILED " + str(detail)))

basic = base64.b64encode(b"0012testkeyid:K001testapplicationkey").decode()
st, auth, _ = req("GET", base + "/b2api/v3/b2_authorize_account",
                  headers={"Authorization": "Basic " + basic})
tok = auth["authorizationToken"]
api = auth["apiInfo"]["storageApi"]["apiUrl"]
check("authorize v3 layout", st == 200 and
      auth["apiInfo"]["storageApi"]["absoluteMinimumPartSize"] == 1000)

def call(name, body, token=None):
    return req("POST", api + "/b2api/v3/" + name,
               json.dumps(body).encode(),
               {"Authorization": token or tok})

st, j, _ = call("b2_list_buckets", {"accountId": auth["accountId"],
                                    "bucketName": "backups"})
bid = j["buckets"][0]["bucketId"]
st, j, r = call("b2_list_file_names", {"bucketId": bid, "prefix": None,
                                       "startFileName": None})
check("null fields are absent", st == 200 and j["nextFileName"] is None)
check("JSON content type", r.getheader("Content-Type") ==
      "application/json;charset=UTF-8")
st, j, _ = call("b2_list_file_names", {"bucketId": "nope"})
check("unknown bucket: 400 bad_bucket_id", st == 400 and
      j["code"] == "bad_bucket_id" and j["status"] == 400, j)
st, j, _ = call("b2_list_file_names", {"bucketId": bid}, "junk")
check("bad token: 401 bad_auth_token", st == 401 and
      j["code"] == "bad_auth_token", j)

st, up, _ = call("b2_get_upload_url", {"bucketId": bid})
utok, uurl = up["authorizationToken"], up["uploadUrl"]
check("upload token differs from account token", utok != tok)
st, j, _ = call("b2_list_file_names", {"bucketId": bid}, utok)
check("upload token on the API: 401", st == 401, j)

data = b"hello b2"
sha = hashlib.sha1(data).hexdigest()
hdr = {"Authorization": tok, "X-Bz-File-Name": "a.txt",
       "Content-Type": "b2/x-auto", "X-Bz-Content-Sha1": sha}
st, j, _ = req("POST", uurl, data, hdr)
check("account token on an upload URL: 401", st == 401, j)
hdr["Authorization"] = utok
hdr["X-Bz-Content-Sha1"] = "0" * 40
st, j, _ = req("POST", uurl, data, hdr)
check("SHA1 mismatch: 400", st == 400 and "Sha1 did not match" in
      j["message"], j)
hdr["X-Bz-Content-Sha1"] = sha
st, j, _ = req("POST", uurl, data, dict(hdr, **{"Transfer-Encoding":
                                                "chunked"}))
check("no Content-Length: 400", st == 400, j)
st, j, _ = req("POST", uurl, data + sha.encode(),
               dict(hdr, **{"X-Bz-Content-Sha1": "hex_digits_at_end",
                            "X-Bz-File-Name": "dir/r%C3%A9sum%C3%A9+1.txt"}))
check("hex_digits_at_end and a percent-encoded name",
      st == 200 and j["fileName"] == "dir/r\u00e9sum\u00e9 1.txt" and
      j["contentLength"] == len(data), j)
st, j, _ = req("POST", uurl, data, hdr)
check("serial reuse of an upload URL", st == 200, j)

# hide, then list semantics
call("b2_hide_file", {"bucketId": bid, "fileName": "a.txt"})
st, j, _ = call("b2_hide_file", {"bucketId": bid, "fileName": "a.txt"})
check("hiding twice: already_hidden", st == 400 and
      j["code"] == "already_hidden", j)
st, j, _ = call("b2_list_file_names", {"bucketId": bid})
names = [f["fileName"] for f in j["files"]]
check("hidden name not in list_file_names", "a.txt" not in names, names)
st, j, _ = call("b2_list_file_versions", {"bucketId": bid,
                                          "prefix": "a.txt"})
acts = [f["action"] for f in j["files"]]
check("versions newest first with the hide marker",
      acts == ["hide", "upload"], acts)
st, j, _ = call("b2_list_file_versions", {"bucketId": bid,
                                          "maxFileCount": 1})
check("versions page carries nextFileName/nextFileId",
      j["nextFileName"] is not None and j["nextFileId"] is not None, j)
st, j, _ = call("b2_list_file_names", {"bucketId": bid,
                                       "startFileName": "dir/r\u00e9sum\u00e9 1.txt"})
check("startFileName is inclusive", j["files"] and
      j["files"][0]["fileName"] == "dir/r\u00e9sum\u00e9 1.txt", j)
st, j, _ = call("b2_list_file_names", {"bucketId": bid,
                                       "maxFileCount": 10001})
check("maxFileCount above 10000: 400", st == 400, j)

# large files
st, lf, _ = call("b2_start_large_file", {"bucketId": bid, "fileName": "big",
                                         "contentType": "b2/x-auto"})
fid = lf["fileId"]
check("start_large_file answers action start", lf["action"] == "start", lf)
st, pu, _ = call("b2_get_upload_part_url", {"fileId": fid})
p1, p2 = b"x" * 999, b"y" * 10
def part(n, d, token=None):
    return req("POST", pu["uploadUrl"], d,
               {"Authorization": token or pu["authorizationToken"],
                "X-Bz-Part-Number": str(n),
                "X-Bz-Content-Sha1": hashlib.sha1(d).hexdigest()})
st, j, _ = part(1, p1, utok)
check("a file upload token on a part URL: 401", st == 401, j)
part(1, p1)
st, j, _ = call("b2_finish_large_file", {"fileId": fid, "partSha1Array":
                                         [hashlib.sha1(p1).hexdigest()]})
check("one part: at least 2 parts", st == 400 and
      "at least 2 parts" in j["message"], j)
part(2, p2)
sums = [hashlib.sha1(p1).hexdigest(), hashlib.sha1(p2).hexdigest()]
st, j, _ = call("b2_finish_large_file", {"fileId": fid,
                                         "partSha1Array": sums + [sums[0]]})
check("missing part 3: missing_part", st == 400 and
      j["code"] == "missing_part", j)
st, j, _ = call("b2_finish_large_file", {"fileId": fid,
                                         "partSha1Array": sums[::-1]})
check("wrong partSha1Array: part_sha1_mismatch", st == 400 and
      j["code"] == "part_sha1_mismatch", j)
st, j, _ = call("b2_finish_large_file", {"fileId": fid,
                                         "partSha1Array": sums})
check("first part below absoluteMinimumPartSize: 400", st == 400 and
      "minimum part size" in j["message"], j)
part(1, b"x" * 1000)
sums[0] = hashlib.sha1(b"x" * 1000).hexdigest()
st, j, _ = call("b2_finish_large_file", {"fileId": fid,
                                         "partSha1Array": sums})
check("finish: action upload, contentSha1 none, total length",
      st == 200 and j["action"] == "upload" and j["contentSha1"] == "none"
      and j["contentLength"] == 1010, j)
st, j, _ = call("b2_cancel_large_file", {"fileId": "bad-id"})
check("cancel a bad fileId: 400", st == 400 and
      "Invalid fileId" in j["message"], j)

st, j, r = req("GET", api + "/file/backups/big", None,
               {"Authorization": tok})
check("download by name with headers", r.status == 200 and
      r.getheader("X-Bz-Content-Sha1") == "none" and
      r.getheader("X-Bz-File-Id") == fid)
st, j, _ = req("GET", api + "/file/backups/a.txt", None,
               {"Authorization": tok})
check("download of a hidden name: 404 not_found", st == 404 and
      j["code"] == "not_found", j)
st, j, _ = call("b2_list_file_names", {"bucketId": bid},)
st, j, _ = req("POST", api + "/b2api/v3/b2_list_file_names",
               json.dumps({"bucketId": bid}).encode(),
               {"Authorization": tok,
                "X-Bz-Test-Mode": "force_cap_exceeded"})
check("X-Bz-Test-Mode force_cap_exceeded: 403", st == 403 and
      j["code"] == "cap_exceeded", j)
EOF
if [ ! -s "$T_TMP/checks" ]; then
	t_fail "server checks produced nothing"
fi
while IFS='	' read -r name result; do
	if [ "$result" = ok ]; then
		t_pass "$name"
	else
		t_fail "$name: $result"
	fi
done <"$T_TMP/checks"
grep -q Traceback "$T_TMP/checks" && t_fail "server check script crashed: $(tail -n 3 "$T_TMP/checks")"
exit 0
