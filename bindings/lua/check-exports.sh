#!/bin/sh
# check-exports.sh NM MODULE: the Lua module exports luaopen_roster only.
set -eu
nm=$1 module=$2
exports=$("$nm" -D --defined-only "$module" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }')
if [ "$exports" != "luaopen_roster" ]; then
	echo "unexpected exports of $module:" >&2
	echo "$exports" >&2
	exit 1
fi
echo "exports: $exports"
