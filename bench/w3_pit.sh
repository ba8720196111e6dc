#!/usr/bin/env bash
# bench/w3_pit.sh: workload W3 (shared/BENCHMARKS.md): the point-in-time join of 3M entity
# rows (every flight of data/flights-3m.parquet: origin, date + 1 minute, label delay > 15)
# against a daily per-origin feature table (mean delay at the end of each day, created 5
# minutes later, with duplicated event times decided by created time or input order), TTL
# 3 days. bench_pit builds the two tables once and writes them as Parquet; then, alternating,
# RUNS times each (default 7): Cairn (bench_pit --tables: reads both files, times
# cairn_pit_join alone, which materialises the joined table) and DuckDB
# (bench/w3_pit_duckdb.mjs: loads both files into tables, times a CREATE TABLE AS with the
# Feast dedup + ASOF LEFT JOIN + TTL filter). Medians, the ratio Cairn/DuckDB (target <= 0.33,
# i.e. Cairn >= 3x faster) and peak RSS from /usr/bin/time (each process, loading included).
# Both sides must agree on the count of non-null joined values and their sum (within 1e-9
# relative) or the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${RUNS:-7}; threads=$(nproc)
bin=$build/bench/bench_pit
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
ttl_us=$((3 * 86400 * 1000000))
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" data/flights-3m.parquet --bucket day --stride 1 --ttl-us "$ttl_us" --write "$tmp" > "$tmp/prep.json"
for i in $(seq "$runs"); do
  /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" --tables "$tmp" --ttl-us "$ttl_us" > "$tmp/c_$i"
  /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/w3_pit_duckdb.mjs "$threads" "$tmp" "$ttl_us" > "$tmp/d_$i"
done
/usr/bin/python3 - "$tmp" "$runs" "$threads" <<'PY'
import json, statistics, sys
tmp, runs, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load = lambda p: [json.load(open(f"{tmp}/{p}_{i}")) for i in range(1, runs + 1)]
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)) / 1024
c, d = load("c"), load("d")
prep = json.load(open(f"{tmp}/prep.json"))
same = all(x["matches"] == d[0]["matches"] and
           abs(x["sum_value"] - d[0]["sum_value"]) <= 1e-9 * max(1.0, abs(d[0]["sum_value"]))
           for x in c + d)
ct = statistics.median(x["join_s"] for x in c)
dt = statistics.median(x["total_s"] for x in d)
print(f"W3 point-in-time join, {prep['entities']} entity rows x {prep['features']} feature rows "
      f"(daily per origin), TTL 3 days: {runs} runs each, {threads} threads")
print(f"  results agree: {same} (non-null matches {c[0]['matches']}, sum {c[0]['sum_value']:.6f}; "
      f"duckdb {d[0]['matches']}, {d[0]['sum_value']:.6f})")
print(f"  cairn   median {ct:.3f} s (cairn_pit_join, output materialised), peak RSS {mem('c'):.0f} MiB")
print(f"  duckdb  median {dt:.3f} s (CREATE TABLE AS ... ASOF LEFT JOIN, inside Node), peak RSS {mem('d'):.0f} MiB (includes Node)")
print(f"  ratio cairn/duckdb: {ct/dt:.2f} (target <= 0.33); speed-up {dt/ct:.1f}x")
sys.exit(0 if same else 1)
PY
