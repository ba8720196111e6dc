#!/usr/bin/env bash
# tests/integration/test_training_cli.sh: `cairn dataset build|list|show`, `cairn optout` and
# `cairn features lineage` end to end: the flights lake (data/flights-3m.parquet) with the
# flights feature repository, a training set of delay_model for 300 flights (columns, rows,
# PIT features present), built again (same id, existed), an opt-out of ORD (its rows left out
# and counted, a new id, the lineage records it), and the lineage of a view.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the flights as CSV, exported by DuckDB (the same text bench/csv_read.sh makes once)
flights_csv="$tmp/flights-3m.csv"
node "$top/tests/oracles/q.mjs" "COPY (FROM '$top/data/flights-3m.parquet') TO '$flights_csv' (HEADER, FORMAT csv)" >/dev/null ||
    { echo "FAIL: exporting the flights to CSV"; exit 1; }
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }

"$cairn" --quiet init
"$cairn" --quiet schema register "$top/examples/flights/schema.yaml" >/dev/null
run "$cairn" --quiet ingest flights "$top/data/flights-3m.parquet"; check "ingest exits 0" test "$rc" = 0
run "$cairn" --quiet features apply "$top/examples/flights/features.yaml"; check "apply exits 0" test "$rc" = 0

# 300 flights (every 10,000th), with the flight's own time as the entity time and date
awk -F, 'NR == 1 { print "origin,destination,date,event_timestamp,label"; next }
         NR % 10000 == 0 { t = $1; sub(" ", "T", t); t = t "Z"; print $4 "," $5 "," t "," t "," ($2 > 15 ? 1 : 0) }' \
    "$flights_csv" > "$tmp/entities.csv"
check "300 entity rows" test "$(($(wc -l < "$tmp/entities.csv") - 1))" = 300
ord=$(grep -c '^ORD,' "$tmp/entities.csv")
check "some ORD rows" test "$ord" -gt 0

run "$cairn" --json dataset build delay_model "$tmp/entities.csv" --output "$tmp/train.parquet"
check "build exits 0" test "$rc" = 0
id1=$(jget id <<<"$out")
check "300 rows" test "$(jget rows <<<"$out")" = 300
check "15 columns (5 + 10 features)" test "$(jget columns <<<"$out")" = 15
check "not existed" test "$(jget existed <<<"$out")" = false
check "output written" test -s "$tmp/train.parquet"
run "$cairn" --json data head "$tmp/train.parquet" -n 300
has "$out" "origin_delays__mean_delay_24h" && ok || bad "column origin_delays__mean_delay_24h: ${out:0:300}"
has "$out" "route_delays__mean_delay_30d" && ok || bad "column route_delays__mean_delay_30d"
has "$out" "flight_calendar__holiday" && ok || bad "column flight_calendar__holiday"
cp "$tmp/train.parquet" "$tmp/train1.parquet"

run "$cairn" dataset build delay_model "$tmp/entities.csv" --output "$tmp/train.parquet"
check "rebuild exits 0" test "$rc" = 0
has "$out" "existed   yes" && ok || bad "rebuild existed: $out"
has "$out" "id        ${id1:0:12}" && ok || bad "same id: $out"
has "$err" "training set ${id1:0:12}" && ok || bad "summary line: $err"
check "same bytes" cmp -s "$tmp/train.parquet" "$tmp/train1.parquet"

# opt-outs
run "$cairn" optout add nosuch ORD;                  check "unknown entity exits 1" test "$rc" = 1
has "$err" "no entity 'nosuch'" && ok || bad "unknown entity named: $err"
run "$cairn" optout add origin ORD;                  check "optout add exits 0" test "$rc" = 0
run "$cairn" optout add origin ORD;                  check "optout add again exits 0" test "$rc" = 0
run "$cairn" --json optout list;                     check "one opt-out" test "$(jget count <<<"$out")" = 1
run "$cairn" --json dataset build delay_model "$tmp/entities.csv"
check "build with opt-out exits 0" test "$rc" = 0
id2=$(jget id <<<"$out")
check "new id" test "$id1" != "$id2"
check "ORD rows excluded" test "$(jget excluded <<<"$out")" = "$ord"
check "rows without ORD" test "$(jget rows <<<"$out")" = $((300 - ord))
run "$cairn" --json dataset show "${id2:0:10}"
check "show exits 0" test "$rc" = 0
check "lineage opt-out" test "$(jget 'optouts[0].key' <<<"$out")" = ORD
check "lineage opt-out rows" test "$(jget 'optouts[0].rows' <<<"$out")" = "$ord"
check "lineage views" test "$(jget 'views.map(v=>v.name).join()' <<<"$out")" = "origin_delays,route_delays,flight_calendar"
run "$cairn" dataset show 0123456789abcdef0;         check "unknown id exits 1" test "$rc" = 1
run "$cairn" --json dataset list;                    check "two training sets" test "$(jget count <<<"$out")" = 2
run "$cairn" dataset list
has "$out" "delay_model@1" && ok || bad "list shows service@version: $out"
run "$cairn" --json optout remove origin ORD;        check "remove exits 0" test "$(jget changed <<<"$out")" = true
run "$cairn" --json optout remove origin ORD;        check "remove again: nothing" test "$(jget changed <<<"$out")" = false

# lineage of a view
run "$cairn" --json features lineage origin_delays;  check "lineage exits 0" test "$rc" = 0
check "one snapshot/version" test "$(jget 'uses.length' <<<"$out")" = 1
check "two training sets use it" test "$(jget 'uses[0].training_sets.length' <<<"$out")" = 2
run "$cairn" features lineage origin_delays
has "$out" "flights@" && ok || bad "lineage text: $out"
run "$cairn" features lineage nosuch;                check "unknown view exits 1" test "$rc" = 1

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
