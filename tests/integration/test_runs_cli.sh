#!/usr/bin/env bash
# tests/integration/test_runs_cli.sh: `cairn runs list|show|compare|history|experiments|reap`
# end to end. Runs are written by `cairn train` through the C API (include/cairn/runs.h), so
# a small program built here against the library (as tests/integration/test_install.sh does)
# logs a search: a parent run with three trials (params, per-step metrics, a 2,500-point
# series, a NaN, an artifact), one trial FAILED, one left RUNNING by the program's exit, and
# two runs in another experiment whose ids share the prefix "beef". Then every command is
# checked in text and JSON: ordering and filters, prefixes (unique, ambiguous, unknown, not
# hex), the best-value marks of compare, the history, and reaping the dead program's runs.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree), CAIRN_BUILD (the build dir, for
# libcairn.so), CAIRN_CFLAGS (the build's sanitizer flags). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
build=${CAIRN_BUILD:?set CAIRN_BUILD}; extra=${CAIRN_CFLAGS:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }

cat > "$tmp/fixture.c" <<'C'
#include <cairn/cairn.h>
#include <cairn/runs.h>
#include <math.h>
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

int main(int argc, char **argv)
{
    char parent[33], trial[3][33], other[2][33];
    ok(cairn_home_open(argv[1], &home, &err), "open");
    cairn_run_options o = {.experiment = "flights", .name = "search", .source = "cairn train train.yaml"};
    ok(cairn_run_create(home, &o, parent, &err), "parent");
    ok(cairn_run_log_param(home, parent, "learner", "xgboost", &err), "param");
    const char *eta[] = {"0.3", "0.1", "0.05"}, *depth[] = {"6", "6", "8"};
    const double loss[] = {0.42, 0.40, 0.45}, auc[] = {0.71, 0.74, NAN};
    for (int i = 0; i < 3; i++) {
        char key[8], name[16];
        snprintf(key, sizeof key, "%d", i);
        snprintf(name, sizeof name, "trial-%d", i);
        cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, key};
        cairn_run_options t = {.experiment = "flights", .name = name, .parent_id = parent, .tags = &tag, .ntags = 1};
        ok(cairn_run_create(home, &t, trial[i], &err), "trial");
        cairn_run_kv params[] = {{"eta", eta[i]}, {"max_depth", depth[i]}};
        cairn_run_metric m[11];
        for (int s = 0; s < 10; s++) m[s] = (cairn_run_metric){"val_loss", loss[i] + 0.01 * (9 - s), s, 1000 + s};
        m[10] = (cairn_run_metric){"auc", auc[i], 9, 2000};
        cairn_run_batch b = {.params = params, .nparams = 2, .metrics = m, .nmetrics = 11};
        ok(cairn_run_log_batch(home, trial[i], &b, &err), "batch");
    }
    for (int s = 2499; s >= 0; s--) /* backwards, in 5 batches of 500 */
        if (s % 500 == 0) {
            cairn_run_metric m[500];
            for (int k = 0; k < 500; k++) m[k] = (cairn_run_metric){"train_loss", 1.0 / (1 + s + k), s + k, 1};
            cairn_run_batch b = {.metrics = m, .nmetrics = 500};
            ok(cairn_run_log_batch(home, trial[0], &b, &err), "series");
        }
    ok(cairn_run_log_artifact(home, trial[0], "model/model.json", "{\"trees\":3}", 11, NULL, &err), "artifact");
    ok(cairn_run_set_system_info(home, trial[0], &err), "sysinfo");
    ok(cairn_run_end(home, trial[0], CAIRN_RUN_FINISHED, &err), "end");
    ok(cairn_run_end(home, trial[1], CAIRN_RUN_FAILED, &err), "end");
    ok(cairn_run_end(home, parent, CAIRN_RUN_FINISHED, &err), "end"); /* trial 2 stays RUNNING */
    for (int i = 0; i < 2; i++) {
        cairn_run_options x = {.experiment = "other", .name = "x"};
        ok(cairn_run_create(home, &x, other[i], &err), "other");
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE runs SET id = 'beef%04d000000000000000000000000' WHERE id = '%s'", i + 1,
                 other[i]);
        ok(cairn_catalog_exec(cairn_home_catalog(home), sql, &err), "rename");
    }
    printf("%s %s %s %s\n", parent, trial[0], trial[1], trial[2]);
    cairn_home_close(home);
    return 0;
}
C
# shellcheck disable=SC2086
gcc $extra -I"$top/include" "$tmp/fixture.c" -o "$tmp/fixture" -L"$build" -lcairn -Wl,-rpath,"$build" -lm ||
    { echo "FAIL: building the fixture program"; exit 1; }
