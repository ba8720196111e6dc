#!/usr/bin/env bash
# bench/runs_scale.sh: experiment tracking at scale (src/train/runs.c): RUNS runs (default
# 100,000) of STEPS steps (default 1,000) of KEYS metrics (default 1) logged one batch per run
# into a fresh home by bench_runs_scale (bench/runs_scale.c), STEP_RUNS more runs logged one
# point per call, then list/compare/get/history latencies over the full catalog, and the
# catalog's size on disk (after a WAL checkpoint) per point logged.
# There is no peer here: MLflow's own numbers for the same shape are in its issues (30k runs
# take more than 15 minutes in search_runs, i#2730; one row per step, i#1571, i#12813).
# The machine is shared: run it only when nothing else builds. At the defaults it writes
# ~100M points and takes minutes; RUNS=10000 is a quick look.
# Usage: bench/runs_scale.sh [BUILD_DIR] (default build/release).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/release}
runs=${RUNS:-100000}; steps=${STEPS:-1000}; keys=${KEYS:-1}; step_runs=${STEP_RUNS:-5}; reps=${REPS:-15}
bin=$build/bench/bench_runs_scale
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
[ -x "$build/cairn" ] || { echo "missing $build/cairn" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/cairn" --quiet --home "$tmp/home" init
/usr/bin/time -f '%M' -o "$tmp/rss" "$bin" "$tmp/home" --runs "$runs" --steps "$steps" --keys "$keys" \
    --step-runs "$step_runs" --reps "$reps" > "$tmp/result"
# the size the catalog settles at: checkpoint the WAL into the main file first
python3 - "$tmp/home/catalog.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()
PY
db_bytes=$(stat -c %s "$tmp/home/catalog.db")
chunk_bytes=$(python3 - "$tmp/home/catalog.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM run_metric_chunks").fetchone()[0])
PY
)

python3 - "$tmp/result" "$db_bytes" "$chunk_bytes" "$(cat "$tmp/rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); db, chunks, rss_kib = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pts = r["points"] + r["step_points"]
print(f"experiment tracking: {r['runs']:,} runs x {r['steps']:,} steps x {r['keys']} metric(s) "
      f"= {r['points']:,} points, one batch per run")
print(f"populate: {r['populate_s']:.1f} s, {r['populate_runs_per_s']:,.0f} runs/s, "
      f"{r['populate_points_per_s']:,.0f} points/s (create + batch + end per run); "
      f"CPU {r['populate_cpu_s']:.1f} s = {r['points'] / r['populate_cpu_s']:,.0f} points per CPU second")
print(f"per-step logging (one call, one transaction per point): {r['step_points']:,} points, "
      f"{r['step_points_per_s']:,.0f} points/s, p50 {r['step_p50_us']:.0f} us, p99 {r['step_p99_us']:.0f} us")
print(f"catalog: {db / 2**20:,.1f} MiB ({db / pts:.2f} bytes/point; chunk data {chunks / 2**20:,.1f} MiB, "
      f"{chunks / pts:.2f} bytes/point, raw would be 24); peak RSS {rss_kib / 1024:.0f} MiB")
print(f"{'query':34} {'median ms':>10} {'max ms':>10}")
for q in r["queries"]:
    print(f"{q['name']:34} {q['median_ms']:>10.2f} {q['max_ms']:>10.2f}")
r.update(catalog_bytes=db, chunk_bytes=chunks, peak_rss_kib=rss_kib)
print(json.dumps({"runs_scale": r}))
PY
