#!/usr/bin/python3
"""A local Backblaze B2 native-API server for osemon's tests (stdlib only).

Follows https://www.backblaze.com/apidocs and the research notes in
/work/shared/research/b2-backup.md section 1: separate account and upload
tokens with expiry, JSON null treated as absent, pagination caps, hidden
files, unfinished large files, Content-Length and SHA1 checks, the 2-part
rule for large files, one upload at a time per upload token, and injected
faults (401/429/500/503, stalls, truncated JSON, closed connections).

Usage:
  b2server.py --port-file F [--port N] [--state seed.json] [--key-id ID]
      [--key KEY] [--layout v3|v2] [--token-ttl S] [--token-uses N]
      [--page-cap N] [--min-part-size B] [--part-size B] [--clock-offset S]
      [--fault JSON]...

Seed file (all optional):
  {"buckets": [{"name": "backups", "id": "b1",
                "files": [{"name": "daily_x.tar.gpg", "size": 100,
                           "age_hours": 3.5,        # or "uploadTimestamp": ms
                           "action": "upload",      # upload | hide | start
                           "content": "text"}]}],   # or "content_b64"
   "restricted_bucket": "backups"}

Control endpoint (tests only; no auth):
  POST /_control  {"op": "fault", "call": "b2_list_file_names", "status": 503,
                   "code": "service_unavailable", "message": "...",
                   "count": 1, "retry_after": 1}
                  {"op": "stall", "call": "...", "seconds": 5, "count": 1}
                  {"op": "truncate", "call": "...", "count": 1}
                  {"op": "close", "call": "...", "count": 1}
                  {"op": "expire_tokens"}
                  {"op": "clear"}     (drop every pending fault)
                  {"op": "seed", "bucket": "backups", "files": [...]}
  GET  /_control  state: files (without data) and per-call counters.
A fault's "call" is the API call name (b2_upload_part, b2_upload_file,
b2_authorize_account, download, ...) or "*".
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
           b"-._~!$'()*;=:@/")


def b2_decode(s):
    """Decode a percent-encoded B2 name: '+' is a space."""
    return urllib.parse.unquote_plus(s, encoding="utf-8", errors="strict")


class B2Error(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class Version:
    __slots__ = ("file_id", "name", "action", "length", "sha1", "ctype",
                 "info", "ts", "data", "parts", "bucket_id", "order")
    counter = 0

    def __init__(self):
        # Creation order breaks ties between equal uploadTimestamps.
        Version.counter += 1
        self.order = Version.counter

    def newness(self):
        return (self.ts, self.order)

    def as_json(self, account_id):
        return {
            "accountId": account_id,
            "action": self.action,
            "bucketId": self.bucket_id,
            "contentLength": self.length,
            "contentMd5": None,
            "contentSha1": self.sha1,
            "contentType": self.ctype,
            "fileId": self.file_id,
            "fileInfo": self.info,
            "fileName": self.name,
            "fileRetention": {"isClientAuthorizedToRead": True,
                              "value": {"mode": None,
                                        "retainUntilTimestamp": None}},
            "legalHold": {"isClientAuthorizedToRead": True, "value": None},
            "serverSideEncryption": {"algorithm": None, "mode": None},
            "uploadTimestamp": self.ts,
        }


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.account_id = "6012deadbeef"
        self.buckets = {}          # id -> {"name", "versions": [Version]}
        self.account_tokens = {}   # token -> [expiry, uses_left]
        self.upload_tokens = {}    # token -> {"kind","target","expiry","busy"}
        self.faults = []           # dicts with "count"
        self.counts = {}
        self.restricted = None
        self.seq = 0
        self.add_bucket("backups", "4a48fe8875c6214145260818")
        for f in args.fault or []:
            self.faults.append(json.loads(f))

    def now_ms(self):
        return int((time.time() + self.args.clock_offset) * 1000)

    def new_id(self, prefix):
        self.seq += 1
        return "%s_%s_%06d" % (prefix, secrets.token_hex(6), self.seq)

    def add_bucket(self, name, bid):
        for b in self.buckets.values():
            if b["name"] == name:
                return b
        self.buckets[bid] = {"name": name, "id": bid, "versions": []}
        return self.buckets[bid]

    def bucket_by_name(self, name):
        for b in self.buckets.values():
            if b["name"] == name:
                return b
        return None

    def seed(self, bucket_name, files):
        b = self.bucket_by_name(bucket_name)
        if b is None:
            b = self.add_bucket(bucket_name, "b_" + secrets.token_hex(8))
        for f in files:
            v = Version()
            v.bucket_id = b["id"]
            v.file_id = self.new_id("4_z" + b["id"])
            v.name = f["name"]
            v.action = f.get("action", "upload")
            content = f.get("content")
            if content is not None:
                v.data = content.encode()
            elif f.get("content_b64") is not None:
                v.data = base64.b64decode(f["content_b64"])
            else:
                v.data = None
            v.length = f.get("size", len(v.data) if v.data else 0)
            if v.action == "hide":
                v.length = 0
                v.sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
                v.ctype = "application/x-bz-hide-marker"
            elif v.action == "start":
                v.length = 0
                v.sha1 = "none"
                v.ctype = "application/octet-stream"
            else:
                v.sha1 = (hashlib.sha1(v.data).hexdigest() if v.data
                          is not None else f.get("sha1", "none"))
                v.ctype = "application/octet-stream"
            v.info = {}
            v.parts = {}
            if "uploadTimestamp" in f:
                v.ts = int(f["uploadTimestamp"])
            else:
                v.ts = self.now_ms() - int(float(f.get("age_hours", 0))
                                           * 3600 * 1000)
            b["versions"].append(v)

    def load(self, path):
        with open(path) as fh:
            seed = json.load(fh)
        for b in seed.get("buckets", []):
            bucket = self.add_bucket(b["name"], b.get("id") or
                                     "b_" + secrets.token_hex(8))
            self.seed(bucket["name"], b.get("files", []))
        self.restricted = seed.get("restricted_bucket")

    # Fault injection: the first matching fault with count left fires.
    def take_fault(self, call, kinds):
        with self.lock:
            for f in self.faults:
                if f.get("call", "*") not in (call, "*"):
                    continue
                if f.get("op", "fault") not in kinds:
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                if f.get("count", 1) <= 0:
                    continue
                f["count"] = f.get("count", 1) - 1
                return dict(f)
        return None


def sort_key(name):
    return name.encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits
    # for the client's delayed ACK, 40 ms per answer, which B2 does not do.
    disable_nagle_algorithm = True
    server_version = "b2fake/1.0"

    def log_message(self, fmt, *args):
        if self.server.state.args.verbose:
            sys.stderr.write("b2server: " + (fmt % args) + "\n")

    def date_time_string(self, timestamp=None):
        # The Date header follows the server's (possibly skewed) clock.
        return formatdate(time.time() + self.server.state.args.clock_offset,
                          usegmt=True)

    # ---- plumbing ---------------------------------------------------
    def send_json(self, status, obj, extra=None, truncate=False):
        body = json.dumps(obj).encode()
        if truncate:
            body = body[: max(1, len(body) // 2)]
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Cache-Control", "max-age=0, no-cache, no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, e):
        # The request body may be unread: never reuse this connection.
        self.close_connection = True
        self.send_json(e.status, {"code": e.code, "message": e.message,
                                  "status": e.status}, e.headers)

    def read_body(self, limit=None):
        n = self.headers.get("Content-Length")
        if n is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
            raise B2Error(400, "bad_request",
                          "Content-Length header is required")
        try:
            n = int(n)
        except ValueError:
            raise B2Error(400, "bad_request", "bad Content-Length")
        if limit is not None and n > limit:
            raise B2Error(400, "bad_request", "request too large")
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                raise ConnectionError("short body")
            data += chunk
        return data

    def params(self, parsed):
        """JSON body for POST, query for GET; null means absent."""
        if self.command == "POST":
            raw = self.read_body(limit=1 << 20)
            if not raw.strip():
                obj = {}
            else:
                try:
                    obj = json.loads(raw)
                except ValueError:
                    raise B2Error(400, "bad_json", "invalid JSON")
            if not isinstance(obj, dict):
                raise B2Error(400, "bad_json", "body must be an object")
        else:
            obj = {k: v[0] for k, v in
                   urllib.parse.parse_qs(parsed.query).items()}
        return {k: v for k, v in obj.items() if v is not None}

    def account_auth(self):
        st = self.server.state
        tok = self.headers.get("Authorization")
        if not tok:
            raise B2Error(401, "bad_auth_token", "missing Authorization")
        with st.lock:
            ent = st.account_tokens.get(tok)
            if ent is None:
                raise B2Error(401, "bad_auth_token",
                              "Invalid authorization token")
            if time.time() >= ent[0] or ent[1] == 0:
                raise B2Error(401, "expired_auth_token",
                              "Authorization token has expired")
            if ent[1] > 0:
                ent[1] -= 1
        if self.headers.get("X-Bz-Test-Mode") == \
                "expire_some_account_authorization_tokens":
            with st.lock:
                ent[1] = 0

    def upload_auth(self, kind, target):
        st = self.server.state
        tok = self.headers.get("Authorization")
        with st.lock:
            ent = st.upload_tokens.get(tok or "")
            if ent is None or ent["kind"] != kind or ent["target"] != target:
                raise B2Error(401, "bad_auth_token",
                              "Invalid authorization token")
            if time.time() >= ent["expiry"]:
                raise B2Error(401, "expired_auth_token",
                              "Authorization token has expired")
            if ent["busy"]:
                raise B2Error(400, "bad_request",
                              "more than one upload using auth token %s"
                              % tok[:12])
            ent["busy"] = True
        return ent

    def api_base(self):
        return "http://%s:%d" % self.server.server_address[:2]

    # ---- dispatch ---------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        st = self.server.state
        parsed = urllib.parse.urlsplit(self.path)
        parts = parsed.path.split("/")
        call = None
        if parsed.path.startswith("/_control"):
            return self.control()
        if len(parts) >= 4 and parts[1] == "b2api" and \
                parts[2] in ("v1", "v2", "v3", "v4"):
            call = parts[3]
        elif len(parts) >= 3 and parts[1] == "file":
            call = "download"
        if call is None:
            return self.send_error_json(B2Error(404, "not_found",
                                                "no such call"))
        with st.lock:
            st.counts[call] = st.counts.get(call, 0) + 1
        fault = st.take_fault(call, ("stall",))
        if fault:
            time.sleep(float(fault.get("seconds", 5)))
        fault = st.take_fault(call, ("close",))
        if fault:
            # A broken connection: drop it without an answer.
            self.close_connection = True
            try:
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(min(n, 16))
            except OSError:
                pass
            return
        fault = st.take_fault(call, ("fault",))
        if fault:
            status = int(fault.get("status", 503))
            default_codes = {401: "expired_auth_token", 403: "cap_exceeded",
                             408: "request_timeout", 429: "too_many_requests",
                             500: "internal_error",
                             503: "service_unavailable"}
            hdr = {}
            if "retry_after" in fault:
                hdr["Retry-After"] = str(fault["retry_after"])
            # Drain the body so the connection stays usable.
            try:
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
            except (OSError, ValueError):
                self.close_connection = True
            return self.send_error_json(B2Error(
                status, fault.get("code", default_codes.get(status, "error")),
                fault.get("message", "injected fault"), hdr))
        if self.headers.get("X-Bz-Test-Mode") == "force_cap_exceeded":
            return self.send_error_json(B2Error(403, "cap_exceeded",
                                                "Cap exceeded."))
        # (a download truncates its body itself)
        truncate = call != "download" and \
            st.take_fault(call, ("truncate",)) is not None
        try:
            status, obj, extra = self.handle_call(call, parts, parsed)
            if obj is None:
                return          # already answered (download)
            self.send_json(status, obj, extra, truncate=truncate)
        except B2Error as e:
            self.send_error_json(e)
        except ConnectionError:
            self.close_connection = True

    def handle_call(self, call, parts, parsed):
        st = self.server.state
        if call == "b2_authorize_account":
            return self.authorize(parsed)
        if call == "download":
            return self.download(parts)
        if call == "b2_upload_file":
            return self.upload_file(parts)
        if call == "b2_upload_part":
            return self.upload_part(parts)
        self.account_auth()
        p = self.params(parsed)
        fn = getattr(self, "call_" + call[3:], None) \
            if call.startswith("b2_") else None
        if fn is None:
            raise B2Error(400, "bad_request", "unknown call " + call)
        with st.lock:
            return fn(p)

    # ---- calls ------------------------------------------------------
    def authorize(self, parsed):
        st = self.server.state
        a = st.args
        auth = self.headers.get("Authorization", "")
        if self.command == "POST":
            try:
                self.read_body(limit=1 << 16)
            except B2Error:
                pass
        ok = False
        if auth.startswith("Basic "):
            try:
                kid, _, key = base64.b64decode(auth[6:]).decode() \
                    .partition(":")
                ok = (kid == a.key_id and key == a.key)
            except ValueError:
                ok = False
        if not ok:
            raise B2Error(401, "bad_auth_token", "",
                          {"WWW-Authenticate":
                           'BASIC realm="authorize_account"'})
        tok = "4_" + secrets.token_urlsafe(24) + "="
        with st.lock:
            st.account_tokens[tok] = [time.time() + a.token_ttl,
                                      a.token_uses]
        bucket_id = bucket_name = None
        if st.restricted:
            b = st.bucket_by_name(st.restricted)
            bucket_id, bucket_name = b["id"], b["name"]
        caps = ["listBuckets", "listFiles", "readFiles", "writeFiles",
                "deleteFiles", "shareFiles"]
        base = self.api_base()
        if a.layout == "v2":
            return 200, {
                "absoluteMinimumPartSize": a.min_part_size,
                "accountId": st.account_id,
                "allowed": {"bucketId": bucket_id, "bucketName": bucket_name,
                            "capabilities": caps, "namePrefix": None},
                "apiUrl": base, "authorizationToken": tok,
                "downloadUrl": base, "recommendedPartSize": a.part_size,
                "s3ApiUrl": base,
            }, None
        return 200, {
            "accountId": st.account_id,
            "authorizationToken": tok,
            "applicationKeyExpirationTimestamp": None,
            "apiInfo": {
                "groupsApi": {"capabilities": ["all"],
                              "groupsApiUrl": base, "infoType": "groupsApi"},
                "storageApi": {
                    "infoType": "storageApi", "apiUrl": base,
                    "downloadUrl": base, "s3ApiUrl": base,
                    "recommendedPartSize": a.part_size,
                    "absoluteMinimumPartSize": a.min_part_size,
                    "bucketId": bucket_id, "bucketName": bucket_name,
                    "namePrefix": None, "capabilities": caps}},
        }, None

    def bucket(self, p):
        bid = p.get("bucketId")
        if not isinstance(bid, str) or not bid:
            raise B2Error(400, "bad_request", "bucketId is required")
        b = self.server.state.buckets.get(bid)
        if b is None:
            raise B2Error(400, "bad_bucket_id",
                          "Bucket %s does not exist" % bid)
        return b

    def call_list_buckets(self, p):
        st = self.server.state
        if p.get("accountId") != st.account_id:
            raise B2Error(400, "bad_request", "accountId is wrong")
        out = []
        for b in st.buckets.values():
            if p.get("bucketName") and p["bucketName"] != b["name"]:
                continue
            if p.get("bucketId") and p["bucketId"] != b["id"]:
                continue
            out.append({"accountId": st.account_id, "bucketId": b["id"],
                        "bucketInfo": {}, "bucketName": b["name"],
                        "bucketType": "allPrivate", "corsRules": [],
                        "lifecycleRules": [], "options": ["s3"],
                        "revision": 2})
        if st.restricted and p.get("bucketName") not in (None, st.restricted):
            raise B2Error(401, "unauthorized",
                          "The key is restricted to bucket " + st.restricted)
        return 200, {"buckets": out}, None

    def count_param(self, p):
        try:
            n = int(p.get("maxFileCount", 100))
        except (TypeError, ValueError):
            raise B2Error(400, "bad_request", "maxFileCount must be a number")
        if n < 1 or n > 10000:
            raise B2Error(400, "bad_request",
                          "maxFileCount out of range: %d" % n)
        return min(n, self.server.state.args.page_cap)

    def call_list_file_names(self, p):
        st = self.server.state
        b = self.bucket(p)
        n = self.count_param(p)
        prefix = p.get("prefix", "")
        start = p.get("startFileName", "")
        latest = {}
        for v in b["versions"]:
            if v.action not in ("upload", "hide"):
                continue
            cur = latest.get(v.name)
            if cur is None or v.newness() > cur.newness():
                latest[v.name] = v
        names = sorted((k for k, v in latest.items()
                        if v.action == "upload" and k.startswith(prefix)
                        and sort_key(k) >= sort_key(start)), key=sort_key)
        page = names[:n]
        nxt = names[n] if len(names) > n else None
        return 200, {"files": [latest[k].as_json(st.account_id)
                               for k in page],
                     "nextFileName": nxt}, None

    def call_list_file_versions(self, p):
        st = self.server.state
        b = self.bucket(p)
        n = self.count_param(p)
        prefix = p.get("prefix", "")
        start = p.get("startFileName", "")
        start_id = p.get("startFileId")
        if start_id and not start:
            raise B2Error(400, "bad_request",
                          "startFileId requires startFileName")
        vs = sorted((v for v in b["versions"]
                     if v.name.startswith(prefix)
                     and sort_key(v.name) >= sort_key(start)),
                    key=lambda v: (sort_key(v.name), -v.ts, -v.order))
        if start_id:
            for i, v in enumerate(vs):
                if v.file_id == start_id:
                    vs = vs[i:]
                    break
        page = vs[:n]
        nxt = vs[n] if len(vs) > n else None
        return 200, {"files": [v.as_json(st.account_id) for v in page],
                     "nextFileName": nxt.name if nxt else None,
                     "nextFileId": nxt.file_id if nxt else None}, None

    def call_list_unfinished_large_files(self, p):
        st = self.server.state
        b = self.bucket(p)
        return 200, {"files": [v.as_json(st.account_id)
                               for v in b["versions"] if v.action == "start"],
                     "nextFileId": None}, None

    def new_upload_token(self, kind, target):
        st = self.server.state
        tok = "4_upl" + secrets.token_urlsafe(18)
        st.upload_tokens[tok] = {"kind": kind, "target": target,
                                 "expiry": time.time() + st.args.token_ttl,
                                 "busy": False}
        return tok

    def call_get_upload_url(self, p):
        b = self.bucket(p)
        tok = self.new_upload_token("file", b["id"])
        st = self.server.state
        st.seq += 1
        return 200, {"authorizationToken": tok, "bucketId": b["id"],
                     "uploadUrl": "%s/b2api/v3/b2_upload_file/%s/c002_%04d"
                     % (self.api_base(), b["id"], st.seq)}, None

    def find_version(self, file_id):
        for b in self.server.state.buckets.values():
            for v in b["versions"]:
                if v.file_id == file_id:
                    return b, v
        return None, None

    def call_start_large_file(self, p):
        st = self.server.state
        b = self.bucket(p)
        name = p.get("fileName")
        if not isinstance(name, str) or not name:
            raise B2Error(400, "bad_request", "fileName is required")
        if not isinstance(p.get("contentType"), str):
            raise B2Error(400, "bad_request", "contentType is required")
        v = Version()
        v.bucket_id = b["id"]
        v.file_id = st.new_id("4_z" + b["id"])
        v.name = name
        v.action = "start"
        v.length = 0
        v.sha1 = "none"
        v.ctype = p["contentType"]
        v.info = p.get("fileInfo") or {}
        v.ts = st.now_ms()
        v.data = None
        v.parts = {}
        b["versions"].append(v)
        return 200, v.as_json(st.account_id), None

    def call_get_upload_part_url(self, p):
        _, v = self.find_version(p.get("fileId"))
        if v is None or v.action != "start":
            raise B2Error(400, "bad_request",
                          "Invalid fileId: %s" % p.get("fileId"))
        tok = self.new_upload_token("part", v.file_id)
        st = self.server.state
        st.seq += 1
        return 200, {"authorizationToken": tok, "fileId": v.file_id,
                     "uploadUrl": "%s/b2api/v3/b2_upload_part/%s/%04d"
                     % (self.api_base(), v.file_id, st.seq)}, None

    def call_finish_large_file(self, p):
        st = self.server.state
        _, v = self.find_version(p.get("fileId"))
        if v is None or v.action != "start":
            raise B2Error(400, "bad_request",
                          "Invalid fileId: %s" % p.get("fileId"))
        arr = p.get("partSha1Array")
        if not isinstance(arr, list):
            raise B2Error(400, "bad_request", "partSha1Array is required")
        if len(arr) < 2:
            raise B2Error(400, "bad_request",
                          "large files must have at least 2 parts")
        for i in range(1, len(arr) + 1):
            if i not in v.parts:
                raise B2Error(400, "missing_part",
                              "Part number %d has not been uploaded" % i)
        if len(v.parts) != len(arr):
            raise B2Error(400, "bad_request", "extra parts uploaded")
        for i, sha in enumerate(arr, 1):
            if v.parts[i][1] != sha:
                raise B2Error(400, "part_sha1_mismatch",
                              "Part number %d has wrong SHA1" % i)
            if i < len(arr) and len(v.parts[i][0]) < st.args.min_part_size:
                raise B2Error(400, "bad_request",
                              "Part number %d is smaller than the minimum "
                              "part size" % i)
        v.data = b"".join(v.parts[i][0] for i in range(1, len(arr) + 1))
        v.length = len(v.data)
        v.parts = {}
        v.action = "upload"
        return 200, v.as_json(st.account_id), None

    def call_cancel_large_file(self, p):
        st = self.server.state
        b, v = self.find_version(p.get("fileId"))
        if v is None or v.action != "start":
            raise B2Error(400, "bad_request",
                          "Invalid fileId: %s" % p.get("fileId"))
        b["versions"].remove(v)
        return 200, {"accountId": st.account_id, "bucketId": b["id"],
                     "fileId": v.file_id, "fileName": v.name}, None

    def call_delete_file_version(self, p):
        b, v = self.find_version(p.get("fileId"))
        if v is None or v.name != p.get("fileName"):
            raise B2Error(400, "file_not_present",
                          "File not present: %s %s"
                          % (p.get("fileName"), p.get("fileId")))
        b["versions"].remove(v)
        return 200, {"fileId": v.file_id, "fileName": v.name}, None

    def call_hide_file(self, p):
        st = self.server.state
        b = self.bucket(p)
        name = p.get("fileName")
        vs = [v for v in b["versions"] if v.name == name
              and v.action in ("upload", "hide")]
        if not vs:
            raise B2Error(400, "no_such_file", "File not present: %s" % name)
        if max(vs, key=Version.newness).action == "hide":
            raise B2Error(400, "already_hidden",
                          "File already hidden: %s" % name)
        st.seed(b["name"], [{"name": name, "action": "hide",
                             "age_hours": 0}])
        return 200, b["versions"][-1].as_json(st.account_id), None

    # ---- uploads ----------------------------------------------------
    def check_sha1(self, data):
        want = self.headers.get("X-Bz-Content-Sha1")
        if want is None:
            raise B2Error(400, "bad_request",
                          "X-Bz-Content-Sha1 header is required")
        if want == "hex_digits_at_end":
            if len(data) < 40:
                raise B2Error(400, "bad_request", "body too short for SHA1")
            want, data = data[-40:].decode("ascii", "replace"), data[:-40]
        elif want.startswith("do_not_verify"):
            return data, "unverified:" + hashlib.sha1(data).hexdigest()
        got = hashlib.sha1(data).hexdigest()
        if want.lower() != got:
            raise B2Error(400, "bad_request",
                          "Sha1 did not match data received")
        return data, got

    def receive(self, ent):
        try:
            data = self.read_body()
            fault = self.server.state.take_fault(
                "upload_stall_after_body", ("stall",))
            if fault:
                time.sleep(float(fault.get("seconds", 5)))
            return data
        finally:
            with self.server.state.lock:
                ent["busy"] = False

    def upload_file(self, parts):
        st = self.server.state
        if len(parts) < 5:
            raise B2Error(404, "not_found", "bad upload URL")
        bid = parts[4]
        ent = self.upload_auth("file", bid)
        data = self.receive(ent)
        if self.headers.get("X-Bz-Test-Mode") == "fail_some_uploads":
            with st.lock:
                st.seq += 1
                if st.seq % 2:
                    raise B2Error(503, "service_unavailable", "too busy")
        raw = self.headers.get("X-Bz-File-Name")
        if not raw:
            raise B2Error(400, "bad_request",
                          "X-Bz-File-Name header is required")
        try:
            name = b2_decode(raw)
        except UnicodeDecodeError:
            raise B2Error(400, "bad_request", "file name is not UTF-8")
        if len(name.encode()) > 1024 or any(ord(c) < 0x20 or ord(c) == 0x7f
                                            for c in name):
            raise B2Error(400, "bad_request", "bad file name")
        if not self.headers.get("Content-Type"):
            raise B2Error(400, "bad_request", "Content-Type is required")
        data, sha = self.check_sha1(data)
        with st.lock:
            v = Version()
            v.bucket_id = bid
            v.file_id = st.new_id("4_z" + bid)
            v.name = name
            v.action = "upload"
            v.length = len(data)
            v.sha1 = sha
            v.ctype = self.headers.get("Content-Type")
            v.info = {}
            for k, val in self.headers.items():
                if k.lower().startswith("x-bz-info-"):
                    v.info[k[10:].lower()] = b2_decode(val)
            v.ts = st.now_ms()
            v.data = data
            v.parts = {}
            st.buckets[bid]["versions"].append(v)
            return 200, v.as_json(st.account_id), None

    def upload_part(self, parts):
        st = self.server.state
        if len(parts) < 5:
            raise B2Error(404, "not_found", "bad upload URL")
        fid = parts[4]
        ent = self.upload_auth("part", fid)
        data = self.receive(ent)
        try:
            n = int(self.headers.get("X-Bz-Part-Number", ""))
        except ValueError:
            raise B2Error(400, "bad_request", "X-Bz-Part-Number is required")
        if n < 1 or n > 10000:
            raise B2Error(400, "bad_request", "part number out of range")
        data, sha = self.check_sha1(data)
        if len(data) < 1:
            raise B2Error(400, "bad_request", "empty part")
        with st.lock:
            _, v = self.find_version(fid)
            if v is None or v.action != "start":
                raise B2Error(400, "bad_request", "Invalid fileId: " + fid)
            v.parts[n] = (data, sha)
            return 200, {"fileId": fid, "partNumber": n,
                         "contentLength": len(data), "contentSha1": sha,
                         "contentMd5": None,
                         "uploadTimestamp": st.now_ms()}, None

    def download(self, parts):
        st = self.server.state
        self.account_auth()
        bucket_name = b2_decode(parts[2])
        name = b2_decode("/".join(parts[3:]))
        with st.lock:
            b = st.bucket_by_name(bucket_name)
            vs = [v for v in (b["versions"] if b else [])
                  if v.name == name and v.action in ("upload", "hide")]
            v = max(vs, key=Version.newness) if vs else None
            if v is None or v.action == "hide":
                raise B2Error(404, "not_found",
                              "File with such name does not exist.")
            data = v.data if v.data is not None else b"\0" * v.length
        truncate = st.take_fault("download", ("truncate",)) is not None
        self.send_response(200)
        self.send_header("Content-Type", v.ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Bz-File-Id", v.file_id)
        self.send_header("X-Bz-File-Name",
                         urllib.parse.quote(v.name, safe=""))
        self.send_header("X-Bz-Content-Sha1", v.sha1)
        self.send_header("X-Bz-Upload-Timestamp", str(v.ts))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
        else:
            self.wfile.write(data)
        return None, None, None

    # ---- control ----------------------------------------------------
    def control(self):
        st = self.server.state
        if self.command == "GET":
            with st.lock:
                out = {"counts": st.counts, "buckets": {}}
                for b in st.buckets.values():
                    out["buckets"][b["name"]] = [
                        {"fileName": v.name, "fileId": v.file_id,
                         "action": v.action, "contentLength": v.length,
                         "contentSha1": v.sha1, "uploadTimestamp": v.ts,
                         "parts": sorted(v.parts)}
                        for v in b["versions"]]
            return self.send_json(200, out)
        try:
            op = json.loads(self.read_body(limit=1 << 24) or b"{}")
        except (ValueError, B2Error):
            return self.send_json(400, {"error": "bad control request"})
        kind = op.get("op")
        if kind in ("fault", "stall", "truncate", "close"):
            with st.lock:
                st.faults.append(op)
        elif kind == "expire_tokens":
            with st.lock:
                for ent in st.account_tokens.values():
                    ent[0] = 0
                for ent in st.upload_tokens.values():
                    ent["expiry"] = 0
        elif kind == "seed":
            with st.lock:
                st.seed(op.get("bucket", "backups"), op.get("files", []))
        elif kind == "clear":
            with st.lock:
                st.faults = []
        elif kind == "reset_counts":
            with st.lock:
                st.counts = {}
        else:
            return self.send_json(400, {"error": "unknown op"})
        return self.send_json(200, {"ok": True})


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (stall tests) is expected; stay quiet.
        if self.state.args.verbose:
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--state")
    ap.add_argument("--key-id", default="0012testkeyid")
    ap.add_argument("--key", default="K001testapplicationkey")
    ap.add_argument("--layout", choices=("v2", "v3"), default="v3")
    ap.add_argument("--token-ttl", type=float, default=86400)
    ap.add_argument("--token-uses", type=int, default=-1,
                    help="API calls an account token serves (-1: no limit)")
    ap.add_argument("--page-cap", type=int, default=10000)
    ap.add_argument("--min-part-size", type=int, default=5000000)
    ap.add_argument("--part-size", type=int, default=100000000)
    ap.add_argument("--clock-offset", type=float, default=0)
    ap.add_argument("--fault", action="append")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    state = State(args)
    if args.state:
        state.load(args.state)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = state
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
