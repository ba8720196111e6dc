#!/usr/bin/env bash
# tests/oracles/test_csv_duckdb.sh: every CSV fixture in tests/data/csv/ is read by DuckDB
# (read_csv, the oracle) and by Cairn (`cairn data convert FILE OUT.jsonl --types ...`), once
# with explicit column types and once with every column a string; rows and values must agree
# exactly (tests/oracles/csv_compare.mjs). Needs env CAIRN (the cli) and CAIRN_TOP (the tree).
# Prints "N passed, M failed"; exits non-zero on any mismatch.
set -uo pipefail
top=${CAIRN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cairn=${CAIRN:?set CAIRN to the cairn binary}
data=$top/tests/data/csv
compare=$top/tests/oracles/csv_compare.mjs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" # node resolves @duckdb/node-api from the tree's node_modules

# file|types (header order)|delimiter
manifest=(
  "quotes.csv|id:int64,text:string,note:string|,"
  "newlines.csv|id:int64,body:string,tail:string|,"
  "bom_crlf.csv|id:int64,name:string,value:float64|,"
  "crlf.csv|a:string,b:string,c:string|,"
  "nulls.csv|id:int64,s:string,n:int64,all_null:string,last:string|,"
  "wide.csv|@wide|,"
  "unicode.csv|lang:string,word:string,emoji:string|,"
  "long_fields.csv|id:int64,big:string|,"
  "types.csv|i:int64,f:float64,d:date,ts:timestamp,b:bool,s:string|,"
  "blank_lines.csv|a:int64,b:int64|,"
  "tab.tsv|name:string,city:string,n:int64|tab"
  "flights_sample.csv|date:timestamp,delay:int64,distance:int64,origin:string,destination:string|,"
)

passed=0
failed=0
check() { # name file types delimiter
  local name=$1 file=$2 types=$3 delim=$4 out="$tmp/$1.jsonl" log="$tmp/$1.log"
  if ! "$cairn" data convert "$file" "$out" --types "$types" --delimiter "$delim" >"$log" 2>&1; then
    echo "FAIL $name: cairn data convert failed: $(cat "$log")"
    failed=$((failed + 1))
    return
  fi
  if node "$compare" --csv "$file" --cairn "$out" --types "$types" --delimiter "$delim" 2>"$log"; then
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$log" | head -25
    failed=$((failed + 1))
  fi
}

for entry in "${manifest[@]}"; do
  IFS='|' read -r file types delim <<<"$entry"
  path=$data/$file
  if [ "$types" = "@wide" ]; then # c<i>: int64 unless i % 3 == 0
    types=$(head -1 "$path" | tr ',' '\n' | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $0, ((NR - 1) % 3 ? "int64" : "string") }')
  fi
  check "$file.typed" "$path" "$types" "$delim"
  strings=$(sed -E 's/:[a-z0-9]+(,|$)/:string\1/g' <<<"$types")
  check "$file.varchar" "$path" "$strings" "$delim"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
