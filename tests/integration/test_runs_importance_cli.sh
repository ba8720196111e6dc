#!/usr/bin/env bash
# tests/integration/test_runs_importance_cli.sh: `cairn runs importance` end to end. numpy
# makes a small seeded training set where x1 carries most of the signal, x2 some, and n1..n3
# none; `cairn train` fits it with configs that differ only in the seed (row and column
# sampling make the importances differ a little). Then on the job runs: text and JSON output,
# x1 ranked first in both, Spearman and Kendall within [-1, 1] and equal (1e-12) to scipy's
# on the two importance lists of the JSON, the top-K overlap recomputed, --kind, --top,
# --experiment/--last (oldest first), and errors that name the run: an unknown run, a
# candidate run without a report, an unknown experiment, usage errors.
# Then hand-made reports logged through the C API: features missing on either side, null
# values, runs with one kind only (the default kind, and no kind in common), reports without
# importance or malformed, and --experiment skipping the runs that have none.
# Env: CAIRN (the binary), CAIRN_TOP, CAIRN_BUILD (the build dir, for libcairn.so),
# CAIRN_CFLAGS (the build's sanitizer flags). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
# py EXPR: EXPR evaluated by python with the JSON document on stdin as o
py() { /usr/bin/python3 -c 'import json, sys; o = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

/usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null || { echo "FAIL: numpy and scipy are needed"; exit 1; }
/usr/bin/python3 - "$tmp/data.csv" <<'PY' || { echo "FAIL: numpy could not make the data"; exit 1; }
import sys, numpy as np
rng = np.random.default_rng(11)
n = 3000
t = np.sort(rng.integers(978307200, 993945600, n))            # 2001-01-01 .. 2001-07-01
x1, x2, n1, n2, n3 = (rng.normal(size=n) for _ in range(5))
logit = 2.5 * x1 + 0.8 * x2 - 0.3
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
with open(sys.argv[1], "w") as f:
    f.write("ts,x1,x2,n1,n2,n3,label\n")
    for i in range(n):
        ts = np.datetime_as_string(np.datetime64(int(t[i]), "s")) + "Z"
        f.write(f"{ts},{x1[i]:.6f},{x2[i]:.6f},{n1[i]:.6f},{n2[i]:.6f},{n3[i]:.6f},{y[i]}\n")
PY
for seed in 1 2 3; do
    cat > "$tmp/train$seed.yaml" <<YAML
experiment: imp
training_set: $tmp/data.csv
label: label
time: ts
seed: $seed
split:
  train: [2001-01-01, 2001-05-01]
  validation: [2001-05-01, 2001-06-01]
  test: [2001-06-01, 2001-07-01]
learners:
  - name: gbt
    learner: xgboost
    params: {max_depth: 3, eta: 0.3, subsample: 0.7, colsample_bytree: 0.8}
    rounds: 30
bootstrap: {resamples: 50}
explain: {rows: 500}
YAML
done

"$cairn" --quiet init
run "$cairn" --json train "$tmp/train1.yaml"
check "train seed 1 exits 0 ($err)" test "$rc" = 0
runA=$(py 'o["run"]' <<<"$out")
run "$cairn" --json train "$tmp/train2.yaml"
check "train seed 2 exits 0 ($err)" test "$rc" = 0
runB=$(py 'o["run"]' <<<"$out")
check "two job runs" test -n "$runA" -a -n "$runB" -a "$runA" != "$runB"

# text
run "$cairn" runs importance "${runA:0:8}" "${runB:0:8}"
check "text exits 0 ($err)" test "$rc" = 0
check "text: the table header" has "$out" "FEATURE"
check "text: both runs as columns" has "$out" "${runB:0:12}"
check "text: x1 first, rank 1 in both" grep -qE '^x1 +1 +[0-9.e-]+ +1 ' <<<"$(sed -n '/^FEATURE/{n;p}' <<<"$out")"
check "text: stability block" has "$out" "stability against run 1 (${runA:0:12})"
check "text: top-10 column" has "$out" "TOP-10"
check "text: one-line summary" has "$err" "shap importance of 2 runs, 5 features: Spearman"

# JSON against scipy
run "$cairn" --json runs importance "$runA" "$runB"
check "json exits 0 ($err)" test "$rc" = 0
echo "$out" > "$tmp/imp.json"
check "json: kind shap (the default)" test "$(py 'o["kind"]' <<<"$out")" = shap
check "json: x1 ranked first in both runs" test "$(py '[r["importance"][0]["feature"] for r in o["runs"]]' <<<"$out")" = "['x1', 'x1']"
check "json: x1 the first row, rank 1 in both" test "$(py 'o["features"][0]["feature"], o["features"][0]["ranks"]' <<<"$out")" = "('x1', [1, 1])"
check "json: 5 features in the union" test "$(py 'len(o["features"])' <<<"$out")" = 5
check "json: Spearman in [-1, 1]" test "$(py '-1 <= o["stability"][0]["spearman"] <= 1' <<<"$out")" = True
/usr/bin/python3 - "$tmp/imp.json" >"$tmp/scipy.out" 2>&1 <<'PY'
import json, sys
from scipy import stats
o = json.load(open(sys.argv[1]))
a, b = ({f["feature"]: f["value"] for f in r["importance"] if f["value"] is not None}
        for r in o["runs"])
common = sorted(set(a) & set(b))
x, y = [a[f] for f in common], [b[f] for f in common]
s = o["stability"][0]
problems = []
rho, tau = stats.spearmanr(x, y).statistic, stats.kendalltau(x, y).statistic
if abs(s["spearman"] - rho) > 1e-12:
    problems.append(f"spearman {s['spearman']!r} != scipy {rho!r}")
if abs(s["kendall_tau_b"] - tau) > 1e-12:
    problems.append(f"kendall {s['kendall_tau_b']!r} != scipy {tau!r}")
if s["common"] != len(common):
    problems.append(f"common {s['common']} != {len(common)}")
k = min(o["top"], len(a), len(b))
top = lambda m: set(sorted(m, key=lambda f: (-m[f], f))[:k])
if (s["top_k"], s["top_overlap"]) != (k, len(top(a) & top(b))):
    problems.append(f"top-k {s}")
if s["run"] != o["runs"][1]["id"] or s["against"] != o["runs"][0]["id"]:
    problems.append("run ids")
print("; ".join(problems) or f"Spearman {rho}, Kendall {tau}")
sys.exit(1 if problems else 0)
PY
check "json: Spearman, Kendall and top-K equal scipy's ($(cat "$tmp/scipy.out"))" test $? = 0

# options
run "$cairn" --json runs importance "$runA" "$runB" --kind permutation --top 2
check "permutation exits 0 ($err)" test "$rc" = 0
check "permutation: kind and metric" test "$(py 'o["kind"], o["runs"][0]["permutation_metric"]' <<<"$out")" = "('permutation', 'roc_auc')"
check "permutation: top 2" test "$(py 'o["top"], o["stability"][0]["top_k"]' <<<"$out")" = "(2, 2)"
check "permutation: x1 first" test "$(py 'o["runs"][0]["importance"][0]["feature"]' <<<"$out")" = x1
run "$cairn" runs importance "$runA" "$runA" --top 3
check "a run against itself: Spearman 1, top 3/3 ($err)" has "$err" "Spearman 1, Kendall 1, top-3 overlap 3/3"

# an experiment: the last N finished top-level runs with importance, oldest first
run "$cairn" --json train "$tmp/train3.yaml"
check "train seed 3 exits 0 ($err)" test "$rc" = 0
runC=$(py 'o["run"]' <<<"$out")
run "$cairn" --json runs importance --experiment imp
check "experiment exits 0 ($err)" test "$rc" = 0
check "experiment: the three job runs, oldest first" test "$(py '[r["id"] for r in o["runs"]]' <<<"$out")" = "['$runA', '$runB', '$runC']"
check "experiment: two stability rows" test "$(py 'len(o["stability"])' <<<"$out")" = 2
run "$cairn" --json runs importance --experiment imp --last 2
check "experiment --last 2: the newest two" test "$(py '[r["id"] for r in o["runs"]]' <<<"$out")" = "['$runB', '$runC']"
run "$cairn" runs importance --experiment imp
check "experiment text: summary over 3 runs ($err)" has "$err" "shap importance of 3 runs, 5 features: against run 1, Spearman"

# errors name the run
run "$cairn" runs importance "$runA" deadbeef
check "unknown run exits 1" test "$rc" = 1
check "unknown run named ($err)" has "$err" "deadbeef"
child=$("$cairn" --quiet --json runs list imp --parent "$runA" | py 'o["runs"][0]["id"]')
run "$cairn" runs importance "$runA" "$child"
check "a run without a report exits 1" test "$rc" = 1
check "a run without a report named ($err)" has "$err" "run ${child:0:12} has no report.json"
run "$cairn" runs importance --experiment nosuch
check "unknown experiment exits 1 ($err)" test "$rc" = 1
check "unknown experiment named" has "$err" "nosuch"
run "$cairn" runs importance "$runA"
check "one run is a usage error" test "$rc" = 1
check "one run: says why" has "$err" "expected two or more runs"
run "$cairn" runs importance "$runA" "$runB" --kind gain
check "bad --kind exits 1" test "$rc" = 1
check "bad --kind named" has "$err" "--kind: expected shap or permutation, found 'gain'"
run "$cairn" runs importance "$runA" --experiment imp
check "runs and --experiment together exit 1" test "$rc" = 1

# hand-made reports, logged by a small program built against the library (as
# tests/integration/test_runs_cli.sh does): features missing on one side, a null value, runs
# with one kind only, a report without importance, a finished run without a report, a
# malformed list
cat > "$tmp/fixture.c" <<'C'
#include <cairn/cairn.h>
#include <cairn/runs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cairn_home *home;
static cairn_error err;

static void ok(int rc, const char *what)
{
    if (rc == 0) return;
    char msg[1024];
    cairn_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "fixture: %s: %s\n", what, msg);
    exit(1);
}

