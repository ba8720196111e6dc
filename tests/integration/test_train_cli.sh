#!/usr/bin/env bash
# tests/integration/test_train_cli.sh: `cairn train` end to end on a synthetic, seeded data
# set (made by numpy so that nobody here picked the numbers): the report's parts and
# leaderboard, boosted trees beating a logistic baseline on a non-linear signal (gate passed,
# DeLong and McNemar present), calibration lowering the ECE, a cost-chosen threshold, slices
# and fairness groups that sum to the whole, importance ranking the real signal first, the
# runs recorded (job run finished, a child run per candidate, trial runs under the search);
# then a search killed mid-way and run again: it resumes the same job run, reads finished
# trials back instead of retraining them, and ends with exactly the metrics of an
# uninterrupted run. Config errors name file, line and key.
# Env: CAIRN (the binary), CAIRN_TOP. Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=${TRAIN_TEST_TMP:-$(mktemp -d)}; mkdir -p "$tmp"; trap 'kill %1 2>/dev/null; [ -n "${TRAIN_TEST_TMP:-}" ] || rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
# jget EXPR: EXPR evaluated with the JSON document's keys in scope
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=(function(){with(o){return eval(process.argv[1])}})(); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }

# 6,000 rows over 2001-01..06: x1 and x2 interact (a tree finds it, a line does not), x3 is
# noise, seg is a category, grp a protected attribute that shifts the base rate
/usr/bin/python3 - "$tmp/data.csv" <<'PY' || { echo "FAIL: numpy could not make the data"; exit 1; }
import sys, numpy as np
rng = np.random.default_rng(7)
n = 6000
t = np.sort(rng.integers(978307200, 993945600, n))            # 2001-01-01 .. 2001-07-01
x1, x2, x3 = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
seg = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
grp = rng.choice(["a", "b"], n)
logit = 1.6 * np.sign(x1 * x2) + 0.5 * x1 - 1.0 + 0.4 * (grp == "a")
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
with open(sys.argv[1], "w") as f:
    f.write("ts,x1,x2,x3,seg,grp,label\n")
    for i in range(n):
        ts = np.datetime_as_string(np.datetime64(int(t[i]), "s")) + "Z"
        f.write(f"{ts},{x1[i]:.6f},{x2[i]:.6f},{x3[i]:.6f},{seg[i]},{grp[i]},{y[i]}\n")
PY

cat > "$tmp/train.yaml" <<EOF
experiment: synth
training_set: $tmp/data.csv
label: label
time: ts
split:
  train: [2001-01-01, 2001-05-01]
  validation: [2001-05-01, 2001-06-01]
  test: [2001-06-01, 2001-07-01]
learners:
  - name: gbt
    learner: xgboost
    params: {max_depth: 4, eta: 0.1}
    rounds: 120
    early_stopping: 15
    search:
      trials: 8
      pruner: asha
      space: {max_depth: {int: [2, 6]}, eta: {float: [0.05, 0.3], log: true}}
baseline: {learner: logistic}
gate: {metric: roc_auc, margin: 0.01}
costs: {false_positive: 1, false_negative: 3}
slices: [{column: seg}]
fairness: [{attribute: grp, privileged: a}]
bootstrap: {resamples: 200}
explain: {rows: 500}
EOF

