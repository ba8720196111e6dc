#!/usr/bin/env bash
# bench/csv_read.sh: read flights (3M rows, exported once to CSV) into columns; Cairn against
# DuckDB's read_csv, alternating, RUNS times each; prints medians, the ratio Cairn/DuckDB and
# peak resident memory (from /usr/bin/time). Both sides also compute count(*), sum(delay),
# sum(distance) and count(DISTINCT origin), and the results must agree.
# Usage: bench/csv_read.sh [BUILD_DIR] (default build/release); RUNS=5 by default.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/release}
runs=${RUNS:-5}
threads=$(nproc)
csv=data/flights-3m.csv
bin=$build/bench/bench_scan
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
if [ ! -f "$csv" ]; then
  echo "exporting data/flights-3m.parquet to $csv (once, with DuckDB)" >&2
  node bench/duckdb_query.mjs "$threads" "COPY (FROM 'data/flights-3m.parquet') TO '$csv.tmp' (HEADER, FORMAT csv)" >/dev/null
  mv "$csv.tmp" "$csv"
fi
sql="SELECT count(*) AS n, sum(delay) AS sd, sum(distance) AS sdist, count(DISTINCT origin) AS o FROM read_csv('$csv')"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
  /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" "$csv" > "$tmp/c_$i"
  /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/duckdb_query.mjs "$threads" "$sql" > "$tmp/d_$i"
done
/usr/bin/python3 bench/report.py "CSV read, flights 3M rows" "$tmp" "$runs" "$threads"
