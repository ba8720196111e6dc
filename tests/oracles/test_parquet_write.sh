#!/usr/bin/env bash
# tests/oracles/test_parquet_write.sh: Parquet files written by Cairn, read back by two
# independent readers. parquet_write_check.mjs generates JSON Lines and CSV fixtures (every
# type with nulls, unicode and empty strings, dictionary and PLAIN strings, 0 rows, 1 row,
# all nulls, several row groups) with their expected values; `cairn data convert IN OUT.parquet
# --types ... --compression C --row-group-size N` writes each with every codec in turn; then
# DuckDB (read_parquet, DESCRIBE types) and hyparquet (+ hyparquet-compressors: schema,
# logical types, statistics, key-value metadata) must both return exactly the expected values
# and types. Needs env CAIRN (the cli) and CAIRN_TOP (the tree).
# Prints "N passed, M failed"; exits non-zero on any mismatch.
set -uo pipefail
top=${CAIRN_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cairn=${CAIRN:?set CAIRN to the cairn binary}
check=$top/tests/oracles/parquet_write_check.mjs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" # node resolves @duckdb/node-api and hyparquet from the tree's node_modules

passed=0
failed=0
written=()

if ! manifest=$(node "$check" gen "$tmp"); then
  echo "FAIL: cannot generate the fixtures"
  echo "0 passed, 1 failed"
  exit 1
fi

while IFS='|' read -r name input types codec rgs; do
  [ -n "$name" ] || continue
  out="$tmp/$name.parquet"
  args=(data convert "$input" "$out" --types "$types" --compression "$codec")
  [ "$rgs" != 0 ] && args+=(--row-group-size "$rgs")
  if ! "$cairn" "${args[@]}" >"$tmp/$name.log" 2>&1; then
    echo "FAIL $name: cairn ${args[*]}"
    sed 's/^/    /' "$tmp/$name.log" | head -10
    failed=$((failed + 1))
    continue
  fi
  written+=("$name")
done <<<"$manifest"

if [ ${#written[@]} -gt 0 ]; then
  while IFS= read -r line; do
    case $line in
    PASS\ *) passed=$((passed + 1)) ;;
    FAIL\ *)
      failed=$((failed + 1))
      echo "$line"
      ;;
    *) echo "$line" ;;
    esac
  done < <(node "$check" check "$tmp" "${written[@]}" 2>&1 || echo "FAIL check: node exited with an error")
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
