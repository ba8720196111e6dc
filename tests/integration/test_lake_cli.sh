#!/usr/bin/env bash
# tests/integration/test_lake_cli.sh: `cairn data log|snapshot|diff|compact|retention|hold|gc`
# and dataset references in `data head|schema` end to end, on a home whose lake is built by
# tests/unit/lake/test_duckdb_layout.c (two ingests each of "days" and "origins").
# Env: CAIRN, CAIRN_TOP, CAIRN_BUILD. Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
build=${CAIRN_BUILD:?set CAIRN_BUILD}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
json() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); console.log($1)" <<<"$out"; }

run "$cairn" init;                                   check "init" test "$rc" = 0
run env CAIRN_LAKE_HOME="$CAIRN_HOME" "$build/tests/lake_test_duckdb_layout"
check "build the lake" test "$rc" = 0

run "$cairn" --json data log days;                   check "log exits 0" test "$rc" = 0
check "log lists 2 snapshots" test "$(json 'j.snapshots.length')" = 2
new=$(json 'j.snapshots[0].id'); old=$(json 'j.snapshots[1].id')
check "log is newest first" test "$(json 'j.snapshots[0].sequence')" = 2
run "$cairn" data log days;                          check "text log exits 0" test "$rc" = 0
has "$out" "${new:0:12}  " && ok || bad "text log shows 12-digit ids: $out"
has "$err" "2 snapshots of 'days'" && ok || bad "log summary: $err"
run "$cairn" data log nosuch;                        check "unknown dataset exits 1" test "$rc" = 1
has "$err" "no dataset 'nosuch'" && ok || bad "unknown dataset message: $err"

run "$cairn" --json data snapshot "days@${old:0:6}"; check "snapshot by prefix" test "$rc" = 0
check "snapshot rows" test "$(json 'j.rows')" = 40
check "snapshot files listed" test "$(json 'j.file_list.length')" = "$(json 'j.files')"
run "$cairn" data snapshot "days@2001-01-01";        check "snapshot before the first exits 1" test "$rc" = 1
has "$err" "its first was committed at" && ok || bad "time error names the first: $err"
run "$cairn" data snapshot "days@abc";               check "short prefix exits 1" test "$rc" = 1

run "$cairn" --json data diff days "${old:0:8}" "${new:0:8}"; check "diff exits 0" test "$rc" = 0
check "diff rows added" test "$(json 'j.rows_added')" = 30
check "diff removes nothing" test "$(json 'j.removed.length')" = 0

run "$cairn" --json data head "days@${old:0:8}" -n 1000; check "head of an old snapshot" test "$rc" = 0
check "old snapshot has 40 rows" test "$(json 'j.rows.length')" = 40
run "$cairn" --json data head origins -n 1000;       check "head of a dataset" test "$rc" = 0
check "origins restored last" test "$(json 'j.columns.map(c=>c.name).join()')" = "id,delay,origin"
run "$cairn" data schema nosuch.csv;                 check "a missing file is still a file error" test "$rc" = 1
has "$err" "nosuch.csv" && ok || bad "file error: $err"

run "$cairn" --json data compact days;               check "compact exits 0" test "$rc" = 0
check "compact changed" test "$(json 'j.changed')" = true
run "$cairn" --json data head days -n 1000;          check "compacted head reads" test "$rc" = 0
check "compaction keeps 70 rows" test "$(json 'j.rows.length')" = 70
run "$cairn" --json data compact days;               check "second compact" test "$(json 'j.changed')" = false

run "$cairn" data retention days;                    check "retention show" test "$rc" = 0
has "$out" "partitions forever" && ok || bad "default retention: $out"
run "$cairn" data retention days --partitions 30d;   check "retention set" test "$rc" = 0
run "$cairn" --json data retention days;             check "retention partitions" test "$(json 'j.keep_partitions_us')" = 2592000000000
run "$cairn" data retention days --partitions soon;  check "bad duration exits 1" test "$rc" = 1

run "$cairn" data hold days --reason "case 17";      check "hold" test "$rc" = 0
run "$cairn" --json data gc --grace 0s;              check "gc under hold" test "$rc" = 0
check "gc reports the hold" test "$(json 'j.held.join()')" = days
check "gc under hold deletes nothing of days" test "$(json 'j.deleted.filter(d=>d.dataset==="days").length')" = 0
run "$cairn" data hold days --release;               check "release" test "$rc" = 0
run "$cairn" --json data gc --dry-run --grace 0s;    check "gc dry run" test "$rc" = 0
would=$(json 'j.files_deleted')
check "dry run would delete files" test "$would" -gt 0
run "$cairn" --json data gc days --grace 0s;         check "gc" test "$rc" = 0
check "gc deleted what the dry run said" test "$(json 'j.files_deleted')" = "$would"
check "gc dropped partitions" test "$(json 'j.partitions_dropped')" -gt 0
has "$out" "retention: partition older than 30d" && ok || bad "gc reasons: $out"
run "$cairn" data gc --grace 0s;                     check "second gc" test "$rc" = 0
has "$err" "0 files and 0 manifests deleted" && ok || bad "second gc is a no-op: $err"
run "$cairn" --json data log days;                   check "log after gc" test "$(json 'j.snapshots[0].operation')" = retention

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
