#!/usr/bin/env bash
# check-abi.sh ABI_DIR LIBROSTER_SO INCLUDE_DIR
# check-abi.sh --update ABI_DIR LIBROSTER_SO INCLUDE_DIR
#
# Compares the freshly built library and headers with the baselines kept in
# ABI_DIR (the repository's abi/):
#
# - libroster.abi: the ABI as libabigail's abidw sees it, restricted to the
#   types of the public headers. LIBROSTER_SO is read the same way (it
#   needs its debug information: a debug or debugoptimized build) and
#   abidiff compares the two. Opaque handles (declared but not defined in
#   the headers) are compared by name only: their layout is private.
# - enums.txt: the value of every enumerator of the public headers
#   (error codes, event types, fields, kinds, languages), which abidiff
#   does not see when no function signature names the enum.
#
# Verdict: no change, or only additions (new functions, variables,
# enumerators): pass, the additions are reported. Anything else fails: a
# removed or changed function or variable, a changed public type (an
# option struct, roster_actor), a removed symbol, an enumerator removed or
# renumbered. A deliberate change is recorded by regenerating the
# baselines with scripts/abi-baseline (this script with --update).
set -euo pipefail

update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
if [ $# -ne 3 ]; then
	echo "usage: $0 [--update] ABI_DIR LIBROSTER_SO INCLUDE_DIR" >&2
	exit 2
fi
abidir=$1 lib=$2 incdir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

headers() {
	find "$incdir" -name '*.h' -print0 | sort -z | xargs -0 cat |
		perl -0777 -pe 's{/\*.*?\*/}{ }gs'
}

# "NAME VALUE" for every enumerator, as the compiler evaluates it.
headers | perl -0777 -ne '
	while (/\benum\b[^{;]*\{(.*?)\}/gs) {
		my $body = $1;
		print "$_\n" for $body =~ /(?:^|,)\s*([A-Za-z_]\w*)/g;
	}' > "$tmp/enum-names"
{
	echo '#include <stdio.h>'
	echo '#include <roster.h>'
	echo 'int main(void) {'
	sed 's/.*/printf("%s %lld\\n", "&", (long long)(&));/' "$tmp/enum-names"
	echo 'return 0; }'
} > "$tmp/enums.c"
${CC:-cc} -std=c99 -I "$incdir" -o "$tmp/enums" "$tmp/enums.c"
"$tmp/enums" | sort > "$tmp/enums.txt"

# The ABI of the library as an ABI XML file: no paths or source lines (so
# the baseline changes only with the ABI), no libc symbols, and no types
# but those of the public headers. Both sides of the comparison are read
# this same way.
abixml() {
	abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
		--drop-undefined-syms --drop-private-types \
		--headers-dir "$incdir" --out-file "$2" "$1"
	grep -q "<function-decl name='roster_" "$2" || {
		echo "FAIL: no roster_ function in the debug information of $1" \
			"(a build without -g?)" >&2
		exit 1
	}
}
abixml "$lib" "$tmp/new.abi"

if [ $update -eq 1 ]; then
	mkdir -p "$abidir"
	mv "$tmp/new.abi" "$abidir/libroster.abi"
	cp "$tmp/enums.txt" "$abidir/enums.txt"
	echo "wrote $abidir/libroster.abi ($(grep -c '<elf-symbol ' "$abidir/libroster.abi") symbols)"
	echo "wrote $abidir/enums.txt ($(wc -l < "$abidir/enums.txt") enumerators)"
	exit 0
fi

status=0

# Enumerators: every baseline line must still hold.
comm -23 <(sort "$abidir/enums.txt") "$tmp/enums.txt" > "$tmp/enums-lost"
if [ -s "$tmp/enums-lost" ]; then
	echo "FAIL: enumerators removed or renumbered (baseline value shown):" >&2
	sed 's/^/    /' "$tmp/enums-lost" >&2
	status=1
fi
added=$(comm -13 <(sort "$abidir/enums.txt") "$tmp/enums.txt" | wc -l)
echo "enums: $(wc -l < "$tmp/enums.txt") enumerators, $added added since the baseline"

# Opaque types of the public headers: `typedef struct x x;` with no
# `struct x {` anywhere in the headers.
opaque=$(headers | perl -0777 -ne '
	my %def; $def{$1} = 1 while /\bstruct\s+(\w+)\s*\{/g;
	my %seen;
	while (/\btypedef\s+struct\s+(\w+)\s+\w+\s*;/g) {
		print "$1\n" unless $def{$1} or $seen{$1}++;
	}' | paste -sd'|')
cat > "$tmp/opaque.suppr" <<SUPPR
[suppress_type]
  type_kind = struct
  name_regexp = ^($opaque)\$
SUPPR

set +e
abidiff --suppressions "$tmp/opaque.suppr" \
	"$abidir/libroster.abi" "$tmp/new.abi" > "$tmp/report" 2>&1
rc=$?
set -e

if [ $((rc & 3)) -ne 0 ]; then
	cat "$tmp/report" >&2
	echo "FAIL: abidiff could not compare (exit status $rc)" >&2
	exit 1
elif [ $rc -eq 0 ]; then
	echo "abidiff: no change against the baseline"
else
	cat "$tmp/report"
	if [ $((rc & 8)) -ne 0 ]; then
		echo "FAIL: abidiff: incompatible ABI change" >&2
		status=1
	elif grep 'summary:' "$tmp/report" |
		grep -qE '\b[1-9][0-9]* (Removed|Changed)'; then
		echo "FAIL: abidiff: ABI change other than additions" >&2
		status=1
	else
		echo "abidiff: compatible additions only (not yet in the baseline)"
	fi
fi

if [ $status -ne 0 ]; then
	echo "If the change is deliberate, run scripts/abi-baseline and" \
		"record it in CHANGELOG.md." >&2
fi
exit $status
