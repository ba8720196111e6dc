#!/usr/bin/env bash
# tests/oracles/test_pit_duckdb.sh: cairn_pit_join agrees with DuckDB on tables built from
# data/flights-3m.parquet: entities = every Nth flight's origin and date + 1 minute; features =
# per origin and hour (then per day) the mean delay at the end of the bucket, with duplicated
# event times whose created times (or input order) decide, null values, and shuffled rows.
# DuckDB computes the join as an ASOF LEFT JOIN with the TTL filter (every entity row) and in
# Feast's own ROW_NUMBER formulation (a subset); see test_pit_duckdb.mjs.
# The C side is bench/pit.c (bench_pit in the build tree), which writes both tables and its
# join result as Parquet. Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/bench/bench_pit
[ -x "$bin" ] || { echo "missing $bin (built with the bench drivers)" >&2; exit 1; }
cd "$top"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check() { # name, then bench_pit options; TTL is the --ttl-us value
  local name=$1 ttl=$2; shift 2
  mkdir -p "$tmp/$name"
  "$bin" data/flights-3m.parquet --ttl-us "$ttl" --write "$tmp/$name" \
    --dump "$tmp/$name/cairn.parquet" "$@" > "$tmp/$name/cairn.json"
  echo "$name: cairn $(cat "$tmp/$name/cairn.json")"
  echo "$name: duckdb $(node tests/oracles/test_pit_duckdb.mjs "$tmp/$name" "$ttl" 37)"
}
# hourly features, TTL 2 hours (many rows fall outside it), 300k entity rows
check hour_ttl2h 7200000000 --bucket hour --stride 10
# daily features, no TTL, 430k entity rows
check day_nottl 0 --bucket day --stride 7
echo "point-in-time join agrees with DuckDB"