static void job(const char *experiment, const char *report)
{
    char id[33];
    cairn_run_options o = {.experiment = experiment, .name = "job"};
    ok(cairn_run_create(home, &o, id, &err), "create");
    if (report) ok(cairn_run_log_artifact(home, id, "report.json", report, strlen(report), NULL, &err), "report");
    ok(cairn_run_end(home, id, CAIRN_RUN_FINISHED, &err), "end");
    printf("%s\n", id);
}

int main(int argc, char **argv)
{
    ok(cairn_home_open(argv[1], &home, &err), "open");
    /* h1: shap a > b > c, d null; permutation too */
    job("hand", "{\"importance\": {\"shap\": [{\"feature\": \"a\", \"value\": 3}, {\"feature\": \"b\", \"value\": 2},"
                " {\"feature\": \"c\", \"value\": 1}, {\"feature\": \"d\", \"value\": null}],"
                " \"permutation\": [{\"feature\": \"a\", \"value\": 0.1}, {\"feature\": \"b\", \"value\": 0.2}],"
                " \"permutation_metric\": \"roc_auc\"}}");
    /* h2: shap only, b > a > e; no c or d */
    job("hand", "{\"importance\": {\"shap\": [{\"feature\": \"e\", \"value\": 1}, {\"feature\": \"b\", \"value\": 5},"
                " {\"feature\": \"a\", \"value\": 4}]}}");
    /* h3: permutation only */
    job("hand", "{\"importance\": {\"permutation\": [{\"feature\": \"a\", \"value\": 0.3}, {\"feature\": \"b\", \"value\": 0.1}],"
                " \"permutation_metric\": \"log_loss\"}}");
    job("hand", "{\"best\": \"gbt\"}"); /* h4: a report without importance */
    job("hand", NULL);                  /* h5: no report */
    job("bad", "{\"importance\": {\"shap\": [{\"feature\": 3, \"value\": 1}]}}"); /* h6 */
    cairn_home_close(home);
    return 0;
}
C
build=${CAIRN_BUILD:?set CAIRN_BUILD}; extra=${CAIRN_CFLAGS:-}
# shellcheck disable=SC2086
gcc $extra -I"$top/include" "$tmp/fixture.c" -o "$tmp/fixture" -L"$build" -lcairn -Wl,-rpath,"$build" -lm ||
    { echo "FAIL: building the fixture program"; exit 1; }
