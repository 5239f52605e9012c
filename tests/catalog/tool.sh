#!/usr/bin/env bash
# tool.sh ROSTER_CATALOG SOURCE_ROOT: the roster-catalog command.
set -uo pipefail
tool=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
# run EXPECTED_STATUS ARGS...: output in $tmp/out
run() {
	local want=$1 got
	shift
	"$tool" "$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "roster-catalog $* exited $got, not $want"
}

# The texts shipped, as they are in data/.
run 0 default
cmp -s "$tmp/out" "$root/data/catalog.xml" || fail "default differs from data/catalog.xml"
run 0 schema
cmp -s "$tmp/out" "$root/data/catalog.rng" || fail "schema differs from data/catalog.rng"

# The default catalog: loads, no finding, nothing printed.
run 0 lint "$root/data/catalog.xml"
[ -s "$tmp/out" ] && fail "lint of the default catalog printed: $(cat "$tmp/out")"
run 0 check "$root/data/catalog.xml"
[ "$(cat "$tmp/out")" = "$root/data/catalog.xml: ok" ] || fail "check printed: $(cat "$tmp/out")"

# Findings: one line each, FILE:LINE: CODE: MESSAGE.
f=$root/tests/catalog/lint/findings.xml
run 1 lint "$f"
[ "$(wc -l < "$tmp/out")" -eq 7 ] || fail "lint findings.xml: $(wc -l < "$tmp/out") lines, not 7"
grep -vqE "^$f:[0-9]+: (unreachable|dead-change|ambiguous-packs|unused): .+" "$tmp/out" &&
	fail "lint lines not of the form FILE:LINE: CODE: MESSAGE"
grep -qxF "$f:78: dead-change: the change from phone-low to desk-low can never be made: no edition that can hold phone-low lets an account order every service desk-low needs" "$tmp/out" ||
	fail "dead change not reported as expected"
run 1 --lang=fr lint "$f"
grep -qF "$f:26: unused: niveau spare : aucune licence ne l'a" "$tmp/out" || fail "French lint message"
f=$root/tests/catalog/lint/faults.xml
run 1 lint "$f"
[ "$(grep -cE "^$f:[0-9]+: (duplicate|unknown): " "$tmp/out")" -eq 10 ] ||
	fail "lint faults.xml: not 10 duplicates and unknown references"

# Files that do not load: FILE: RULE: MESSAGE naming file and line.
f=$root/tests/catalog/bad/duplicate-id.xml
run 1 check "$f"
grep -qF "$f: catalog.duplicate: " "$tmp/out" && grep -qF "duplicate-id.xml:14: " "$tmp/out" ||
	fail "check duplicate-id.xml printed: $(cat "$tmp/out")"
f=$root/tests/catalog/bad/syntax-mismatch.xml
run 1 lint "$f" "$root/data/catalog.xml"
grep -qF "$f: catalog.syntax: " "$tmp/out" || fail "lint of a malformed file printed: $(cat "$tmp/out")"
run 1 check "$tmp/missing.xml"
grep -qF "catalog.read" "$tmp/out" || fail "check of a missing file printed: $(cat "$tmp/out")"

# The command line.
run 2
run 2 lint
run 2 frobnicate x
run 2 --lang=de lint "$root/data/catalog.xml"
run 2 default extra
[ -s "$tmp/err" ] || fail "usage not printed"

[ "$failures" -eq 0 ] && echo "roster-catalog: OK"
exit $((failures > 0))
