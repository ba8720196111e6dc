#!/usr/bin/env bash
# tests/integration/test_cli.sh: the cairn command end to end: help, version, init (twice),
# data head/schema/stats/convert, and errors with their locations and exit codes.
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
# run CMD...: sets $out, $err, $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }

# version and help
run "$cairn" version;                 check "version" test "$rc" = 0 -a -n "$out"
has "$out" "cairn " && ok || bad "version text: $out"
run "$cairn" --json version;          check "version --json" has "$out" '"version"'
run "$cairn" help;                    check "help lists data stats" has "$out" "data stats FILE"
run "$cairn" help data stats;         check "help data stats" has "$out" "usage: cairn data stats"
run "$cairn" help data;               check "help data group" has "$out" "data convert"
run "$cairn" frobnicate;              check "unknown command exits 1" test "$rc" = 1
has "$err" "unknown command 'frobnicate'" && ok || bad "unknown command message: $err"
run "$cairn";                         check "no command exits 1" test "$rc" = 1
run "$cairn" data;                    check "group without subcommand exits 1" test "$rc" = 1
run "$cairn" data stats --bogus x;    check "unknown option exits 1" test "$rc" = 1
has "$err" "unknown option '--bogus'" && ok || bad "unknown option message: $err"

# init: creates, then keeps
run "$cairn" init;                    check "init exits 0" test "$rc" = 0
has "$err" "initialised Cairn home" && ok || bad "init summary: $err"
for p in cairn.yaml catalog.db lake dlq objects online keys; do
  check "home has $p" test -e "$CAIRN_HOME/$p"
done
check "keys is 0700" test "$(stat -c %a "$CAIRN_HOME/keys")" = 700
echo "# my edit" >> "$CAIRN_HOME/cairn.yaml"
run "$cairn" --json init;             check "re-init exits 0" test "$rc" = 0
has "$out" '"created": false' && ok || bad "re-init json: $out"
grep -q "# my edit" "$CAIRN_HOME/cairn.yaml" && ok || bad "re-init kept cairn.yaml"
run "$cairn" --home "$tmp/other" init --quiet; check "--home and --quiet" test "$rc" = 0 -a -z "$err" -a -f "$tmp/other/cairn.yaml"

# data commands on the example data
air=$top/data/airports.csv
run "$cairn" --json data head "$air" -n 3
check "head exits 0" test "$rc" = 0
n=$(node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(j.rows.length+" "+j.rows[0].iata)' <<<"$out")
check "head -n 3 gives 3 rows starting 00M" test "$n" = "3 00M"
run "$cairn" data head "$air" -n 2;   check "head text has header" has "$out" "iata"
run "$cairn" data schema "$air"
has "$out" "latitude" && has "$out" "float64" && ok || bad "schema: $out"
run "$cairn" --json data stats "$air"; check "stats --json exits 0" test "$rc" = 0
has "$out" '"distinct"' && ok || bad "stats json has distinct"

# convert round trip: csv -> jsonl -> csv -> identical stats
run "$cairn" data convert "$air" "$tmp/a.jsonl"; check "convert to jsonl" test "$rc" = 0
run "$cairn" data convert "$tmp/a.jsonl" "$tmp/b.csv"; check "convert back to csv" test "$rc" = 0
"$cairn" --json --quiet data stats "$air" > "$tmp/s1"; "$cairn" --json --quiet data stats "$tmp/b.csv" > "$tmp/s2"
sed -i '/"file"/d' "$tmp/s1" "$tmp/s2"
check "round trip keeps statistics" cmp -s "$tmp/s1" "$tmp/s2"
run "$cairn" data convert "$air" "$tmp/x.unknownext"; check "unknown output format exits 1" test "$rc" = 1

# errors: located, exit 1, nothing half-written
printf 'a,b,c\n1,2,3\n4\n5,6,7\n' > "$tmp/broken.csv"
run "$cairn" data stats "$tmp/broken.csv"
check "broken row exits 1" test "$rc" = 1
has "$err" "broken.csv:3:" && ok || bad "broken row names line 3: $err"
has "$err" "field" && ok || bad "broken row names the reason: $err"
printf 'a,b\n1,2\n3,x\n' > "$tmp/badtype.csv"
run "$cairn" data stats "$tmp/badtype.csv" --types a:int64,b:int64
check "bad typed value exits 1" test "$rc" = 1
has "$err" "badtype.csv:3:2:" && ok || bad "bad value located at 3:2: $err"
has "$err" "'x'" && ok || bad "bad value shows what was found: $err"
run "$cairn" data stats "$tmp/missing.csv"; check "missing file exits 1" test "$rc" = 1
has "$err" "missing.csv" && ok || bad "missing file named: $err"
echo keep > "$tmp/out.csv"
run "$cairn" data convert "$tmp/broken.csv" "$tmp/out.csv"
check "failed convert exits 1" test "$rc" = 1
check "failed convert leaves old output" test "$(cat "$tmp/out.csv")" = keep
printf '{"a":1}\n{"a":2,}\n' > "$tmp/bad.jsonl"
run "$cairn" data head "$tmp/bad.jsonl"; check "bad JSON line exits 1" test "$rc" = 1
has "$err" "bad.jsonl:2:" && ok || bad "bad JSON line located: $err"

# docs/cli.md documents every command of `cairn help`
while IFS= read -r line; do
  usage=$(sed -E 's/^  (.*[^ ]) {2,}.*$/\1/' <<<"$line")
  grep -qF "usage: cairn $usage" "$top/docs/cli.md" && ok || bad "docs/cli.md lacks 'cairn $usage'"
done < <("$cairn" help | sed -n '/^commands:/,/^$/p' | grep '^  ')

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
