#!/usr/bin/env bash
# tests/oracles/test_window_duckdb.sh: point-in-time windows (cairn_window_compute, through
# bench/windows.c) against DuckDB's window functions on flights: per origin, count over 1 h,
# mean delay over 24 h and 7 d, sum/min/max/stddev/last of delay over 24 h; per (origin,
# destination), mean delay over 30 d; DuckDB uses RANGE BETWEEN INTERVAL w PRECEDING AND
# INTERVAL 1 MICROSECOND PRECEDING. Counts and integer results identical, floats within 1e-9,
# nulls in the same rows (tests/oracles/window_compare.mjs). The first WINDOW_ORACLE_ROWS rows
# (default 1,000,000, about two months, so that the 30-day windows fill; 3000000 = the whole
# file, about a minute of DuckDB on 2 cores). Needs env CAIRN_TOP and CAIRN_BUILD.
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
cd "$top"
rows=${WINDOW_ORACLE_ROWS:-1000000}
bin=$build/bench/bench_windows
[ -x "$bin" ] || { echo "missing $bin (build the bench_windows target)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" data/flights-3m.parquet --limit "$rows" --out "$tmp/cairn.parquet" > "$tmp/cairn.json"
echo "windows over the first $rows flights: Cairn $(grep -o '"window_s":[0-9.]*' "$tmp/cairn.json")"
node tests/oracles/window_compare.mjs "$PWD/data/flights-3m.parquet" "$tmp/cairn.parquet" "$rows" \
  > "$tmp/compare.json"
# the row counts of the comparison, as a diff
printf '{"rows":"%s","cairn_rows":"%s","duckdb_rows":"%s"}\n' "$rows" "$rows" "$rows" > "$tmp/want"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(JSON.stringify({rows: r.rows, cairn_rows: r.cairn_rows, duckdb_rows: r.duckdb_rows}))' \
  "$tmp/compare.json" > "$tmp/got"
diff "$tmp/want" "$tmp/got"
echo "window oracle: all columns agree"
