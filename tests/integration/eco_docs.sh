#!/bin/sh
# The commands in the ecosystem docs work: every line of every ```sh block
# of docs/quickstart.md, migrating.md, ose-example.md, troubleshooting.md
# and nagios-icinga.md runs in a temporary folder (contrib/ and probes/ of
# the source beside it, `osemon` on the PATH); a line ending in
# "# exit N" must exit N, other `osemon check` lines must give a plugin
# result (exit 0-3 and a status line), the rest exit 0.
# ```ini blocks starting with "# file: NAME" are written to NAME first.
. "$SRC/tests/lib.sh"

W="$T_TMP/work"
mkdir -p "$W/bin"
ln -s "$OSEMON" "$W/bin/osemon"
ln -s "$SRC/contrib" "$W/contrib"
ln -s "$SRC/probes" "$W/probes"
tab=$(printf '\t')

for page in quickstart migrating ose-example troubleshooting nagios-icinga; do
	doc="$SRC/docs/$page.md"
	if [ ! -f "$doc" ]; then
		t_fail "docs/$page.md is missing"
		continue
	fi
	"$PY" "$SRC/tests/lib/doc_blocks.py" "$doc" >"$T_TMP/blocks"
	n=$(grep -c "^cmd$tab" "$T_TMP/blocks")
	if [ "$n" -gt 0 ]; then
		t_pass "docs/$page.md: $n commands to run"
	else
		t_pass "docs/$page.md: examples only"
	fi
	while IFS="$tab" read -r kind line a b; do
		if [ "$kind" = file ]; then
			printf '%s' "$b" | base64 -d >"$W/$a"
			continue
		fi
		(cd "$W" && PATH="$W/bin:$PATH" timeout 60 sh -c "$a") \
		    >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
		RC=$?
		OUT=$(cat "$T_TMP/out")
		ERR=$(cat "$T_TMP/err")
		# lib.sh prints descriptions with echo: no backslashes in them
		desc="docs/$page.md:$line: $(printf '%s' "$a" | tr '\\' '/')"
		case "$a" in
		*"# exit "[0-9])
			expect_rc "${a##*# exit }" "$desc" ;;
		"osemon check "*)
			case "$RC" in
			0|1|2|3) expect_match "$(printf '%s\n' "$OUT" | head -n 1)" \
			    '^[A-Z0-9]+ (OK|WARNING|CRITICAL|UNKNOWN)|^osemon [0-9.]+ \(check ' \
			    "$desc" ;;
			*) t_fail "$desc: exit $RC: $ERR" ;;
			esac ;;
		*)
			expect_rc 0 "$desc" ;;
		esac
	done <"$T_TMP/blocks"
done
