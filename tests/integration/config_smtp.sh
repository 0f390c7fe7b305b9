# `osemon config check` reports [smtp] mistakes the alerts module would
# otherwise only log at start (no recipient, no server, bad starttls).
. "$SRC/tests/lib.sh"

cd "$T_TMP" || exit 1
printf '[smtp]\nserver = 127.0.0.1:25\nfrom = a@example.org\n[check l]\nprobe = load\n' >no-to.conf
t_run "$OSEMON" config check -c no-to.conf
expect_rc 1 "[smtp] without 'to' is an error"
expect_match "$OUT$ERR" "no-to.conf:1: \[smtp\] needs at least one 'to = ADDRESS'" "names file, line and cause"

printf '[smtp]\nto = ops@example.org\nstarttls = maybe\n[check l]\nprobe = load\n' >two.conf
t_run "$OSEMON" config check -c two.conf
expect_rc 1 "no server and a bad starttls are errors"
expect_match "$OUT$ERR" "needs at least one 'server = HOST:PORT'" "missing server reported"
expect_match "$OUT$ERR" "starttls: 'maybe' is not required, optional or off" "bad starttls reported"
expect_match "$OUT$ERR" "two.conf: 2 errors" "every error reported before exit"

printf '[smtp]\nserver = 127.0.0.1:25\nto = ops@example.org\n[check l]\nprobe = load\n' >good.conf
t_run "$OSEMON" config check -c good.conf
expect_rc 0 "a complete [smtp] section passes"

# A TLS opt-out is said out loud when the collector starts.
PORT=$(free_port)
printf '[global]\nstate-dir = st\nrrd-dir = rrd\ngraph-dir = www\n[smtp]\nserver = 127.0.0.1:%s\nto = ops@example.org\nstarttls = off\ntimeout = 2\n[check l]\nprobe = load\n' "$PORT" >off.conf
t_run "$OSEMON" run --once -c off.conf
expect_match "$ERR" "starttls = off: mail may travel without TLS" "starttls = off is logged at start"
sed 's/^starttls = off$/starttls = required/' off.conf >req.conf
t_run "$OSEMON" run --once -c req.conf
expect_no_match "$ERR" "without TLS" "the default (required) logs no opt-out"
