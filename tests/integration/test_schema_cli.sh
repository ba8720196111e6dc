#!/usr/bin/env bash
# tests/integration/test_schema_cli.sh: `cairn schema` end to end: register the flights example
# (twice: the second is a no-op), refuse an incompatible variant naming its fields (exit 1,
# registry unchanged), check, list, show --json, mode, and a located YAML error.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
schema="$top/examples/flights/schema.yaml"

run "$cairn" init;                              check "init" test "$rc" = 0
run "$cairn" schema register "$schema";         check "register exits 0" test "$rc" = 0
has "$out" "flights version 1" && ok || bad "register output: $out"
has "$err" "registered 'flights' version 1" && ok || bad "register summary: $err"
run "$cairn" --json schema register "$schema";  check "re-register exits 0" test "$rc" = 0
has "$out" '"created": false' && ok || bad "re-register is a no-op: $out"

cat > "$tmp/bad.yaml" <<'YAML'
dataset: flights
fields:
  - {name: date, type: timestamp, nullable: false}
  - {name: delay, type: string}
  - {name: distance, type: float64, nullable: false}
  - {name: origin, type: string, nullable: false}
  - {name: destination, type: string, nullable: false}
  - {name: gate, type: string}
YAML
run "$cairn" schema register "$tmp/bad.yaml";   check "incompatible register exits 1" test "$rc" = 1
has "$err" "not BACKWARD compatible with version 1" && ok || bad "conflict message: $err"
has "$err" "field 'gate' added without a default" && ok || bad "conflict names gate: $err"
has "$err" "field 'delay' changed int64 -> string" && ok || bad "conflict names delay: $err"
run "$cairn" schema check "$tmp/bad.yaml";      check "incompatible check exits 1" test "$rc" = 1
has "$err" "field 'gate'" && ok || bad "check lists gate: $err"
run "$cairn" schema check "$schema";            check "compatible check exits 0" test "$rc" = 0
run "$cairn" schema register "$tmp/bad.yaml" --subject other; check "other subject exits 0" test "$rc" = 0

run "$cairn" schema list;                       check "list exits 0" test "$rc" = 0
has "$out" "flights" && ok || bad "list shows flights: $out"
has "$err" "2 subjects" && ok || bad "list summary: $err"
run "$cairn" --json schema show flights;        check "show exits 0" test "$rc" = 0
has "$out" '"version": 1' && ok || bad "show version: $out"
has "$out" '"pattern": "^[A-Z0-9]{3}$"' && ok || bad "show pattern: $out"
run "$cairn" schema show flights --version 7;   check "missing version exits 1" test "$rc" = 1

run "$cairn" schema mode flights;               check "mode get" test "$out" = BACKWARD
run "$cairn" schema mode flights none;          check "mode set" test "$rc" = 0
run "$cairn" schema register "$tmp/bad.yaml";   check "NONE accepts anything" test "$rc" = 0
has "$out" "flights version 2" && ok || bad "version 2: $out"
run "$cairn" schema mode flights sideways;      check "bad mode exits 1" test "$rc" = 1

printf 'dataset: x\nfields:\n  - name: delay\n    type: int64\n    min: ten\n' > "$tmp/e.yaml"
run "$cairn" schema check "$tmp/e.yaml";        check "bad yaml exits 1" test "$rc" = 1
has "$err" "e.yaml:5:10: field 'delay': key 'min': expected a number, found 'ten'" && ok || bad "located error: $err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
