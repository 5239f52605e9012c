#!/usr/bin/env bash
# check-install.sh BUILD_DIR
#
# Installs the build into BUILD_DIR/abi-install (meson install --destdir),
# checks what was installed, then builds tests/abi/consumer.c against the
# installed tree using nothing but `pkg-config roster`: once against the
# shared library (run with LD_LIBRARY_PATH into the tree) and once against
# libroster.a with `pkg-config --static` (which needs the private
# dependencies listed in roster.pc). Both must print the version the .pc
# announces.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
dest=$build/abi-install
cc=${CC:-cc}
cflags=(-std=c99 -pedantic -Wall -Wextra -Werror)
status=0
fail() {
	echo "FAIL: $*" >&2
	status=1
}

rm -rf "$dest"
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet

pc=$(find "$dest" -name roster.pc -path '*/pkgconfig/*')
if [ -z "$pc" ]; then
	echo "FAIL: no roster.pc installed" >&2
	exit 1
fi
# The .pc names paths without the destdir: the sysroot puts it back.
export PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
libdir=$dest$(pkg-config --variable=libdir roster)
incdir=$dest$(pkg-config --variable=includedir roster)
version=$(pkg-config --modversion roster)
export PKG_CONFIG_SYSROOT_DIR=$dest

# Every public header is installed, and only those.
diff <(cd "$src/include" && find . -name '*.h' | sort) \
	<(cd "$incdir" && find . -name '*.h' | sort) > /dev/null ||
	fail "installed headers differ from include/"
for f in libroster.so libroster.so.0 libroster.a; do
	[ -e "$libdir/$f" ] || fail "$f not installed in $libdir"
done
soname=$(readelf -d "$libdir/libroster.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libroster.so.0 ] || fail "SONAME is '$soname', not libroster.so.0"

expected="roster $version (headers $version), partner created"
check_run() { # label binary [env...]
	local label=$1 bin=$2 out
	shift 2
	if ! out=$(env "$@" "$bin"); then
		fail "$label consumer exited non-zero"
	elif [ "$out" != "$expected" ]; then
		fail "$label consumer printed '$out', expected '$expected'"
	else
		echo "$label consumer: $out"
	fi
}

# Shared: the flags come from pkg-config only.
read -ra flags <<< "$(pkg-config --cflags --libs roster)"
if "$cc" "${cflags[@]}" "$here/consumer.c" -o "$dest/consumer" "${flags[@]}"; then
	where=$(LD_LIBRARY_PATH=$libdir ldd "$dest/consumer" | awk '$1 ~ /^libroster/ { print $3 }')
	[ "$where" = "$libdir/libroster.so.0" ] ||
		fail "consumer resolves libroster to '$where', not the installed one"
	check_run shared "$dest/consumer" LD_LIBRARY_PATH="$libdir"
else
	fail "consumer does not build with: pkg-config --cflags --libs roster"
fi

# Static: the same, with -lroster pinned to the archive so that every
# symbol libroster.a needs must come from the libraries the .pc lists.
read -ra flags <<< "$(pkg-config --static --cflags --libs roster)"
flags=("${flags[@]/#-lroster/-l:libroster.a}")
if "$cc" "${cflags[@]}" "$here/consumer.c" -o "$dest/consumer-static" "${flags[@]}"; then
	if readelf -d "$dest/consumer-static" | grep -q 'NEEDED.*libroster'; then
		fail "static consumer still needs libroster.so"
	fi
	check_run static "$dest/consumer-static"
else
	fail "consumer does not build with: pkg-config --static --cflags --libs roster"
fi

[ $status -eq 0 ] && echo "install: OK ($version, $(pkg-config --static --libs-only-l roster | xargs))"
exit $status
