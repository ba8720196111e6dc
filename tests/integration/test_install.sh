#!/usr/bin/env bash
# tests/integration/test_install.sh: `cmake --install` puts the headers, both libraries, the
# command and cairn.pc under a prefix, and a program using only <cairn/cairn.h> builds with
# pkg-config against the static and the shared library and runs.
# Env: CAIRN_BUILD (the build dir), CAIRN_CFLAGS (extra flags the build used, e.g. sanitizers).
set -u
build=${CAIRN_BUILD:?}; extra=${CAIRN_CFLAGS:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { local name=$1; shift; if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $name"; fi; }
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/cairn include/cairn/cairn.h include/cairn/table.h lib/libcairn.a lib/libcairn.so lib/pkgconfig/cairn.pc; do
  check "installed $f" test -e "$tmp/prefix/$f"
done
cat > "$tmp/use.c" <<'C'
#include <cairn/cairn.h>
#include <stdio.h>
int main(void)
{
    cairn_table *t;
    cairn_column *c;
    if (cairn_table_create(&t) || cairn_table_add_column(t, "x", CAIRN_TYPE_INT64, false, &c)) return 1;
    for (int i = 0; i < 3; i++) cairn_column_append_int64(c, i);
    printf("%s %lld\n", cairn_version(), (long long)cairn_table_num_rows(t));
    cairn_table_free(t);
    return 0;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046,SC2086
gcc $extra "$tmp/use.c" -o "$tmp/use_shared" $(pkg-config --cflags --libs cairn)
check "builds against the shared library" test -x "$tmp/use_shared"
check "runs against the shared library" test "$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/use_shared" | cut -d' ' -f2)" = 3
# shellcheck disable=SC2046,SC2086
gcc $extra "$tmp/use.c" -o "$tmp/use_static" -I"$tmp/prefix/include" "$tmp/prefix/lib/libcairn.a" \
    $(pkg-config --libs-only-l --static cairn | sed 's/-lcairn//') -lstdc++
check "builds against the static library" test -x "$tmp/use_static"
check "runs with the static library" test "$("$tmp/use_static" | cut -d' ' -f2)" = 3
"$tmp/prefix/bin/cairn" version >/dev/null; check "installed cairn runs" test $? = 0
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