"$cairn" --quiet init
run "$tmp/fixture" "$CAIRN_HOME"; check "fixture exits 0" test "$rc" = 0
read -r parent t0 t1 t2 <<<"$out"
check "four run ids" test -n "$t2"

# experiments
run "$cairn" --json runs experiments
check "experiments exits 0" test "$rc" = 0
check "two experiments" test "$(jget count <<<"$out")" = 2
check "flights has 4 runs" test "$(jget 'experiments[0].runs' <<<"$out")" = 4
check "flights has 1 running" test "$(jget 'experiments[0].running' <<<"$out")" = 1
has "$err" "2 experiments, 6 runs" && ok || bad "experiments summary: $err"

# list: order and filters
run "$cairn" --json runs list flights
check "list exits 0" test "$rc" = 0
check "list: 4 runs" test "$(jget count <<<"$out")" = 4
check "list: newest first" test "$(jget 'runs[0].id' <<<"$out")" = "$t2"
run "$cairn" --json runs list flights --order-by metric:val_loss
check "by val_loss: trial 1 first" test "$(jget 'runs.map(r=>r.name).join()' <<<"$out")" = "trial-1,trial-0,trial-2,search"
run "$cairn" --json runs list flights --order-by -metric:auc
check "by -auc: NaN and none last" test "$(jget 'runs.map(r=>r.name).join()' <<<"$out")" = "trial-1,trial-0,trial-2,search"
check "latest NaN as a string" test "$(jget 'runs[2].metrics.auc.latest' <<<"$out")" = NaN
run "$cairn" runs list flights --order-by metric:val_loss --limit 1 --offset 1
has "$out" "${t0:0:12}" && ok || bad "limit/offset: $out"
has "$out" "val_loss" && ok || bad "metric column: $out"
has "$err" "1 runs of flights (by val_loss ascending)" && ok || bad "list summary: $err"
run "$cairn" --json runs list --status FAILED
check "status filter" test "$(jget 'runs.map(r=>r.id).join()' <<<"$out")" = "$t1"
run "$cairn" --json runs list flights --parent "${parent:0:6}"
check "parent filter" test "$(jget count <<<"$out")" = 3
run "$cairn" --json runs list flights --parent none
check "top-level only" test "$(jget 'runs.map(r=>r.name).join()' <<<"$out")" = search
run "$cairn" --json runs list --tag cairn.trial=2
check "tag filter" test "$(jget 'runs[0].id' <<<"$out")" = "$t2"
run "$cairn" --json runs list
check "every experiment" test "$(jget count <<<"$out")" = 6
run "$cairn" runs list --order-by loss;        check "bad --order-by exits 1" test "$rc" = 1
has "$err" "--order-by: expected metric:KEY" && ok || bad "bad --order-by message: $err"
run "$cairn" runs list --status DONE;          check "bad --status exits 1" test "$rc" = 1
run "$cairn" runs list nosuch;                 check "unknown experiment exits 1" test "$rc" = 1
has "$err" "no experiment 'nosuch'" && ok || bad "unknown experiment message: $err"

