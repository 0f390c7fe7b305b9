#!/bin/sh
# Reliability: kill -9 of the collector at random moments of a 1 s run,
# 50 times, while a check flips between OK and CRITICAL and its alerts go
# to tests/lib/smtpd.py.  After every kill the state file, status --json,
# alerts.json and every spool file still parse.  At the end the mails for
# the check alternate PROBLEM / RECOVERY (none lost, none sent twice) except
# for an exact re-send of one Message-ID (the documented crash window
# between the server's acceptance and the spool delete), and the last mail
# matches the final state.
. "$SRC/tests/lib.sh"
. "$SRC/tests/lib/smtpd.sh"
cd "$T_TMP" || exit 1

KILLS=${REL_KILLS:-50}
PORT=$(free_port)
MAIL="$T_TMP/mail"
echo 0 >flip
cat >flip.sh <<EOF
#!/bin/sh
case \$(cat "$T_TMP/flip") in
0) echo "FLIP OK - fine | v=1;2;3;0"; exit 0 ;;
*) echo "FLIP CRITICAL - broken | v=5;2;3;0"; exit 2 ;;
esac
EOF
chmod 755 flip.sh
cat >osemon.conf <<EOF
[global]
interval = 1
retries = 1
retry-interval = 1
status-interval = 1
graph-interval = 3600
flap-detection = no
rrd-dir = data/rrd
graph-dir = data/www
state-dir = data/state
hostname = k9
group-window = 0
renotify = 0
max-per-hour = 0
[smtp]
server = 127.0.0.1:$PORT
starttls = off
from = osemon@k9.example
to = ops@example.com
timeout = 5
retry-min = 1
retry-max = 1
[check flip]
probe = exec
command = $T_TMP/flip.sh
[check load]
probe = load
EOF
smtpd_start "$PORT" "$MAIL" --no-tls || { t_fail "smtpd did not start"; exit 0; }

# One python pass over everything the collector leaves on disk.
cat >verify.py <<'EOF'
import email, glob, json, os, sys
state = sys.argv[1]
bad = []
try:
    doc = json.load(open(os.path.join(state, "state.json")))
    assert isinstance(doc["checks"], list)
except FileNotFoundError:
    pass
except Exception as e:
    bad.append("state.json: %s" % e)
try:
    json.load(open(os.path.join(state, "alerts.json")))
except FileNotFoundError:
    pass
except Exception as e:
    bad.append("alerts.json: %s" % e)
try:
    json.loads(open(sys.argv[2]).read())
except Exception as e:
    bad.append("status --json: %s" % e)
for f in glob.glob(os.path.join(state, "spool", "*.eml")):
    raw = open(f, "rb").read()
    if b"\r\n\r\n" not in raw:
        bad.append("%s: no header/body split" % f)
        continue
    m = email.message_from_bytes(raw)
    if not m["Subject"] or not m["To"] or not m["Message-ID"]:
        bad.append("%s: header missing" % f)
    if not raw.endswith(b"\r\n"):
        bad.append("%s: truncated" % f)
for f in glob.glob(os.path.join(state, "spool", "*.meta")):
    for line in open(f, encoding="utf-8", errors="replace"):
        key = line.split(" ", 1)[0].strip()
        if key not in ("attempts", "next-try", "error", "rcpt"):
            bad.append("%s: odd line %r" % (f, line))
print("; ".join(bad) if bad else "ok")
EOF

# random sleep 0.05 .. 0.65 s
rsleep() { sleep "$(awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", 0.05 + rand() * 0.6 }')"; }

i=1
broken=0
first_bad=""
flips=0
while [ $i -le "$KILLS" ]; do
	"$OSEMON" run -c osemon.conf >/dev/null 2>>daemon.err &
	pid=$!
	rsleep "$$$i"
	# flip the check every 4th round, while the collector runs
	if [ $((i % 4)) -eq 0 ]; then
		if [ "$(cat flip)" = 0 ]; then echo 2 >flip; else echo 0 >flip; fi
		flips=$((flips + 1))
		rsleep "$i$$"
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$OSEMON" status -c osemon.conf --json >status.out 2>status.err ||
	    echo "status rc $?" >status.out
	v=$($PY verify.py data/state status.out)
	if [ "$v" != ok ]; then
		broken=$((broken + 1))
		[ -n "$first_bad" ] || first_bad="round $i: $v"
		cp status.out "bad-status.$i"
		cp status.err "bad-status-err.$i"
	fi
	i=$((i + 1))
done
expect_eq "$broken" 0 "$KILLS kill -9: state file, status --json, alerts.json and spool always parse${first_bad:+ ($first_bad)}"
tmps=$(ls -a data/state data/state/spool data/www 2>/dev/null | grep -c '\.tmp\|~$\|\.XXXX')
echo "# rel_kill9: $flips flips, $(smtpd_count "$MAIL") mails during the kills, $tmps temp files left"

# Settle: run until the last flip is seen and the spool is empty.
"$OSEMON" run -c osemon.conf >/dev/null 2>>daemon.err &
pid=$!
n=0
while [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
	[ $n -gt 30 ] && [ -z "$(ls data/state/spool 2>/dev/null | grep '\.eml$')" ] && break
done
kill "$pid"
wait "$pid" 2>/dev/null
expect_eq "$(ls data/state/spool 2>/dev/null | grep -c '\.eml$')" 0 "spool drained after the last restart"

$PY - "$MAIL" "$(cat flip)" >mails.txt <<'EOF'
import email, glob, sys
seen, seq, dup = set(), [], 0
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(f, "rb").read())
    if "/flip " not in m["Subject"]:
        continue
    mid = m["Message-ID"]
    if mid in seen:
        dup += 1
        continue
    seen.add(mid)
    seq.append("PROBLEM" if "PROBLEM" in m["Subject"] else
               "RECOVERY" if "RECOVERY" in m["Subject"] else "OTHER")
bad = sum(1 for a, b in zip(seq, seq[1:]) if a == b)
if seq and seq[0] != "PROBLEM":
    bad += 1
final = "PROBLEM" if sys.argv[2] != "0" else "RECOVERY"
last_ok = (not seq and sys.argv[2] == "0") or (seq and seq[-1] == final)
print(len(seq), dup, bad, "yes" if last_ok else "no", " ".join(seq))
EOF
read -r nmails dups badseq lastok seq <mails.txt
echo "# rel_kill9: mails for flip: $seq (exact re-sends: $dups)"
expect_eq "$badseq" 0 "mails alternate PROBLEM/RECOVERY: none lost, none doubled"
expect_eq "$lastok" yes "the last mail matches the final state"
expect_near "$dups" 0 2 "exact re-sends (crash window after acceptance) at most 2"
expect_near "$nmails" $(( (flips + 2) / 2 )) $(( (flips + 2) / 2 )) "at most one mail per flip ($nmails mails, $flips flips)"
