#!/usr/bin/env bash
# bench/w1_parquet_write.sh: write speed of a 3M-row Parquet file: read flights-3m.parquet and
# write it back with ZSTD; Cairn (bench_parquet_write) against DuckDB's
# COPY (FROM 'data/flights-3m.parquet') TO ... (FORMAT parquet, COMPRESSION zstd), alternating,
# RUNS times each (default 5); medians of read + write, the ratio and peak RSS. Both outputs are
# then compared row for row by DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${RUNS:-5}; threads=$(nproc)
bin=$build/bench/bench_parquet_write
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sql="COPY (FROM 'data/flights-3m.parquet') TO '$tmp/duck.parquet' (FORMAT parquet, COMPRESSION zstd)"
for i in $(seq "$runs"); do
  /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" data/flights-3m.parquet "$tmp/cairn.parquet" > "$tmp/c_$i"
  /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/duckdb_query.mjs "$threads" "$sql" > "$tmp/d_$i"
done
diff=$(node bench/duckdb_query.mjs "$threads" "SELECT count(*) AS n FROM (SELECT date::TIMESTAMP AS date, delay, distance, origin, destination FROM '$tmp/cairn.parquet' EXCEPT ALL SELECT * FROM 'data/flights-3m.parquet')")
/usr/bin/python3 - "$tmp" "$runs" "$threads" "$diff" <<'PY'
import json, os, statistics, sys
tmp, runs, threads, diff = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
c = [json.load(open(f"{tmp}/c_{i}")) for i in range(1, runs + 1)]
d = [json.load(open(f"{tmp}/d_{i}")) for i in range(1, runs + 1)]
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)) / 1024
ct, dt = statistics.median(x["total_s"] for x in c), statistics.median(x["total_s"] for x in d)
print(f"Parquet write (read flights-3m.parquet, write it back with ZSTD), {runs} runs each, {threads} threads")
print(f"  rows differing from the original (DuckDB EXCEPT ALL): {diff['rows'][0]['n']}")
print(f"  cairn   median {ct:.3f} s (write only {statistics.median(x['write_s'] for x in c):.3f} s), "
      f"{c[0]['bytes']/1e6:.1f} MB, peak RSS {mem('c'):.0f} MiB")
print(f"  duckdb  median {dt:.3f} s, {os.path.getsize(tmp + '/duck.parquet')/1e6:.1f} MB, peak RSS {mem('d'):.0f} MiB (includes Node)")
print(f"  ratio cairn/duckdb: {ct/dt:.2f}")
sys.exit(0 if diff['rows'][0]['n'] in (0, '0') else 1)
PY
