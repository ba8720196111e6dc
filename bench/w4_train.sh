#!/usr/bin/env bash
# bench/w4_train.sh: workload W4 (shared/BENCHMARKS.md): training gradient-boosted trees on the
# flights training set (build/demo-training.parquet from `make demo`: 150,000 labelled
# flights with the delay_model features) against XGBoost's Python package on the same matrix
# and scikit-learn's HistGradientBoostingClassifier.
#   Cairn:  the whole `cairn train` of a config with one xgboost learner (200 rounds, depth 6,
#           eta 0.1, hist, no early stopping), the business-rule baseline, no calibration,
#           bootstrap or explanations: reading Parquet, the split, the matrices, the fit,
#           predictions, test metrics and the run records are all inside the timing.
#   Python: the same numeric columns and temporal split (the Parquet file exported by DuckDB
#           to CSV and loaded by numpy before the clock starts), then DMatrix + xgb.train with
#           the same parameters and nthread + predict on test (timed), and HistGradient-
#           BoostingClassifier(max_iter=200, learning_rate=0.1, max_depth=6, early stopping
#           off) fit + predict (timed).
# Alternating, RUNS times each (default 5); medians, Cairn's overhead over raw XGBoost
# (target <= 10 %), test ROC AUC of each (target: Cairn within 0.002 of XGBoost's), and peak
# RSS from /usr/bin/time (each process, loading included).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${RUNS:-5}; threads=$(nproc)
cairn=$build/cairn
[ -x "$cairn" ] || { echo "build first: make release (missing $cairn)" >&2; exit 1; }
set_path=build/demo-training.parquet
[ -f "$set_path" ] || { echo "run make demo first (missing $set_path)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=passive
cols="origin_delays__flights_1h, origin_delays__mean_delay_24h, origin_delays__mean_delay_7d, origin_delays__max_delay_24h, route_delays__mean_delay_30d, flight_calendar__hour, flight_calendar__day_of_week, flight_calendar__month, flight_calendar__holiday, flight_calendar__distance"
cat > "$tmp/w4.yaml" <<EOF
experiment: w4
training_set: $PWD/$set_path
label: label
time: event_timestamp
features: [${cols}]
split:
  train: [2001-01-01, 2001-05-01]
  validation: [2001-05-01, 2001-06-01]
  test: [2001-06-01, 2001-07-01]
calibration: {method: none}
learners:
  - {name: xgboost, learner: xgboost, rounds: 200, early_stopping: 0,
     params: {tree_method: hist, max_depth: 6, eta: 0.1}}
baseline: {rule: {column: origin_delays__mean_delay_24h, above: 15}}
bootstrap: {resamples: 0}
explain: {shap: false, permutation: false}
EOF
node tests/oracles/q.mjs "COPY (SELECT epoch_us(event_timestamp) AS t, label, ${cols} FROM '$set_path' WHERE label IS NOT NULL) TO '$tmp/set.csv' (HEADER, FORMAT csv)" >/dev/null
cat > "$tmp/peer.py" <<'PY'
import json, resource, sys, time
import numpy as np
kind, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = np.genfromtxt(path, delimiter=",", skip_header=1)
t, y, x = d[:, 0], d[:, 1], d[:, 2:].astype(np.float32)
us = lambda s: np.datetime64(s, "us").astype(np.int64)
tr = (t >= us("2001-01-01")) & (t < us("2001-05-01"))
va = (t >= us("2001-05-01")) & (t < us("2001-06-01"))
te = (t >= us("2001-06-01")) & (t < us("2001-07-01"))
from sklearn.metrics import roc_auc_score
t0 = time.perf_counter()
if kind.startswith("xgboost"):
    import xgboost as xgb
    dtr = xgb.DMatrix(x[tr], label=y[tr], missing=np.nan, nthread=threads)
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.1,
              "nthread": threads, "seed": 42}
    evals = []
    if kind == "xgboost_valid":  # watching the validation set every round, as Cairn does
        dva = xgb.DMatrix(x[va], label=y[va], missing=np.nan, nthread=threads)
        evals = [(dva, "valid")]
    b = xgb.train(params, dtr, num_boost_round=200, evals=evals, verbose_eval=False)
    p = b.predict(xgb.DMatrix(x[te], missing=np.nan, nthread=threads))
    if evals: b.predict(dva)