export CAIRN_HOME="$tmp/home"
"$cairn" --quiet init
run "$cairn" --json train "$tmp/train.yaml"
check "train exits 0 ($err)" test "$rc" = 0
echo "$out" > "$tmp/report1.json"
check "leaderboard: gbt and the baseline" test "$(jget 'leaderboard.map(e=>e.name).join()' <<<"$out")" = "gbt,baseline"
check "best is gbt" test "$(jget best <<<"$out")" = gbt
rows_total=$(jget 'rows.train+rows.validation+rows.calibration+rows.test+rows.dropped' <<<"$out")
check "the parts hold every row ($rows_total)" test "$rows_total" = 6000
check "a calibration part" test "$(jget 'rows.calibration>0' <<<"$out")" = true
check "gbt beats logistic on an interaction" test "$(jget 'leaderboard[0].test.roc_auc.value>leaderboard[1].test.roc_auc.value+0.05' <<<"$out")" = true
check "interval holds the estimate" test "$(jget 'leaderboard[0].test.roc_auc.low<=leaderboard[0].test.roc_auc.value&&leaderboard[0].test.roc_auc.value<=leaderboard[0].test.roc_auc.high' <<<"$out")" = true
check "gate passed" test "$(jget gate.passed <<<"$out")" = true
check "DeLong p small" test "$(jget 'significance.delong.p_value<0.001' <<<"$out")" = true
check "DeLong AUC = the leaderboard's (calibration is monotone)" test "$(jget 'Math.abs(significance.delong.auc-leaderboard[0].test.roc_auc.value)<1e-12' <<<"$out")" = true
check "McNemar counts" test "$(jget 'significance.mcnemar.only_model_right>significance.mcnemar.only_baseline_right' <<<"$out")" = true
check "calibration lowers the ECE" test "$(jget 'leaderboard[0].calibration.ece_after<leaderboard[0].calibration.ece_before' <<<"$out")" = true
check "cost threshold below 0.5 (misses cost 3x)" test "$(jget 'leaderboard[0].cost.threshold<0.5' <<<"$out")" = true
check "8 trials, some pruned" test "$(jget 'leaderboard[0].search.trials===8&&leaderboard[0].search.pruned>0' <<<"$out")" = true
check "slice rows sum to the test rows" test "$(jget 'slices[0].segments.filter(s=>s.value!=="(all)").reduce((a,s)=>a+s.rows,0)===rows.test' <<<"$out")" = true
check "fairness: two groups" test "$(jget 'fairness[0].groups.length' <<<"$out")" = 2
check "fairness: DI = ratio of selection rates" test "$(jget 'Math.abs(fairness[0].disparate_impact-fairness[0].groups.find(g=>g.value==="b").selection_rate/fairness[0].groups.find(g=>g.value==="a").selection_rate)<1e-12' <<<"$out")" = true
check "SHAP ranks x1 or x2 first, x3 last of the numbers" test "$(jget '["x1","x2"].includes(importance.shap[0].feature)&&importance.shap.findIndex(f=>f.feature==="x3")>1' <<<"$out")" = true
check "seg one-hot encoded" test "$(jget 'importance.permutation.some(f=>f.feature.startsWith("seg="))' <<<"$out")" = true
check "timing recorded" test "$(jget 'cost.wall_seconds>0&&cost.peak_rss_kb>0' <<<"$out")" = true
run1=$(jget run <<<"$out")

# the text report
run "$cairn" train "$tmp/train.yaml" --no-resume
check "text exits 0" test "$rc" = 0
check "text: leaderboard" has "$out" "leaderboard"
check "text: gate" has "$out" "gate: PASSED"
check "text: slice" has "$out" "slice seg:"
check "text: summary" has "$err" "best gbt, gate passed"
check "text: progress lines" has "$err" "gbt trial 7:"
check "importance compared with the previous job's" has "$err" "importance (shap) against run ${run1:0:12}: Spearman"

# a search killed mid-way resumes: finished trials are read back, the result is the same
export CAIRN_HOME="$tmp/home2"
"$cairn" --quiet init
"$cairn" train "$tmp/train.yaml" >"$tmp/killed.out" 2>"$tmp/killed.err" &
pid=$!
for _ in $(seq 600); do grep -q "gbt trial 3:" "$tmp/killed.err" && break; sleep 0.05; done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
check "killed during the search" grep -q "gbt trial 3:" "$tmp/killed.err"
check "killed before the end" test "$(grep -c 'best gbt' "$tmp/killed.err")" = 0
run "$cairn" --json train "$tmp/train.yaml"
check "resume exits 0 ($err)" test "$rc" = 0
check "resumes the run" has "$err" "resuming run"
check "finished trials read back" test "$(grep -c 'finished before: read back' <<<"$err")" -ge 4
check "resumed flag" test "$(jget resumed <<<"$out")" = true
for m in roc_auc log_loss brier; do
    check "resumed $m equals the uninterrupted run's" test "$(jget "leaderboard[0].test.$m.value" <<<"$out")" = "$(jget "leaderboard[0].test.$m.value" < "$tmp/report1.json")"
done
check "same trials pruned" test "$(jget leaderboard[0].search.pruned <<<"$out")" = "$(jget leaderboard[0].search.pruned < "$tmp/report1.json")"

