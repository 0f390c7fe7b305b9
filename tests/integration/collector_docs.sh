#!/bin/sh
# docs/config.md embeds the key tables that `osemon config keys` prints
# from the parser's own option tables: the page must match the code.
. "$SRC/tests/lib.sh"

t_run "$OSEMON" config keys
expect_rc 0 "config keys exits 0"
expect_match "$OUT" '^\| `retry-interval` \| integer 1\.\.86400 \| `60` \|' "config keys prints the [global] table"
printf '%s\n' "$OUT" >"$T_TMP/keys.md"
sed -n '/^<!-- keys:begin -->$/,/^<!-- keys:end -->$/p' "$SRC/docs/config.md" |
    sed '1d;$d' >"$T_TMP/doc.md"
if cmp -s "$T_TMP/keys.md" "$T_TMP/doc.md"; then
	t_pass "docs/config.md key tables match the option tables"
else
	t_fail "docs/config.md key tables differ from 'osemon config keys': $(diff "$T_TMP/doc.md" "$T_TMP/keys.md" | head -c 600)"
fi

# The annotated OSE config in contrib/ is valid as shipped.
t_run "$OSEMON" config check -c "$SRC/contrib/osemon.conf"
expect_rc 0 "contrib/osemon.conf passes config check"
expect_match "$OUT" "osemon.conf: OK, [0-9]+ checks" "contrib/osemon.conf: counts its checks"
printf '[smtp]\nserver = a:25\nstarttls = maybe-later\ncolour = red\n[check d]\nprobe = disk\n' >"$T_TMP/smtp.conf"
t_run "$OSEMON" config check -c "$T_TMP/smtp.conf"
expect_rc 1 "config check validates [smtp] through the alerts' table"
expect_match "$ERR" "smtp.conf:4: unknown key 'colour' in \[smtp\]" "[smtp] unknown key named with file:line"
