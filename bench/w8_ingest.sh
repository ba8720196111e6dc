#!/usr/bin/env bash
# bench/w8_ingest.sh: W8, CSV ingest with validation into the day-partitioned lake. Cairn's
# `cairn ingest flights data/flights-3m.csv` (a fresh home each run: schema
# examples/flights/schema.yaml, every record checked against its constraints (ranges, two
# regular expressions, lengths), the dataset checks, 181 day partitions written as ZSTD Parquet,
# a snapshot committed) against DuckDB's
#   COPY (SELECT *, CAST(date AS DATE) AS date_day FROM read_csv(...)) TO dir
#        (FORMAT parquet, PARTITION_BY (date_day), COMPRESSION zstd)
# twice: as the workload names it (types only), and with the same constraints as a WHERE clause
# (regexp_full_match, BETWEEN), which is what Cairn does. Alternating, RUNS times each (default
# 5); medians, ratios, peak RSS. The lakes are then compared: partition count and rows per
# partition must agree (DuckDB reads Cairn's lake with hive_partitioning) and no row of one may
# be missing from the other (EXCEPT ALL).
# Usage: bench/w8_ingest.sh [BUILD_DIR] (default build/release).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/release}; runs=${RUNS:-5}; threads=$(nproc)
csv=data/flights-3m.csv
bin=$build/cairn
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
if [ ! -f "$csv" ]; then
  echo "exporting data/flights-3m.parquet to $csv (once, with DuckDB)" >&2
  node bench/duckdb_query.mjs "$threads" "COPY (FROM 'data/flights-3m.parquet') TO '$csv.tmp' (HEADER, FORMAT csv)" >/dev/null
  mv "$csv.tmp" "$csv"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
types="{'date': 'TIMESTAMP', 'delay': 'BIGINT', 'distance': 'BIGINT', 'origin': 'VARCHAR', 'destination': 'VARCHAR'}"
src="read_csv('$csv', header=true, columns=$types)"
where="WHERE date >= TIMESTAMP '2001-01-01' AND delay BETWEEN -1440 AND 2880 AND distance BETWEEN 1 AND 10000
  AND regexp_full_match(origin, '[A-Z0-9]{3}') AND regexp_full_match(destination, '[A-Z0-9]{3}')
  AND length(origin) <= 3 AND length(destination) <= 3"
for i in $(seq "$runs"); do
  h="$tmp/home$i"
  "$bin" --quiet --home "$h" init
  "$bin" --quiet --home "$h" schema register examples/flights/schema.yaml
  s=$(date +%s%N)
  /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" --quiet --home "$h" ingest flights "$csv" --now 2001-07-01T00:00:00Z >/dev/null
  e=$(date +%s%N)
  echo "{\"total_s\": $(( (e - s) / 1000 ))e-6}" > "$tmp/c_$i"
  [ "$i" = "$runs" ] || rm -rf "$h"
  /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/duckdb_query.mjs "$threads" \
    "COPY (SELECT *, CAST(date AS DATE) AS date_day FROM $src) TO '$tmp/duck$i' (FORMAT parquet, PARTITION_BY (date_day), COMPRESSION zstd)" > "$tmp/d_$i"
  /usr/bin/time -f %M -o "$tmp/v_mem_$i" node bench/duckdb_query.mjs "$threads" \
    "COPY (SELECT *, CAST(date AS DATE) AS date_day FROM $src $where) TO '$tmp/val$i' (FORMAT parquet, PARTITION_BY (date_day), COMPRESSION zstd)" > "$tmp/v_$i"
  rm -rf "$tmp/val$i"
  [ "$i" = "$runs" ] || rm -rf "$tmp/duck$i"
done
lake="$tmp/home$runs/lake/flights"
cmp=$(node bench/duckdb_query.mjs "$threads" "SELECT count(*) AS parts, sum(CASE WHEN c.n = d.n THEN 1 ELSE 0 END) AS same, sum(c.n) AS rows FROM
  (SELECT date_day, count(*) AS n FROM read_parquet('$lake/*/*.parquet', hive_partitioning=true) GROUP BY ALL) c
  FULL JOIN (SELECT date_day, count(*) AS n FROM read_parquet('$tmp/duck$runs/*/*.parquet', hive_partitioning=true) GROUP BY ALL) d USING (date_day)")
diff=$(node bench/duckdb_query.mjs "$threads" "SELECT count(*) AS n FROM (
  SELECT date::TIMESTAMP AS date, delay, distance, origin, destination FROM read_parquet('$lake/*/*.parquet')
  EXCEPT ALL SELECT date, delay, distance, origin, destination FROM read_parquet('$tmp/duck$runs/*/*.parquet'))")
cmp=$(node -e 'const c = JSON.parse(process.argv[1]); c.rows[0].differ = JSON.parse(process.argv[2]).rows[0].n; console.log(JSON.stringify(c))' "$cmp" "$diff")
/usr/bin/python3 - "$tmp" "$runs" "$threads" "$cmp" "$(du -sb "$lake" | cut -f1)" "$(du -sb "$tmp/duck$runs" | cut -f1)" <<'PY'
import json, statistics, sys
tmp, runs, threads, cmp = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])["rows"][0]
cbytes, dbytes = int(sys.argv[5]), int(sys.argv[6])
med = lambda p: statistics.median(json.load(open(f"{tmp}/{p}_{i}"))["total_s"] for i in range(1, runs + 1))
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)) / 1024
ct, dt, vt = med("c"), med("d"), med("v")
print(f"W8 CSV ingest into a day-partitioned Parquet lake, flights 3M rows, {runs} runs each, {threads} threads")
print(f"  partitions {cmp['parts']}, with equal row counts {cmp['same']}, rows {cmp['rows']}, rows of Cairn's lake not in DuckDB's (EXCEPT ALL) {cmp['differ']}")
print(f"  cairn ingest (validate + checks + lake + snapshot) median {ct:.3f} s, peak RSS {mem('c'):.0f} MiB, lake {cbytes/1e6:.1f} MB")
print(f"  duckdb COPY ... PARTITION_BY (types only)         median {dt:.3f} s, peak RSS {mem('d'):.0f} MiB (incl. Node), {dbytes/1e6:.1f} MB")
print(f"  duckdb COPY ... PARTITION_BY with the same checks  median {vt:.3f} s, peak RSS {mem('v'):.0f} MiB (incl. Node)")
print(f"  ratio cairn/duckdb: {ct/dt:.2f} (types only), {ct/vt:.2f} (same checks)")
sys.exit(0 if str(cmp['parts']) == str(cmp['same']) and str(cmp['differ']) == '0' else 1)
PY
