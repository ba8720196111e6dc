#!/usr/bin/env bash
# bench/w2_windows.sh: workload W2 (shared/BENCHMARKS.md): point-in-time windowed features of
# every flight in data/flights-3m.parquet, excluding the flight itself ([t - w, t)); Cairn
# (bench/windows.c, cairn_window_compute) against DuckDB window functions with RANGE BETWEEN
# INTERVAL w PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING, whose results are summed so that
# they are materialised. Alternating, RUNS times each (default 5); medians, the ratio
# DuckDB/Cairn (target >= 10) and peak RSS. Twice:
#   w2:  the three features of W2 (count at origin over 1 h, mean delay at origin over 7 d,
#        mean delay on the route (origin, destination) over 30 d);
#   all: those plus mean, sum, min, max, stddev and last of delay at origin over 24 h (the
#        windows the oracle tests/oracles/test_window_duckdb.sh checks row by row).
# Both sides' column sums must agree (integers exactly, floats within 1e-9 relative, non-null
# counts exactly); last_24h is reported but not compared: with several flights at the same
# time DuckDB's last_value picks any of them, Cairn the latest in input order (the oracle
# compares it where the latest time is unique).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${RUNS:-5}; threads=$(nproc)
bin=$build/bench/bench_windows
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
file=data/flights-3m.parquet
win() { echo "$1 AS (PARTITION BY $2 ORDER BY date RANGE BETWEEN INTERVAL $3 PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING)"; }
windows="WINDOW $(win h1 origin '1 HOUR'), $(win d1 origin '24 HOUR'), $(win d7 origin '7 DAY'), $(win r30 'origin, destination' '30 DAY')"
declare -A expr=(
  [n_1h]="count(*) OVER h1" [mean_24h]="avg(delay) OVER d1" [mean_7d]="avg(delay) OVER d7"
  [sum_24h]="sum(delay) OVER d1" [min_24h]="min(delay) OVER d1" [max_24h]="max(delay) OVER d1"
  [sd_24h]="stddev_samp(delay) OVER d1" [last_24h]="last_value(delay) OVER d1"
  [route_mean_30d]="avg(delay) OVER r30")
sql_for() { # columns...
  local inner="" outer="count(*) AS rows"
  for c in "$@"; do
    inner+="${inner:+, }${expr[$c]} AS $c"
    outer+=", sum($c) AS ${c}__sum, count($c) AS ${c}__n"
  done
  echo "SELECT $outer FROM (SELECT $inner FROM '$file' $windows)"
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "load: $(uptime)"
for set in w2 all; do
  if [ "$set" = w2 ]; then cols=(n_1h mean_7d route_mean_30d); else
    cols=(n_1h mean_24h mean_7d sum_24h min_24h max_24h sd_24h last_24h route_mean_30d); fi
  sql=$(sql_for "${cols[@]}")
  for i in $(seq "$runs"); do
    /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$bin" "$file" --set "$set" > "$tmp/c_$i"
    /usr/bin/time -f %M -o "$tmp/d_mem_$i" node bench/duckdb_query.mjs "$threads" "$sql" > "$tmp/d_$i"
  done
  /usr/bin/python3 - "$tmp" "$runs" "$threads" "$set" <<'PY'
import json, statistics, sys
tmp, runs, threads, which = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = [json.load(open(f"{tmp}/c_{i}")) for i in range(1, runs + 1)]
d = [json.load(open(f"{tmp}/d_{i}")) for i in range(1, runs + 1)]
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in range(1, runs + 1)) / 1024
row, ok, lines = d[0]["rows"][0], True, []
rows = int(row["rows"])
ok &= rows == c[0]["rows"]
for name, col in c[0]["columns"].items():
    ds, dn = row[f"{name}__sum"], int(row[f"{name}__n"])
    cs, cn = col["sum"], c[0]["rows"] - col["nulls"]
    ds = float(ds) if ds is not None else 0.0
    if name == "last_24h":
        lines.append(f"    {name:15} cairn {cs:.17g} duckdb {ds:.17g} (not compared: ties on time)")
        continue
    same = cn == dn and abs(cs - ds) <= 1e-9 * max(1.0, abs(ds))
    ok &= same
    lines.append(f"    {name:15} sum cairn {cs:.17g} duckdb {ds:.17g}, non-null {cn} / {dn}: {'same' if same else 'DIFFERENT'}")
ct = statistics.median(x["window_s"] for x in c)
tt = statistics.median(x["total_s"] for x in c)
dt = statistics.median(x["total_s"] for x in d)
print(f"W2 windows ({which}: {len(c[0]['columns'])} columns), flights {rows} rows: {runs} runs each, {threads} threads")
print(f"  results agree: {ok}")
print("\n".join(lines))
print(f"  cairn   median {tt:.3f} s (windows {ct:.3f} s, read {statistics.median(x['read_s'] for x in c):.3f} s), peak RSS {mem('c'):.0f} MiB")
print(f"  duckdb  median {dt:.3f} s (query time inside Node), peak RSS {mem('d'):.0f} MiB (includes Node)")
print(f"  speed-up duckdb/cairn: {dt/tt:.1f}x including the Parquet read ({dt/ct:.1f}x windows alone; target >= 10)")
sys.exit(0 if ok else 1)
PY
done
