#!/usr/bin/env bash
# bench/w1_parquet_scan.sh: workload W1 (shared/BENCHMARKS.md): read all of
# data/flights-3m.parquet into columns and compute count, sum(delay), sum(distance),
# count(DISTINCT origin); Cairn against DuckDB, alternating, RUNS times each (default 7);
# medians, the ratio Cairn/DuckDB (target <= 1.0) and peak RSS. The results must agree.
# Twice: Cairn reading all five columns (the workload as written), and Cairn reading only the
# three the query needs, which is what DuckDB's planner does with the same SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${RUNS:-7}; threads=$(nproc)
bin=$build/bench/bench_scan
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
file=data/flights-3m.parquet
sql="SELECT count(*) AS n, sum(delay) AS sd, sum(distance) AS sdist, count(DISTINCT origin) AS o FROM '$file'"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for mode in all projected; do
  for i in $(seq "$runs"); do
    /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" "$file" ${mode/all/} > "$tmp/c_$i"
    /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/duckdb_query.mjs "$threads" "$sql" > "$tmp/d_$i"
  done
  /usr/bin/python3 bench/report.py "W1 Parquet scan, flights 3M rows, Cairn reads $mode columns" "$tmp" "$runs" "$threads"
done
