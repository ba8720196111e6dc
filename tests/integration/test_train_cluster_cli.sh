#!/usr/bin/env bash
# tests/integration/test_train_cluster_cli.sh: `cairn train` with `task: clustering`
# (src/train/cluster.c) end to end on four well-separated Gaussian blobs made by numpy, one
# feature in units a hundred times larger than the others: a grid search over k = 2..6 picks
# k = 4 by silhouette on validation; the test part's silhouette, Davies-Bouldin and
# Calinski-Harabasz equal scikit-learn's on the same rows and clusters (recomputed from the
# data, the bundle's standardisation and the exported assignments predictions/test.csv) within
# 1e-9, and the clusters recover the blobs; the runs (a job run with its parameters and test
# metrics, one child per k with its validation metrics), the text report, other selection
# metrics, standardize: false, a label that is left out, a second identical run, and errors
# (a learner that is not kmeans, a selection metric that is not a clustering one).
# Env: CAIRN (the binary), CAIRN_TOP. Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=${CLUSTER_TEST_TMP:-$(mktemp -d)}; mkdir -p "$tmp"; trap '[ -n "${CLUSTER_TEST_TMP:-}" ] || rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
# pj EXPR: EXPR evaluated by Python with the JSON document on stdin as `o`
pj() { /usr/bin/python3 -c 'import json, sys; o = json.load(sys.stdin); v = eval(sys.argv[1]); print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1"; }
/usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null ||
    { echo "FAIL: scikit-learn is missing: apt-get install python3-sklearn"; exit 1; }

# 3,000 rows around four centres; c is in hundreds (standardisation must bring it in line),
# blob is the truth (never a feature), id a key
/usr/bin/python3 - "$tmp/blobs.csv" <<'PY' || { echo "FAIL: numpy could not make the data"; exit 1; }
import sys, numpy as np
rng = np.random.default_rng(2024)
centres = np.array([[0, 0, 0], [6, 0, 3], [0, 7, -3], [6, 6, 4]], float)
n = 3000
blob = rng.integers(0, 4, n)
x = centres[blob] + rng.normal(scale=0.8, size=(n, 3))
x[:, 2] *= 100
with open(sys.argv[1], "w") as f:
    f.write("id,a,b,c,blob\n")
    for i in range(n):
        f.write(f"{i},{x[i,0]:.6f},{x[i,1]:.6f},{x[i,2]:.4f},{blob[i]}\n")
PY

yaml() { # yaml NAME LEARNER-EXTRA TOP-EXTRA
    cat > "$tmp/$1.yaml" <<EOF
experiment: blobs
training_set: $tmp/blobs.csv
task: clustering
exclude: [id, blob]
seed: 7
split: {kind: random, k: 5}
learners:
  - name: km
    learner: kmeans
    params: {n_init: 4$2}
    search: {sampler: grid, space: {k: {int: [2, 6]}}}
$3
EOF
}
yaml blobs "" ""

export CAIRN_HOME="$tmp/home"
"$cairn" --quiet init
export CAIRN_GIT_COMMIT=0123abc
run "$cairn" --json train "$tmp/blobs.yaml"
check "train exits 0 ($err)" test "$rc" = 0
echo "$out" > "$tmp/report.json"
check "task clustering" test "$(pj 'o["task"]' <<<"$out")" = clustering
check "select silhouette by default" test "$(pj 'o["select_metric"]' <<<"$out")" = silhouette
check "standardised by default" test "$(pj 'o["standardize"]' <<<"$out")" = true
check "k = 2..6 tried" test "$(pj '",".join(e["name"] for e in o["leaderboard"])' <<<"$out")" = "km k=2,km k=3,km k=4,km k=5,km k=6"
check "k = 4 chosen" test "$(pj 'o["best"] + " " + str(o["best_k"])' <<<"$out")" = "km k=4 4"
check "k = 4 has the best validation silhouette" test "$(pj 'max(o["leaderboard"], key=lambda e: e["valid"]["silhouette"])["k"]' <<<"$out")" = 4
check "k = 4 has the lowest validation Davies-Bouldin" test "$(pj 'min(o["leaderboard"], key=lambda e: e["valid"]["davies_bouldin"])["k"]' <<<"$out")" = 4
check "inertia falls with k" test "$(pj 'all(a["valid"]["inertia"] > b["valid"]["inertia"] for a, b in zip(o["leaderboard"], o["leaderboard"][1:]))' <<<"$out")" = true
check "the parts hold every row" test "$(pj 'sum(o["rows"].values())' <<<"$out")" = 3000
check "no calibration part" test "$(pj 'o["rows"]["calibration"]' <<<"$out")" = 0
check "cluster rows sum to the training rows" test "$(pj 'all(sum(c["rows"] for c in e["clusters"]) == o["rows"]["train"] for e in o["leaderboard"])' <<<"$out")" = true
check "cluster test rows sum to the test rows" test "$(pj 'all(sum(c["test_rows"] for c in e["clusters"]) == o["rows"]["test"] for e in o["leaderboard"])' <<<"$out")" = true
check "shares sum to 1" test "$(pj 'abs(sum(c["share"] for c in o["leaderboard"][2]["clusters"]) - 1) < 1e-12' <<<"$out")" = true
check "each blob a quarter of the rows" test "$(pj 'all(0.2 < c["share"] < 0.3 for c in o["leaderboard"][2]["clusters"])' <<<"$out")" = true
check "centres in the features' units (c in hundreds)" test "$(pj 'max(abs(c["centroid"]["c"]) for c in o["leaderboard"][2]["clusters"]) > 250' <<<"$out")" = true
check "a note on standardisation" test "$(pj 'any("standardised" in n for n in o["notes"])' <<<"$out")" = true
check "timing recorded" test "$(pj 'o["cost"]["wall_seconds"] > 0 and o["cost"]["peak_rss_kb"] > 0' <<<"$out")" = true
check "progress: one line per k" test "$(grep -c 'km k=[2-6]: valid silhouette' <<<"$err")" = 5
check "summary line" has "$err" "best km k=4, test silhouette"
run1=$(pj 'o["run"]' <<<"$out")

# the artifacts: the bundle's standardisation and the test rows' clusters; scikit-learn
# recomputes the test metrics from the data
"$cairn" --json runs show "$run1" > "$tmp/show.json" 2>/dev/null
obj() { pj "[a[\"object\"] for a in o[\"artifacts\"] if a[\"path\"] == \"$1\"][0]" < "$tmp/show.json"; }
artifact() { local id; id=$(obj "$1"); cat "$CAIRN_HOME/objects/${id:0:2}/$id"; }
check "artifacts" test "$(pj '",".join(sorted(a["path"] for a in o["artifacts"]))' < "$tmp/show.json")" = "model/bundle.json,model/model.cairn,predictions/test.csv,report.json"
artifact model/bundle.json > "$tmp/bundle.json"
artifact predictions/test.csv > "$tmp/test.csv"
check "bundle: features and standardisation" test "$(pj '",".join(o["features"]) + " " + str(len(o["standardize"]["std"])) + " " + str(o["k"])' < "$tmp/bundle.json")" = "a,b,c 3 4"
check "predictions: one line per test row" test "$(($(wc -l < "$tmp/test.csv") - 1))" = "$(pj 'o["rows"]["test"]' < "$tmp/report.json")"
sk=$(/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
import numpy as np
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score,
                             silhouette_score)
d = sys.argv[1]
raw = np.loadtxt(f"{d}/blobs.csv", delimiter=",", skiprows=1)
bundle = json.load(open(f"{d}/bundle.json"))
report = json.load(open(f"{d}/report.json"))
pred = np.loadtxt(f"{d}/test.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
rows, labels = pred[:, 0], pred[:, 1]
# what cairn clusters: the CSV's numbers as float32, then (x - mean) / std in double
x = raw[rows][:, 1:4].astype(np.float32).astype(np.float64)
z = (x - np.array(bundle["standardize"]["mean"])) / np.array(bundle["standardize"]["std"])
best = [e for e in report["leaderboard"] if e["name"] == report["best"]][0]["test"]
def rel(a, b): return abs(a - b) / max(1.0, abs(b))
print(json.dumps({
    "silhouette": rel(best["silhouette"], silhouette_score(z, labels)),
    "davies_bouldin": rel(best["davies_bouldin"], davies_bouldin_score(z, labels)),
    "calinski_harabasz": rel(best["calinski_harabasz"], calinski_harabasz_score(z, labels)),
    "ari": adjusted_rand_score(raw[rows][:, 4].astype(int), labels),
    "clusters": len(set(labels.tolist())),
}))
PY
)
check "sklearn recomputed the test metrics" test -n "$sk"
echo "sklearn on the test part: $sk"
for m in silhouette davies_bouldin calinski_harabasz; do
    check "test $m equals sklearn's within 1e-9 ($(pj "o['$m']" <<<"$sk"))" test "$(pj "o['$m'] <= 1e-9" <<<"$sk")" = true
done
check "the clusters are the blobs (adjusted Rand $(pj 'o["ari"]' <<<"$sk"))" test "$(pj 'o["ari"] > 0.99' <<<"$sk")" = true

# the runs: the job run, one child per k
"$cairn" --json runs list blobs --parent "$run1" > "$tmp/children.json" 2>/dev/null
check "one child run per k" test "$(pj 'o["count"]' < "$tmp/children.json")" = 5
"$cairn" --json runs list blobs --parent "$run1" --order-by -metric:valid_silhouette --limit 1 > "$tmp/top.json" 2>/dev/null
check "children ranked by valid_silhouette: k = 4 first" test "$(pj 'o["runs"][0]["name"]' < "$tmp/top.json")" = "km k=4"
check "job run: params" test "$(pj '",".join(o["params"][k] for k in ("task", "seed", "git_commit", "select_metric", "standardize"))' < "$tmp/show.json")" = "clustering,7,0123abc,silhouette,true"
check "job run: training set and version" test "$(pj '"training_set" in o["params"] and "cairn_version" in o["params"]' < "$tmp/show.json")" = true
check "job run: test silhouette = the report's" test "$(pj 'o["metrics"]["test_silhouette"]["latest"] if isinstance(o["metrics"], dict) else [m for m in o["metrics"] if m["key"] == "test_silhouette"][0]["latest"]' < "$tmp/show.json")" = "$(pj '[e for e in o["leaderboard"] if e["name"] == o["best"]][0]["test"]["silhouette"]' < "$tmp/report.json")"
check "job run finished" test "$(pj 'o["status"]' < "$tmp/show.json")" = FINISHED
child=$(pj 'o["runs"][0]["id"]' < "$tmp/top.json")
"$cairn" --json runs show "$child" > "$tmp/child.json" 2>/dev/null
check "child: k and validation metrics" test "$(pj 'o["params"]["k"] + " " + str(sorted(m for m in (o["metrics"] if isinstance(o["metrics"], dict) else {x["key"]: x for x in o["metrics"]}) if m.startswith("valid_")))' < "$tmp/child.json")" = "4 ['valid_calinski_harabasz', 'valid_davies_bouldin', 'valid_inertia', 'valid_silhouette']"
check "child: its model" has "$(pj '[a["path"] for a in o["artifacts"]]' < "$tmp/child.json")" "model/model.cairn"

# the same job again: a new run (the first finished), the same numbers
run "$cairn" --json train "$tmp/blobs.yaml"
check "second run exits 0 ($err)" test "$rc" = 0
check "a new job run" test "$(pj 'o["run"]' <<<"$out")" != "$run1"
check "the same metrics, bit for bit" test "$(pj '[e["valid"] for e in o["leaderboard"]] + [e["test"] for e in o["leaderboard"]]' <<<"$out")" = "$(pj '[e["valid"] for e in o["leaderboard"]] + [e["test"] for e in o["leaderboard"]]' < "$tmp/report.json")"

# the text report
run "$cairn" train "$tmp/blobs.yaml"
check "text exits 0" test "$rc" = 0
check "text: the k tried" has "$out" "k tried (validation part; * = best by silhouette)"
check "text: the best marked" has "$out" "* km k=4"
check "text: test metrics" has "$out" "km k=4 on the test part: silhouette"
check "text: cluster table" test "$(grep -cE '^ +[0-3] +[0-9,]+ +[0-9.]+% ' <<<"$out")" = 4

# other selection metrics
yaml db "" "select: davies_bouldin"
run "$cairn" --json train "$tmp/db.yaml"
check "select davies_bouldin exits 0 ($err)" test "$rc" = 0
check "davies_bouldin (lower is better) picks k = 4" test "$(pj 'o["select_metric"] + " " + str(o["best_k"])' <<<"$out")" = "davies_bouldin 4"
yaml ch "" "select: calinski_harabasz"
run "$cairn" --json train "$tmp/ch.yaml"
check "calinski_harabasz picks k = 4" test "$(pj 'o["best_k"]' <<<"$out")" = 4
yaml inertia "" "select: inertia"
run "$cairn" --json train "$tmp/inertia.yaml"
check "inertia picks the largest k, and says why" test "$(pj 'str(o["best_k"]) + " " + str(any("largest k" in n for n in o["notes"]))' <<<"$out")" = "6 True"

# features in their own units: c dominates the distances
yaml raw ", standardize: false" ""
run "$cairn" --json train "$tmp/raw.yaml"
check "standardize false exits 0 ($err)" test "$rc" = 0
check "standardize false reported" test "$(pj 'str(o["standardize"]) + " " + str(any("own units" in n for n in o["notes"]))' <<<"$out")" = "False True"
check "centres in the features' units" test "$(pj 'max(abs(c["centroid"]["c"]) for c in o["leaderboard"][2]["clusters"]) > 250' <<<"$out")" = true

# a label is left out of the features, and only steers the split
sed -e 's/^task: clustering/task: clustering\nlabel: blob/' -e 's/exclude: \[id, blob\]/exclude: [id]/' \
    -e 's/kind: random/kind: stratified/' "$tmp/blobs.yaml" > "$tmp/label.yaml"
run "$cairn" --json train "$tmp/label.yaml"
check "with a label exits 0 ($err)" test "$rc" = 0
check "with a label: k = 4, label noted" test "$(pj 'str(o["best_k"]) + " " + str(any("label" in n for n in o["notes"]))' <<<"$out")" = "4 True"

# errors
sed 's/learner: kmeans/learner: xgboost/; s/name: km/name: gbt/' "$tmp/blobs.yaml" > "$tmp/bad.yaml"
run "$cairn" train "$tmp/bad.yaml"
check "a supervised learner exits 1" test "$rc" = 1
check "a supervised learner: named, and why" has "$err" "learner 'gbt' is xgboost: a clustering task takes only the kmeans learner"
yaml badsel "" "select: roc_auc"
run "$cairn" train "$tmp/badsel.yaml"
check "a supervised selection metric exits 1" test "$rc" = 1
check "a supervised selection metric: named" has "$err" "key 'select': expected a clustering metric (silhouette, davies_bouldin, calinski_harabasz, inertia), found roc_auc"
yaml both ", n_clusters: 3" ""
run "$cairn" train "$tmp/both.yaml"
check "k and n_clusters together exit 1" test "$rc" = 1
check "k and n_clusters together: said" has "$err" "give k or n_clusters, not both"

echo "$pass passed, $fail failed"
test "$fail" = 0
