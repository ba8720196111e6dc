#!/usr/bin/env bash
# tests/integration/test_feature_stats_cli.sh: `cairn features stats` end to end on a tiny lake:
# 192 flights of two airports over four days (delays small the first two days, large the last
# two), a one-view feature repository, two training sets of one service from different entity
# files (the second after the shift: a PSI on the second version, "major"), two
# materializations of the view (the second also with a PSI), and the errors.
# Env: CAIRN (the binary). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
unset CAIRN_ONLINE_URL
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }

cat > "$tmp/schema.yaml" <<'YAML'
dataset: flights
event_time: date
fields:
  - {name: date, type: timestamp, nullable: false}
  - {name: delay, type: int64, nullable: false}
  - {name: origin, type: string, nullable: false}
YAML
cat > "$tmp/features.yaml" <<'YAML'
entities:
  - {name: origin, join_keys: [origin]}
sources:
  - {name: flights, dataset: flights}
feature_views:
  - name: origin_delays
    entity: origin
    source: flights
    event_time: date
    features:
      - {name: mean_delay_6h, agg: mean, column: delay, window: 6h}
      - {name: flights_6h, agg: count, window: 6h}
feature_services:
  - {name: delay_model, features: [origin_delays]}
YAML
# every hour of 2001-01-01 .. 2001-01-04 at AAA and BBB: delays 0..9 the first two days,
# 100..190 the last two
awk 'BEGIN { print "date,delay,origin";
  for (d = 1; d <= 4; d++) for (h = 0; h < 24; h++) for (a = 0; a < 2; a++)
    printf "2001-01-%02dT%02d:30:00Z,%d,%s\n", d, h, (d <= 2 ? (h + a) % 10 : 100 + 10 * ((h + a) % 10)), (a ? "BBB" : "AAA") }' \
    > "$tmp/flights.csv"
# entity rows: one per airport and hour of day 2 (before the shift) and of day 4 (after)
for d in 02 04; do
  awk -v d=$d 'BEGIN { print "origin,event_timestamp";
    for (h = 0; h < 24; h++) { printf "AAA,2001-01-%sT%02d:45:00Z\n", d, h; printf "BBB,2001-01-%sT%02d:45:00Z\n", d, h } }' \
    > "$tmp/entities-$d.csv"
done

"$cairn" --quiet init
run "$cairn" --quiet schema register "$tmp/schema.yaml";   check "schema register exits 0: $err" test "$rc" = 0
run "$cairn" --quiet ingest flights "$tmp/flights.csv";    check "ingest exits 0: $err" test "$rc" = 0
run "$cairn" --quiet features apply "$tmp/features.yaml";  check "apply exits 0: $err" test "$rc" = 0

# nothing recorded yet: the features, no versions
run "$cairn" --json features stats delay_model;            check "stats before any build exits 0" test "$rc" = 0
check "two features, no versions" test "$(jget 'features.map(f=>f.feature+"="+f.versions.length).join()' <<<"$out")" \
    = "origin_delays:mean_delay_6h=0,origin_delays:flights_6h=0"

run "$cairn" --json dataset build delay_model "$tmp/entities-02.csv"; check "build 1 exits 0: $err" test "$rc" = 0
id1=$(jget id <<<"$out")
run "$cairn" --json dataset build delay_model "$tmp/entities-04.csv"; check "build 2 exits 0: $err" test "$rc" = 0
id2=$(jget id <<<"$out")
# the same inputs again: nothing new recorded
run "$cairn" --json dataset build delay_model "$tmp/entities-04.csv"; check "rebuild existed" test "$(jget existed <<<"$out")" = true

run "$cairn" --json features stats delay_model;            check "stats exits 0: $err" test "$rc" = 0
f0='features[0].versions'
check "two versions" test "$(jget "$f0.length" <<<"$out")" = 2
check "newest first" test "$(jget "$f0[0].version" <<<"$out")" = "$id2"
check "older second" test "$(jget "$f0[1].version" <<<"$out")" = "$id1"
check "kind training_set" test "$(jget "$f0[0].subject_kind" <<<"$out")" = training_set
check "subject is the service" test "$(jget "$f0[0].subject" <<<"$out")" = delay_model
check "first has no PSI" test "$(jget "$f0[1].psi" <<<"$out")" = null
check "second has a PSI" test "$(jget "$f0[0].psi > 0" <<<"$out")" = true
check "the shift is major" test "$(jget "$f0[0].psi_level" <<<"$out")" = major
check "48 rows" test "$(jget "$f0[0].stats.count" <<<"$out")" = 48
check "stats name the column" test "$(jget "$f0[0].stats.name" <<<"$out")" = origin_delays__mean_delay_6h
check "ten bins" test "$(jget "$f0[0].stats.bin_counts.length" <<<"$out")" = 10
check "bins from the first version" test "$(jget "$f0[0].stats.bins.join()" <<<"$out")" = "$(jget "$f0[1].stats.bins.join()" <<<"$out")"
check "mean after the shift" test "$(jget "$f0[0].stats.mean > 100" <<<"$out")" = true
check "the count feature too" test "$(jget 'features[1].versions.length' <<<"$out")" = 2

# one feature by name, and the table
run "$cairn" --json features stats origin_delays:flights_6h; check "one feature" test "$(jget 'features.length' <<<"$out")" = 1
run "$cairn" features stats delay_model;                   check "table exits 0" test "$rc" = 0
has "$out" "FEATURE" && ok || bad "table header: $out"
has "$out" "origin_delays:mean_delay_6h" && ok || bad "table feature: $out"
has "$out" "${id2:0:12}" && ok || bad "table version: $out"
has "$out" "major" && ok || bad "table level: $out"
has "$err" "delay_model: 2 features, 4 versions" && ok || bad "summary: $err"

# materializations: as of the end of day 2 and of day 4
run "$cairn" --json materialize --end 2001-01-03T00:00:00Z; check "materialize 1 exits 0: $err" test "$rc" = 0
run "$cairn" --json materialize --end 2001-01-05T00:00:00Z; check "materialize 2 exits 0: $err" test "$rc" = 0
run "$cairn" --json features stats origin_delays;          check "view stats exits 0: $err" test "$rc" = 0
check "four versions of the feature" test "$(jget "$f0.length" <<<"$out")" = 4
check "newest is a materialization" test "$(jget "$f0[0].subject_kind" <<<"$out")" = materialization
check "materialization subject is the view" test "$(jget "$f0[0].subject" <<<"$out")" = origin_delays
check "two entities" test "$(jget "$f0[0].stats.count" <<<"$out")" = 2
check "materialization PSI against the previous run" test "$(jget "$f0[0].psi > 0" <<<"$out")" = true
check "first run has none" test "$(jget "$f0[1].psi" <<<"$out")" = null

# errors
run "$cairn" features stats nosuch;                        check "unknown name exits 1" test "$rc" = 1
has "$err" "'nosuch'" && ok || bad "unknown name named: $err"
run "$cairn" features stats;                               check "no NAME exits 1" test "$rc" = 1

echo "$pass passed, $fail failed"
test "$fail" = 0
