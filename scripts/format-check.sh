#!/bin/sh
# Fail when a C file differs from .clang-format (KNF-like).
cd "$(dirname "$0")/.." || exit 2
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src probes collector alerts backup tests -name '*.[ch]' 2>/dev/null)
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