# a trial killed after a checkpoint carries on from it, under the same run, and the search
# ends with exactly the metrics of an uninterrupted one (row and column sampling included)
cat > "$tmp/ckpt.yaml" <<EOF
experiment: ckpt
training_set: $tmp/data.csv
label: label
time: ts
split: {train: [2001-01-01, 2001-05-01], validation: [2001-05-01, 2001-06-01], test: [2001-06-01, 2001-07-01]}
learners:
  - name: gbt
    learner: xgboost
    params: {eta: 0.02, subsample: 0.8, colsample_bytree: 0.8}
    rounds: 1500
    early_stopping: 0
    checkpoint: 300
    search: {sampler: grid, pruner: none, space: {max_depth: [5, 6]}}
baseline: {learner: logistic}
bootstrap: {resamples: 50}
explain: {shap: false, permutation: false}
EOF
export CAIRN_HOME="$tmp/home4"
"$cairn" --quiet init
run "$cairn" --json train "$tmp/ckpt.yaml"
check "checkpointed search exits 0 ($err)" test "$rc" = 0
echo "$out" > "$tmp/ckpt1.json"
export CAIRN_HOME="$tmp/home5"
"$cairn" --quiet init
"$cairn" train "$tmp/ckpt.yaml" >"$tmp/ck.out" 2>"$tmp/ck.err" &
pid=$!
trial1=""; at=0
for _ in $(seq 1200); do
    kill -0 "$pid" 2>/dev/null || break
    [ -n "$trial1" ] || trial1=$("$cairn" --json runs list ckpt --tag cairn.trial=1 2>/dev/null | jget 'runs.length?runs[0].id:""' 2>/dev/null)
    if [ -n "$trial1" ]; then
        at=$("$cairn" --json runs show "$trial1" 2>/dev/null | jget 'tags["cairn.checkpoint"]||0' 2>/dev/null)
        [ "${at:-0}" -ge 300 ] 2>/dev/null && break
    fi
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
check "killed after trial 1's checkpoint ($at)" test "${at:-0}" -ge 300
check "killed before trial 1 ended" test "$(grep -c 'gbt trial 1: complete' "$tmp/ck.err")" = 0
run "$cairn" --json train "$tmp/ckpt.yaml"
check "carry-on exits 0 ($err)" test "$rc" = 0
check "trial 0 read back" has "$err" "gbt trial 0: complete"
check "trial 1 on from its checkpoint" grep -qE "gbt trial 1: interrupted before, on from its checkpoint at round (300|600|900|1200)" <<<"$err"
for m in roc_auc log_loss brier; do
    check "carried-on $m equals the uninterrupted run's" test "$(jget "leaderboard[0].test.$m.value" <<<"$out")" = "$(jget "leaderboard[0].test.$m.value" < "$tmp/ckpt1.json")"
done
run "$cairn" --json runs show "$trial1"
check "trial 1 finished under its first run" test "$(jget status <<<"$out")" = FINISHED
check "trial 1 owned by the process that finished it" test "$(jget 'tags["cairn.pid"]' <<<"$out")" != "$pid"
check "its series has each round once" test "$(jget 'metrics.valid_logloss.count' <<<"$out")" = 1500

# regression and multiclass on the same data: x3 is noise (R^2 near 0, the gate fails), the
# label as two classes
for task in regression multiclass; do
    label=$([ "$task" = regression ] && echo x3 || echo label)
    printf 'experiment: %s\ntraining_set: %s\ntask: %s\nlabel: %s\ntime: ts\nexclude: [label, x3]\nsplit: {train: [2001-01-01, 2001-05-01], validation: [2001-05-01, 2001-06-01], test: [2001-06-01, 2001-07-01]}\nlearners: [{learner: xgboost, rounds: 40}]\nbootstrap: {resamples: 100}\n' \
        "$task" "$tmp/data.csv" "$task" "$label" > "$tmp/$task.yaml"
    run "$cairn" --json train "$tmp/$task.yaml"
    check "$task exits 0 ($err)" test "$rc" = 0
done
run "$cairn" --json train "$tmp/regression.yaml"
check "regression: rmse, mae, r2" test "$(jget 'Object.keys(leaderboard[0].test).join()' <<<"$out")" = "rmse,mae,r2"
check "regression: noise has R^2 near 0" test "$(jget 'Math.abs(leaderboard[0].test.r2.value)<0.05' <<<"$out")" = true
check "regression: the gate fails on noise" test "$(jget gate.passed <<<"$out")" = false
run "$cairn" --json train "$tmp/multiclass.yaml"
check "multiclass: accuracy and macro F1" test "$(jget 'Object.keys(leaderboard[0].test).slice(0,2).join()' <<<"$out")" = "accuracy,f1_macro"