else:
    from sklearn.ensemble import HistGradientBoostingClassifier
    m = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_depth=6, early_stopping=False,
                                       random_state=42)
    m.fit(x[tr], y[tr])
    p = m.predict_proba(x[te])[:, 1]
s = time.perf_counter() - t0
print(json.dumps({"seconds": s, "auc": roc_auc_score(y[te], p), "train_rows": int(tr.sum()), "test_rows": int(te.sum())}))
PY
for i in $(seq "$runs"); do
  rm -rf "$tmp/home"; "$cairn" --home "$tmp/home" --quiet init
  s=$(date +%s.%N)
  /usr/bin/time -f %M -o "$tmp/c_mem_$i" "$cairn" --home "$tmp/home" --quiet --json train "$tmp/w4.yaml" > "$tmp/c_$i"
  e=$(date +%s.%N); echo "$s $e" > "$tmp/c_wall_$i"
  /usr/bin/time -f %M -o "$tmp/x_mem_$i" /usr/bin/python3 "$tmp/peer.py" xgboost "$tmp/set.csv" "$threads" > "$tmp/x_$i"
  /usr/bin/time -f %M -o "$tmp/v_mem_$i" /usr/bin/python3 "$tmp/peer.py" xgboost_valid "$tmp/set.csv" "$threads" > "$tmp/v_$i"
  /usr/bin/time -f %M -o "$tmp/h_mem_$i" /usr/bin/python3 "$tmp/peer.py" hist "$tmp/set.csv" "$threads" > "$tmp/h_$i"
done
/usr/bin/python3 - "$tmp" "$runs" "$threads" <<'PY'
import json, statistics, sys
tmp, runs, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = range(1, runs + 1)
mem = lambda p: statistics.median(int(open(f"{tmp}/{p}_mem_{i}").read().split()[-1]) for i in rng) / 1024
cw = statistics.median((lambda a: float(a[1]) - float(a[0]))(open(f"{tmp}/c_wall_{i}").read().split()) for i in rng)
c = [json.load(open(f"{tmp}/c_{i}")) for i in rng]
x = [json.load(open(f"{tmp}/x_{i}")) for i in rng]
h = [json.load(open(f"{tmp}/h_{i}")) for i in rng]
v = [json.load(open(f"{tmp}/v_{i}")) for i in rng]
vt = statistics.median(r["seconds"] for r in v)
cauc = c[0]["leaderboard"][0]["test"]["roc_auc"]["value"]
xt = statistics.median(r["seconds"] for r in x); ht = statistics.median(r["seconds"] for r in h)
print(f"W4 training, flights training set: {x[0]['train_rows']} train rows, {x[0]['test_rows']} test rows, "
      f"10 features, 200 rounds depth 6: {runs} runs each, {threads} threads")
print(f"  cairn train (everything)   median {cw:.3f} s  test AUC {cauc:.5f}  peak RSS {mem('c'):.0f} MiB")
print(f"  python xgboost (fit+pred)  median {xt:.3f} s  test AUC {x[0]['auc']:.5f}  peak RSS {mem('x'):.0f} MiB")
print(f"  python xgboost watching validation (fit+pred) median {vt:.3f} s  test AUC {v[0]['auc']:.5f}  peak RSS {mem('v'):.0f} MiB")
print(f"  sklearn HistGBC (fit+pred) median {ht:.3f} s  test AUC {h[0]['auc']:.5f}  peak RSS {mem('h'):.0f} MiB")
print(f"  cairn overhead over raw XGBoost: {100 * (cw / xt - 1):+.1f} % (fit + predict only), "
      f"{100 * (cw / vt - 1):+.1f} % (watching validation, as Cairn does; target <= 10 %); "
      f"AUC difference {cauc - x[0]['auc']:+.5f} (target within 0.002); cairn vs HistGBC {ht / cw:.2f}x")
PY
