#!/usr/bin/env bash
# tests/integration/test_features_cli.sh: `cairn features apply|list|search|show` end to end:
# the flights repository applied on a home whose `flights` schema is registered (all created),
# applied again (all unchanged), a changed view (a new version, the old one still readable,
# the changed keys named), a dry run that records nothing, search by text, tag and owner, and
# located errors: an unknown key, an unknown entity, a column the dataset does not have.
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
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }
repo="$top/examples/flights/features.yaml"

"$cairn" --quiet init
run "$cairn" features apply "$repo";                 check "apply without the dataset exits 1" test "$rc" = 1
has "$err" "dataset 'flights' has no registered schema" && ok || bad "missing dataset named: $err"
has "$err" "features.yaml:" && ok || bad "error located in the repository: $err"
"$cairn" --quiet schema register "$top/examples/flights/schema.yaml" >/dev/null
run "$cairn" --json features apply "$repo";          check "apply exits 0" test "$rc" = 0
check "8 objects" test "$(jget 'changes.length' <<<"$out")" = 8
check "all created" test "$(jget 'changes.filter(c=>c.action==="create").length' <<<"$out")" = 8
run "$cairn" features apply "$repo";                 check "re-apply exits 0" test "$rc" = 0
has "$err" "0 new, 0 changed, 8 unchanged" && ok || bad "re-apply is a no-op: $err"
has "$out" "= feature_view     origin_delays" && ok || bad "plan shows unchanged: $out"

# a changed view: new version, old still readable, changed keys named; a dry run records nothing
sed 's/ttl: 7d/ttl: 3d/' "$repo" > "$tmp/f2.yaml"
run "$cairn" features apply "$tmp/f2.yaml" --dry-run; check "dry run exits 0" test "$rc" = 0
has "$out" "~ feature_view     origin_delays                v2  changed: ttl_us" && ok || bad "dry-run plan: $out"
run "$cairn" --json features show origin_delays;    check "dry run recorded nothing" test "$(jget version <<<"$out")" = 1
run "$cairn" features apply "$tmp/f2.yaml";          check "apply change exits 0" test "$rc" = 0
run "$cairn" --json features show origin_delays;    check "now version 2" test "$(jget version <<<"$out")" = 2
check "new ttl" test "$(jget definition.ttl_us <<<"$out")" = 259200000000
check "two versions listed" test "$(jget 'versions.length' <<<"$out")" = 2
run "$cairn" --json features show origin_delays --version 1; check "version 1 still readable" test "$(jget definition.ttl_us <<<"$out")" = 604800000000
check "windows expanded" test "$(jget 'definition.features.map(f=>f.name).join(",")' <<<"$out")" = "flights_1h,mean_delay_24h,mean_delay_7d,max_delay_24h"
run "$cairn" --json features show delay_model --kind feature_service
check "service expands views" test "$(jget 'definition.features.length' <<<"$out")" = 10
run "$cairn" features show nosuch;                   check "unknown view exits 1" test "$rc" = 1

# discovery
run "$cairn" --json features search delay;          check "search exits 0" test "$rc" = 0
check "search by text" test "$(jget 'objects.map(o=>o.name).join(",")' <<<"$out")" = "delay_model,origin_delays,route_delays"
run "$cairn" --json features list --tag route;      check "list by tag" test "$(jget 'objects.map(o=>o.name).join(",")' <<<"$out")" = "route_delays"
run "$cairn" --json features search delay --owner ml-team; check "search by owner" test "$(jget 'objects.map(o=>o.name).join(",")' <<<"$out")" = "delay_model"
run "$cairn" --json features list --kind entity;    check "list by kind" test "$(jget 'count' <<<"$out")" = 3
run "$cairn" features list --kind widget;            check "bad kind exits 1" test "$rc" = 1

# located errors
sed 's/    ttl: 7d/    ttl: 7d\n    colour: red/' "$repo" | sed 's/\\n/\n/' > "$tmp/e1.yaml"
run "$cairn" features apply "$tmp/e1.yaml";          check "unknown key exits 1" test "$rc" = 1
has "$err" "e1.yaml:27:5: key 'colour': unknown key in a feature view" && ok || bad "unknown key located: $err"
sed 's/entity: route$/entity: runway/' "$repo" > "$tmp/e2.yaml"
run "$cairn" features apply "$tmp/e2.yaml";          check "unknown entity exits 1" test "$rc" = 1
has "$err" "unknown entity 'runway'" && ok || bad "unknown entity: $err"
sed 's/column: delay, window: 30d/column: gate_delay, window: 30d/' "$repo" > "$tmp/e3.yaml"
run "$cairn" features apply "$tmp/e3.yaml";          check "unknown column exits 1" test "$rc" = 1
has "$err" "column 'gate_delay' is not in dataset 'flights'" && ok || bad "unknown column: $err"
sed 's/agg: mean, column: delay, window: 30d/agg: mean, column: origin, window: 30d/' "$repo" > "$tmp/e4.yaml"
run "$cairn" features apply "$tmp/e4.yaml";          check "non-numeric mean exits 1" test "$rc" = 1
has "$err" "is string, expected a number" && ok || bad "type checked: $err"
sed 's/window: 1h/window: an hour/' "$repo" > "$tmp/e5.yaml"
run "$cairn" features apply "$tmp/e5.yaml";          check "bad duration exits 1" test "$rc" = 1
has "$err" "'an hour' is not a duration" && ok || bad "bad duration: $err"
run "$cairn" --json features show origin_delays;    check "errors changed nothing" test "$(jget version <<<"$out")" = 2

echo "$pass passed, $fail failed"
test "$fail" = 0
