#!/bin/sh
# Graph rendering runs off the loop: a check with a 1 s interval keeps its
# schedule while the collector draws hundreds of PNGs (200 metrics x 4
# periods, several seconds of real rrd_graph work), and SIGTERM waits for
# the rendering in progress to finish.
. "$SRC/tests/lib.sh"
need file

D="$T_TMP/g"
NM=200
TOTAL=$(((NM + 1) * 4)) # and the runs metric
mkdir -p "$D"
# One run: count it, log its time, print NM metrics and the run count.
cat >"$D/gen.sh" <<GEN
#!/bin/sh
n=\$(cat "$D/count" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$D/count"
date +%s.%N >>"$D/runs.log"
printf 'OK run %s |' \$n
i=0
while [ \$i -lt $NM ]; do printf ' m%s=%s' \$i \$((n + i)); i=\$((i + 1)); done
printf ' runs=%s\n' \$n
GEN
chmod +x "$D/gen.sh"
cat >"$D/osemon.conf" <<CONF
[global]
interval = 1
retries = 1
graph-interval = 10
status-interval = 1
state-interval = 1
rrd-dir = rrd
graph-dir = www
state-dir = state

[check many]
probe = exec
command = $D/gen.sh
CONF

# The run count the collector itself recorded (state file, metric runs).
state_runs() {
	"$PY" - "$D/state/state.json" <<'PYEOF' 2>/dev/null || echo 0
import json, sys
doc = json.load(open(sys.argv[1]))
for c in doc["checks"]:
    if c["name"] == "many":
        for m in c["result"]["metrics"]:
            if m["name"] == "runs":
                print(int(m["value"]))
PYEOF
}
pngs() { find "$D/www/many" -name '*.png' 2>/dev/null | wc -l; }

t_bg "$OSEMON" run -c "$D/osemon.conf" 2>"$D/err.log"
PID=$T_LAST_PID
# The first rendering starts about 10 s after the start.
n=0
while [ "$(pngs)" -eq 0 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
p1=$(pngs)
r1=$(state_runs)
sleep 3
r2=$(state_runs)
if [ "$p1" -gt 0 ] && [ "$p1" -lt "$TOTAL" ]; then
	t_pass "rendering seen in progress ($p1/$TOTAL PNGs)"
else
	t_fail "rendering not seen in progress ($p1/$TOTAL PNGs)"
fi
# 3 s at a 1 s interval: at least 2 more runs recorded in the state file
# (written at most once a second: state-interval = 1).
if [ "${r1:-0}" -gt 0 ] && [ $((r2 - r1)) -ge 2 ]; then
	t_pass "state file run count went on during the rendering ($r1 -> $r2 in 3 s)"
else
	t_fail "state file run count stalled during the rendering ($r1 -> $r2 in 3 s)"
fi

# SIGTERM now: the collector waits for the rendering to finish.
still=$(pngs)
term_at=$(date +%s.%N)
kill -TERM "$PID"
n=0
while kill -0 "$PID" 2>/dev/null && [ $n -lt 250 ]; do sleep 0.1; n=$((n + 1)); done
if kill -0 "$PID" 2>/dev/null; then
	t_fail "collector still running 25 s after SIGTERM"
else
	t_pass "collector exited after SIGTERM"
fi
# The wait is bounded (10 s, then stop after the current PNG): on a slow
# machine the second half may be cut short, and says so.
if [ "$(pngs)" -eq "$TOTAL" ]; then
	t_pass "every PNG drawn before the exit ($still/$TOTAL at SIGTERM)"
else
	expect_match "$(cat "$D/err.log")" 'stopping it after its current graph' "rendering cut short after the bounded wait ($(pngs)/$TOTAL)"
fi
expect_eq "$(find "$D/www" -name '*.tmp*' | wc -l)" 0 "no temp PNG left behind"
expect_match "$(file -b "$D/www/many/m0-year.png")" '^PNG image data, 497 x ' "a graph drawn by the thread is a valid PNG"
if [ "$still" -lt "$TOTAL" ]; then
	expect_match "$(cat "$D/err.log")" 'waiting for the graph rendering' "SIGTERM during a rendering: logged that it waits"
fi
expect_match "$(cat "$D/err.log")" 'stopped$' "clean stop logged"

# From the files: the rendering window (first PNG written to the last one
# or SIGTERM, when checks stop) and the runs inside it: one every second.
"$PY" - "$D/www/many" "$D/runs.log" "$term_at" >"$D/window.txt" <<'PYEOF'
import os, sys
d = sys.argv[1]
m = [os.stat(os.path.join(d, f)).st_mtime for f in os.listdir(d) if f.endswith(".png")]
lo, hi = min(m), min(max(m), float(sys.argv[3]))
runs = [float(l) for l in open(sys.argv[2]) if l.strip()]
inside = [t for t in runs if lo - 1.5 <= t <= hi]
gaps = [b - a for a, b in zip(inside, inside[1:])]
if inside:
    gaps.append(hi - inside[-1])  # a stall up to the window's end counts too
print("%.1f %d %.2f" % (hi - lo, len(inside), max(gaps) if gaps else 99))
PYEOF
read -r window inside gap <"$D/window.txt"
expect_match "$window" '^([2-9]|[1-9][0-9])\.' "checks ran during seconds of rendering (${window}s), long enough to matter"
if [ "$inside" -ge "${window%.*}" ]; then
	t_pass "$inside runs in the ${window}s rendering window"
else
	t_fail "only $inside runs in the ${window}s rendering window"
fi
expect_match "$gap" '^(0\.|1\.[0-9])' "no run late by more than 1 s during the rendering (longest gap ${gap}s, $inside runs in a ${window}s window)"
