#!/usr/bin/env bash
# tests/oracles/test_lake_duckdb.sh: the lake's Hive layout read by DuckDB. A fresh home
# gets two datasets built by the lake API (tests/unit/lake/test_duckdb_layout.c: a
# day-partitioned one with a null time, a value-partitioned one with a null and a value
# that needs escaping); lake_duckdb_check.mjs then compares DuckDB's
# read_parquet(..., hive_partitioning=true) and `cairn data head DATASET` with the rows
# written, per row and per partition. Needs env CAIRN, CAIRN_TOP and CAIRN_BUILD.
set -euo pipefail
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?}
build=${CAIRN_BUILD:?}
layout=$build/tests/lake_test_duckdb_layout
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" # node resolves @duckdb/node-api from the tree's node_modules
"$cairn" init --home "$tmp/home" >/dev/null 2>&1
if ! CAIRN_LAKE_HOME="$tmp/home" "$layout" >"$tmp/layout.log" 2>&1; then
  echo "FAIL: building the lake with $layout"
  sed 's/^/    /' "$tmp/layout.log" | tail -20
  exit 1
fi
node tests/oracles/lake_duckdb_check.mjs "$cairn" "$tmp/home"
