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
bin=$build/bench/bench_csv_read
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
/usr/bin/python3 - "$tmp" "$runs" "$threads" <<'PY'
import json, statistics, sys
tmp, runs, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = [json.load(open(f"{tmp}/c_{i}")) for i in range(1, runs + 1)]
d = [json.load(open(f"{tmp}/d_{i}")) for i in range(1, runs + 1)]
cm = [int(open(f"{tmp}/c_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)]
dm = [int(open(f"{tmp}/d_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)]
r = d[0]["rows"][0]
same = (c[0]["rows"] == int(r["n"]) and c[0]["sum_delay"] == int(r["sd"])
        and c[0]["sum_distance"] == int(r["sdist"]) and c[0]["origins"] == int(r["o"]))
ct = statistics.median(x["total_s"] for x in c)
dt = statistics.median(x["total_s"] for x in d)
print(f"CSV read, flights 3M rows, {runs} runs each, {threads} threads")
print(f"  results agree: {same} (rows {c[0]['rows']}, sum(delay) {c[0]['sum_delay']}, "
      f"sum(distance) {c[0]['sum_distance']}, distinct origins {c[0]['origins']})")
print(f"  cairn   median {ct:.3f} s (read only {statistics.median(x['read_s'] for x in c):.3f} s), "
      f"peak RSS {statistics.median(cm)/1024:.0f} MiB")
print(f"  duckdb  median {dt:.3f} s, peak RSS {statistics.median(dm)/1024:.0f} MiB (includes Node)")
print(f"  ratio cairn/duckdb: {ct/dt:.2f} (target <= 1.0)")
sys.exit(0 if same else 1)
PY