run "$tmp/fixture" "$CAIRN_HOME"; check "fixture exits 0 ($err)" test "$rc" = 0
read -r -d '' h1 h2 h3 h4 h5 h6 <<<"$out"
check "six hand-made runs" test -n "$h6"

run "$cairn" --json runs importance "$h1" "$h2"
check "hand: exits 0 ($err)" test "$rc" = 0
check "hand: shap; union in the first run's order, then the second's, null last" test "$(py '[(f["feature"], f["ranks"]) for f in o["features"]]' <<<"$out")" = "[('a', [1, 2]), ('b', [2, 1]), ('c', [3, None]), ('e', [None, 3]), ('d', [None, None])]"
check "hand: a null value stays null" test "$(py 'o["features"][4]["values"], o["runs"][0]["importance"][3]' <<<"$out")" = "([None, None], {'feature': 'd', 'value': None, 'rank': None})"
check "hand: a and b in common, reversed; c missing, e new" test "$(py '[o["stability"][0][k] for k in ("common", "only_first", "only_run", "spearman", "kendall_tau_b")]' <<<"$out")" = "[2, 1, 1, -1.0, -1.0]"
check "hand: top 3 of (a, b, c) and (b, a, e)" test "$(py '[o["stability"][0][k] for k in ("top_k", "top_overlap", "top_jaccard")]' <<<"$out")" = "[3, 2, 0.5]"
run "$cairn" runs importance "$h1" "$h2"
check "hand text: absent as -, null as NaN" grep -qE '^d +- +NaN +- +-$' <<<"$out"
check "hand text: MISSING 1, NEW 1, Spearman -1" grep -qE "^ +2 +${h2:0:12} +2 +1 +1 +-1 +-1 +2/3$" <<<"$out"
run "$cairn" --json runs importance "$h1" "$h3"
check "hand: permutation when a run has no shap ($err)" test "$(py 'o["kind"], o["runs"][1]["permutation_metric"]' <<<"$out")" = "('permutation', 'log_loss')"
run "$cairn" runs importance "$h2" "$h3"
check "hand: no common kind exits 1" test "$rc" = 1
check "hand: no common kind names both runs ($err)" has "$err" "run ${h3:0:12} has no shap importance and run ${h2:0:12} no permutation"
check "hand: no common kind, says so" has "$err" "no kind of importance is in every run"
run "$cairn" runs importance "$h1" "$h3" --kind shap
check "hand: --kind shap names the run without it ($err)" has "$err" "run ${h3:0:12} has no shap importance"
run "$cairn" runs importance "$h1" "$h4"
check "hand: a report without importance exits 1" test "$rc" = 1
check "hand: a report without importance named ($err)" has "$err" "run ${h4:0:12} has no feature importance"
run "$cairn" runs importance "$h5" "$h1"
check "hand: no report named ($err)" has "$err" "run ${h5:0:12} has no report.json"
run "$cairn" runs importance "$h6" "$h1"
check "hand: a malformed list exits 1" test "$rc" = 1
check "hand: a malformed list located ($err)" has "$err" "run ${h6:0:12}: report.json: importance.shap[0]"
run "$cairn" --json runs importance --experiment hand --kind shap
check "hand experiment --kind shap: h1, h2 (h3 to h5 skipped) ($err)" test "$(py '[r["id"] for r in o["runs"]]' <<<"$out")" = "['$h1', '$h2']"
run "$cairn" --json runs importance --experiment hand --kind permutation
check "hand experiment --kind permutation: h1, h3" test "$(py '[r["id"] for r in o["runs"]]' <<<"$out")" = "['$h1', '$h3']"
run "$cairn" runs importance --experiment hand --last 2
check "hand experiment: the newest two with importance share no kind" has "$err" "run ${h3:0:12} has no shap importance and run ${h2:0:12} no permutation"
run "$cairn" runs importance --experiment bad
check "hand experiment with one run: exits 1" test "$rc" = 1
check "hand experiment with one run: says so ($err)" has "$err" "experiment 'bad' has 1 finished top-level run with importance"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
