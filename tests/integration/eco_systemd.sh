#!/bin/sh
# contrib/systemd/osemon.service: `systemd-analyze verify` accepts it (with
# the binary path pointed at this build), its offline security exposure is
# "OK" or better, and its command lines are commands osemon knows.
. "$SRC/tests/lib.sh"
need systemd-analyze

U="$SRC/contrib/systemd/osemon.service"
mkdir -p "$T_TMP/units"
sed "s|/usr/bin/osemon|$OSEMON|g; s|/etc/osemon/osemon.conf|$SRC/contrib/osemon.conf|g" "$U" >"$T_TMP/units/osemon.service"

t_run systemd-analyze verify --man=no "$T_TMP/units/osemon.service"
expect_rc 0 "systemd-analyze verify passes"
expect_eq "$OUT$ERR" "" "systemd-analyze verify: no complaints"

t_run systemd-analyze security --offline=yes "$T_TMP/units/osemon.service"
expect_rc 0 "systemd-analyze security --offline runs"
level=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for osemon.service: \([0-9.]*\) .*/\1/p')
expect_match "$level" '^[0-9]+\.[0-9]+$' "an exposure level is reported"
expect_near "${level:-99}" 0 2.5 "exposure level at most 2.5 (\"OK\")"

expect_match "$(cat "$U")" '^Restart=on-failure$' "Restart=on-failure"
expect_match "$(cat "$U")" '^Type=simple$' "foreground service (Type=simple)"
expect_match "$(cat "$U")" '^ExecStart=/usr/bin/osemon run -c /etc/osemon/osemon.conf$' "ExecStart runs the collector in the foreground"
expect_match "$(cat "$U")" '^ExecReload=/bin/kill -HUP \$MAINPID$' "reload is SIGHUP"

# The ExecStartPre line is a command osemon runs (on the OSE example).
pre=$(sed -n 's/^ExecStartPre=//p' "$T_TMP/units/osemon.service")
t_run sh -c "$pre"
expect_rc 0 "ExecStartPre (config check) passes on contrib/osemon.conf"

# The drop-in for running the backup job inside the collector (as root).
mkdir -p "$T_TMP/units/osemon.service.d"
cp "$SRC/contrib/systemd/backup-root.conf" "$T_TMP/units/osemon.service.d/"
t_run systemd-analyze verify --man=no "$T_TMP/units/osemon.service"
expect_rc 0 "systemd-analyze verify passes with the backup-root drop-in"
expect_eq "$OUT$ERR" "" "backup-root drop-in: no complaints"
t_run systemd-analyze security --offline=yes "$T_TMP/units/osemon.service"
level=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for osemon.service: \([0-9.]*\) .*/\1/p')
expect_match "$OUT" 'User=/DynamicUser= +Service runs as root user' "the drop-in is read (the service runs as root)"
expect_near "${level:-99}" 0 4.0 "as root, exposure level still at most 4.0 (${level:-none})"
