#!/usr/bin/env bash
# tests/oracles/test_parquet_duckdb.sh: Cairn's Parquet reader against DuckDB (the oracle).
# 1. `cairn --json data stats data/flights-3m.parquet` (Polars, ZSTD, dictionaries) agrees
#    with DuckDB's live figures: rows, nulls, distinct counts, min, max, integer sums.
# 2. Every DuckDB-written fixture in tests/data/parquet/ (all codecs, data page v2, nulls,
#    dictionary and plain strings, several row groups, all types) is converted with
#    `cairn data convert X.parquet OUT.jsonl` and every value compared with DuckDB's reading
#    (tests/oracles/parquet_compare.mjs).
# 3. Files Cairn must refuse (nested columns, the brotli codec) fail with exit status 1 and
#    say why.
# Needs env CAIRN (the cli) and CAIRN_TOP (the tree). Prints "N passed, M failed"; exits
# non-zero on any mismatch.
set -uo pipefail
top=${CAIRN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cairn=${CAIRN:?set CAIRN to the cairn binary}
compare=$top/tests/oracles/parquet_compare.mjs
data=$top/tests/data/parquet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" # node resolves @duckdb/node-api from the tree's node_modules

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
  echo "FAIL $1"
  [ -f "$tmp/log" ] && sed 's/^/    /' "$tmp/log" | head -25
  failed=$((failed + 1))
}

if [ -f "$top/data/flights-3m.parquet" ]; then
  if node "$compare" stats "$cairn" "$top/data/flights-3m.parquet" >"$tmp/log" 2>&1; then ok
  else bad "stats data/flights-3m.parquet"; fi
else
  echo "SKIP data/flights-3m.parquet (run scripts/ to fetch the example data)"
fi

for file in "$data"/*.parquet; do
  name=$(basename "$file" .parquet)
  case $name in nested | codec_brotli) continue ;; esac
  out=$tmp/$name.jsonl
  if ! "$cairn" data convert "$file" "$out" >"$tmp/log" 2>&1; then
    bad "$name: cairn data convert failed"
    continue
  fi
  if node "$compare" values "$file" "$out" >"$tmp/log" 2>&1; then ok; else bad "$name"; fi
done

refuse() { # name expected-text
  "$cairn" data convert "$data/$1.parquet" "$tmp/$1.jsonl" >"$tmp/log" 2>&1
  local rc=$?
  if [ $rc -eq 1 ] && grep -q "$2" "$tmp/log"; then ok
  else
    echo "(exit status $rc)" >>"$tmp/log"
    bad "$1 should be refused with '$2'"
  fi
}
refuse nested "nested/repeated"
refuse codec_brotli "not supported"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
