#!/usr/bin/env bash
# Every rule of src/i18n.c is documented in docs/errors.md, and every
# error code of the headers too (regenerate with scripts/errors-doc).
set -euo pipefail
root=${1:-$(dirname "$0")/../..}
doc=$root/docs/errors.md
status=0
# The rules are read as scripts/errors-doc reads them, wherever an entry
# starts on its line.
rules=$(python3 "$root/scripts/errors-doc" --list)
[ -n "$rules" ] || { echo "no rule found in src/i18n.c"; exit 1; }
for r in $rules; do
	grep -qF "| \`$r\` |" "$doc" || { echo "rule $r is not in docs/errors.md"; status=1; }
done
for c in $(grep -oE 'ROSTER_E[A-Z]+ = -[0-9]+' "$root/include/roster/common.h" | cut -d' ' -f1); do
	grep -qF "\`$c\`" "$doc" || { echo "code $c is not in docs/errors.md"; status=1; }
done
n=$(echo "$rules" | wc -w)
[ $status -eq 0 ] && echo "docs/errors.md lists all $n rules and every code"
exit $status