# show, prefixes
run "$cairn" --json runs show "${t0:0:8}"
check "show exits 0" test "$rc" = 0
check "show: id" test "$(jget id <<<"$out")" = "$t0"
check "show: params" test "$(jget 'params.eta' <<<"$out")" = 0.3
check "show: parent" test "$(jget parent_id <<<"$out")" = "$parent"
check "show: series summary" test "$(jget 'metrics.train_loss.count' <<<"$out")" = 2500
check "show: latest is the last step" test "$(jget 'metrics.train_loss.step' <<<"$out")" = 2499
check "show: artifact" test "$(jget 'artifacts[0].path' <<<"$out")" = model/model.json
check "show: artifact bytes" test "$(jget 'artifacts[0].bytes' <<<"$out")" = 11
check "show: system info" test -n "$(jget 'tags["cairn.system.wall_s"]' <<<"$out")"
check "show: status" test "$(jget status <<<"$out")" = FINISHED
run "$cairn" runs show "${t0:0:8}"
has "$out" "params (2)" && ok || bad "show text params: $out"
has "$out" "model/model.json" && ok || bad "show text artifacts"
has "$out" "trial-0" && ok || bad "show text name"
has "$err" "run ${t0:0:12} FINISHED: 2 params, 3 metrics, 1 artifacts" && ok || bad "show summary: $err"
run "$cairn" runs show beef;                   check "ambiguous prefix exits 1" test "$rc" = 1
has "$err" "ambiguous" && ok || bad "ambiguous message: $err"
run "$cairn" --json runs show BEEF0002;        check "unique prefix, any case" test "$(jget id <<<"$out")" = beef0002000000000000000000000000
run "$cairn" runs show 0000ffff;               check "unknown prefix exits 1" test "$rc" = 1
has "$err" "no run with id 0000ffff" && ok || bad "unknown message: $err"
run "$cairn" runs show xyz1;                   check "non-hex prefix exits 1" test "$rc" = 1
run "$cairn" runs show abc;                    check "short prefix exits 1" test "$rc" = 1
has "$err" "4 to 32 hex digits" && ok || bad "short prefix message: $err"

# compare
run "$cairn" --json runs compare "${t0:0:6}" "${t1:0:6}" "${t2:0:6}"
check "compare exits 0" test "$rc" = 0
check "compare: three runs" test "$(jget 'runs.length' <<<"$out")" = 3
check "compare: eta differs" test "$(jget 'params.find(p=>p.key==="eta").differs' <<<"$out")" = true
check "compare: val_loss lower is better" test "$(jget 'metrics.find(m=>m.key==="val_loss").lower_is_better' <<<"$out")" = true
check "compare: best val_loss is trial 1" test "$(jget 'metrics.find(m=>m.key==="val_loss").best.join()' <<<"$out")" = 1
check "compare: best auc is trial 1" test "$(jget 'metrics.find(m=>m.key==="auc").best.join()' <<<"$out")" = 1
check "compare: missing metric is null" test "$(jget 'metrics.find(m=>m.key==="train_loss").values[1]' <<<"$out")" = null
run "$cairn" runs compare "${t0:0:6}" "${t1:0:6}"
has "$out" "0.74 *" && ok || bad "compare text best mark: $out"
has "$out" "! eta" && ok || bad "compare text differs mark: $out"
has "$err" "compared 2 runs: 2 params (1 differ), 3 metrics" && ok || bad "compare summary: $err"
run "$cairn" runs compare "${t0:0:6}";         check "compare one run exits 1" test "$rc" = 1

# history
run "$cairn" --json runs history "${t0:0:6}" train_loss
check "history exits 0" test "$rc" = 0
check "history: 2500 points" test "$(jget count <<<"$out")" = 2500
check "history: sorted by step" test "$(jget 'points.every((p,i)=>p.step===i)' <<<"$out")" = true
run "$cairn" runs history "${t0:0:6}" val_loss
has "$err" "10 points of val_loss in run ${t0:0:12} (steps 0 to 9)" && ok || bad "history summary: $err"
run "$cairn" runs history "${t0:0:6}" nosuch;  check "unknown metric exits 1" test "$rc" = 1

# reap: the fixture has exited, so its RUNNING runs are dead
run "$cairn" --json runs reap
check "reap exits 0" test "$rc" = 0
check "reaped trial 2 and the two others" test "$(jget reaped <<<"$out")" = 3
run "$cairn" --json runs show "${t2:0:8}"
check "reaped run is KILLED" test "$(jget status <<<"$out")" = KILLED
has "$(jget 'tags["cairn.reaped"]' <<<"$out")" "is gone" && ok || bad "reaped tag: $out"
run "$cairn" --json runs reap;                 check "reap again: none" test "$(jget reaped <<<"$out")" = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
