#!/usr/bin/env bash
# check-headers.sh INCLUDE_DIR [CC [CXX]]
#
# Every public header must compile on its own, first in a translation unit
# that includes only it, as strict C99 and as strict C++11, and twice in a
# row (include guards). The option-struct _INIT macros must be usable from
# both languages. CC defaults to gcc, CXX to g++.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: $0 INCLUDE_DIR [CC [CXX]]" >&2
	exit 2
fi
incdir=$1 cc=${2:-gcc} cxx=${3:-g++}
cflags=(-std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only)
cxxflags=(-std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

headers=$(cd "$incdir" && find . -name '*.h' | sed 's,^\./,,' | sort)
if [ -z "$headers" ]; then
	echo "FAIL: no header under $incdir" >&2
	exit 1
fi
if ! command -v "$cxx" > /dev/null; then
	echo "FAIL: C++ compiler '$cxx' not found" >&2
	exit 1
fi

checked=0 failed=0
compile() { # label compiler flags... -- source
	local label=$1
	shift
	if "$@" -I "$incdir" 2> "$tmp/err"; then
		checked=$((checked + 1))
	else
		echo "FAIL: $label" >&2
		sed 's/^/    /' "$tmp/err" >&2
		failed=$((failed + 1))
	fi
}

for h in $headers; do
	printf '#include <%s>\n#include <%s>\n' "$h" "$h" > "$tmp/tu.c"
	cp "$tmp/tu.c" "$tmp/tu.cpp"
	compile "$h as C99" "$cc" "${cflags[@]}" "$tmp/tu.c"
	compile "$h as C++11" "$cxx" "${cxxflags[@]}" "$tmp/tu.cpp"
done

# The initialiser macros, as C99 and C++11.
cat > "$tmp/init.c" <<'SRC'
#include <roster.h>
int main(void)
{
	roster_directory_options o = ROSTER_DIRECTORY_OPTIONS_INIT;
	roster_password_policy p = ROSTER_PASSWORD_POLICY_INIT;
	roster_actor a = { ROSTER_ACTOR_SYSTEM, 0, 0 };
	return (int)(o.version + p.version + a.kind) - 3;
}
SRC
cp "$tmp/init.c" "$tmp/init.cpp"
compile "_INIT macros as C99" "$cc" "${cflags[@]}" "$tmp/init.c"
compile "_INIT macros as C++11" "$cxx" "${cxxflags[@]}" "$tmp/init.cpp"

echo "headers: $checked compilations passed, $failed failed ($cc, $cxx)"
[ "$failed" -eq 0 ]