# the credit example: Weka's German credit data (ARFF), a text label, stratified folds,
# fairness by sex (mapped from the personal status) and by age group (cut at 25)
export CAIRN_HOME="$tmp/home3"
"$cairn" --quiet init
arff=/usr/share/doc/weka/examples/credit-g.arff
if [ -f "$arff" ]; then
    run "$cairn" --json train "$top/examples/credit/train.yaml"
    check "credit exits 0 ($err)" test "$rc" = 0
    check "credit: stratified folds of 1,000 rows" test "$(jget 'rows.test===200&&rows.train===600&&rows.validation+rows.calibration===200' <<<"$out")" = true
    check "credit: three candidates" test "$(jget 'leaderboard.length' <<<"$out")" = 3
    check "credit: fairness by sex and age" test "$(jget 'fairness.map(f=>f.attribute).join()' <<<"$out")" = "sex,age_group"
    check "credit: sex groups" test "$(jget 'fairness[0].groups.map(g=>g.value).sort().join()' <<<"$out")" = "female,male"
    check "credit: age groups" test "$(jget 'fairness[1].groups.map(g=>g.value).sort().join()' <<<"$out")" = "<= 25,> 25"
    check "credit: groups cover the test rows" test "$(jget 'fairness.every(f=>f.groups.reduce((a,g)=>a+g.rows,0)===200)' <<<"$out")" = true
    check "credit: SPD = SR_u - SR_p by hand" test "$(jget 'fairness.every(f=>{const p=f.groups.find(g=>g.value===f.privileged),u=f.groups.find(g=>g.value!==f.privileged);return Math.abs(f.statistical_parity_difference-(u.selection_rate-p.selection_rate))<1e-12})' <<<"$out")" = true
    check "credit: DP difference = max - min selection rate" test "$(jget 'fairness.every(f=>{const r=f.groups.map(g=>g.selection_rate);return Math.abs(f.demographic_parity_difference-(Math.max(...r)-Math.min(...r)))<1e-12})' <<<"$out")" = true
    check "credit: DI flag follows the 80% rule" test "$(jget 'fairness.every(f=>f.disparate_impact_flag===(f.disparate_impact<0.8))' <<<"$out")" = true
    check "credit: nested CV for both learners, not the baseline" test "$(jget 'leaderboard.map(e=>!!e.nested).join()' <<<"$out")" = "true,true,false"
    check "credit: 5 outer folds, each tested on its own rows" test "$(jget 'leaderboard[0].nested.folds.length===5&&leaderboard[0].nested.folds.reduce((a,f)=>a+f.test_rows,0)===rows.train+rows.validation' <<<"$out")" = true
    check "credit: nested mean = mean of the folds" test "$(jget 'leaderboard.slice(0,2).every(e=>Math.abs(e.nested.mean-e.nested.folds.reduce((a,f)=>a+f.outer_score,0)/5)<1e-12)' <<<"$out")" = true
    check "credit: nested AUC is a probability" test "$(jget 'leaderboard[0].nested.mean>0.5&&leaderboard[0].nested.mean<1' <<<"$out")" = true
    check "credit: the searched learner's folds chose among its 8 trials" test "$(jget 'leaderboard[0].nested.trials===8' <<<"$out")" = true
else
    bad "credit-g.arff is missing: install Debian's weka package (scripts/debian-packages.txt)"
fi

# config errors name file, line and key
printf 'training_set: x\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: forest}]\n' > "$tmp/bad.yaml"
run "$cairn" train "$tmp/bad.yaml"
check "bad learner exits 1" test "$rc" = 1
check "bad learner: file:line:column and key" has "$err" "bad.yaml:4:22: key 'learner'"
printf 'training_set: %s\nlabel: nope\nsplit: {kind: random}\nlearners: [{learner: xgboost}]\n' "$tmp/data.csv" > "$tmp/bad2.yaml"
run "$cairn" train "$tmp/bad2.yaml"
check "missing label column exits 1" test "$rc" = 1
check "missing label column named" has "$err" "no column 'nope'"

echo "$pass passed, $fail failed"
test "$fail" = 0
