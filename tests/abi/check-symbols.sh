#!/usr/bin/env bash
# check-symbols.sh LIBROSTER_SO ROSTER_MAP INCLUDE_DIR
#
# The exported interface is declared three times: ROSTER_API in the public
# headers, the version script, and the dynamic symbol table of the built
# library. This check fails unless the three lists are the same, every
# exported symbol starts with roster_ and every one carries a ROSTER_ version.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 LIBROSTER_SO ROSTER_MAP INCLUDE_DIR" >&2
	exit 2
fi
lib=$1 map=$2 incdir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Dynamic symbols defined by the library, minus the version nodes themselves.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sort -u > "$tmp/nm"
sed 's/@.*//' "$tmp/nm" | sort -u > "$tmp/exported"

# Symbols named in the version script (every node, global: part).
sed 's/#.*//; s,/\*.*\*/,,g' "$map" |
	grep -oE '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*;' |
	tr -d ' \t;' | sort -u > "$tmp/map"

# Functions and variables declared with ROSTER_API: comments and
# preprocessor lines are dropped, then the name before the first "(" (or
# the declarator before ";") of each ROSTER_API declaration is taken.
find "$incdir" -name '*.h' -print0 | sort -z | xargs -0 cat |
	perl -0777 -ne '
		s{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g;
		s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg;
		while (/\bROSTER_API\b([^;{]*?)(?:\(|;)/gs) {
			my $d = $1;
			$d =~ /([A-Za-z_]\w*)\s*$/ and print "$1\n";
		}' | sort -u > "$tmp/api"

status=0
fail() {
	echo "FAIL: $1" >&2
	sed 's/^/    /' "$2" >&2
	status=1
}
report() { # name file
	[ -s "$2" ] && fail "$1" "$2"
	return 0
}

grep -v '^roster_' "$tmp/exported" > "$tmp/bad-prefix" || true
report "exported symbols without the roster_ prefix" "$tmp/bad-prefix"
grep -v '@@*ROSTER_' "$tmp/nm" > "$tmp/bad-version" || true
report "exported symbols without a ROSTER_ version node" "$tmp/bad-version"
comm -23 "$tmp/exported" "$tmp/map" > "$tmp/x"
report "exported but not listed in $(basename "$map")" "$tmp/x"
comm -13 "$tmp/exported" "$tmp/map" > "$tmp/x"
report "listed in $(basename "$map") but not exported (not defined?)" "$tmp/x"
comm -23 "$tmp/exported" "$tmp/api" > "$tmp/x"
report "exported but not declared with ROSTER_API in a public header" "$tmp/x"
comm -13 "$tmp/exported" "$tmp/api" > "$tmp/x"
report "declared with ROSTER_API but not exported" "$tmp/x"

if [ ! -s "$tmp/exported" ]; then
	echo "FAIL: $lib exports no symbol" >&2
	status=1
fi
echo "$(wc -l < "$tmp/exported") exported symbols," \
	"$(wc -l < "$tmp/map") in the version script," \
	"$(wc -l < "$tmp/api") ROSTER_API declarations"
[ $status -eq 0 ] && echo "symbols: OK"
exit $status
