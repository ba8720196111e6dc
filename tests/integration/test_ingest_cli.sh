#!/usr/bin/env bash
# tests/integration/test_ingest_cli.sh: `cairn ingest` and `cairn dlq` end to end on a small
# dataset with a primary key: CSV, JSON Lines and Parquet inputs; bad records to the dead-letter
# store with their line and original text; a second ingest of the same file is a no-op;
# --max-error-rate refuses and writes nothing; primary-key de-duplication (latest event time
# wins, an older duplicate is dropped); a failed error-level check refuses; a schema fix and
# `dlq replay`; DuckDB reads the lake with hive_partitioning.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=$(mktemp -d); [ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
has() { grep -qF -- "$2" <<<"$1"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }
duck() { node "$top/tests/oracles/q.mjs" "$1"; }

cat > "$tmp/events.yaml" <<'YAML'
dataset: events
primary_key: [id]
event_time: ts
partition: {by: day, column: ts}
fields:
  - {name: id, type: int64, nullable: false}
  - {name: ts, type: timestamp, nullable: false}
  - {name: user, type: string, nullable: false, pattern: "^u[0-9]+$"}
  - {name: amount, type: float64, min: 0, max: 1000}
checks:
  - {completeness: amount, at_least: 0.5}
YAML
# 6 good rows over 2 days, a row that does not parse (line 5), two that break constraints
# (line 7: amount, line 9: a quoted field over two lines, then its pattern)
cat > "$tmp/a.csv" <<'CSV'
id,ts,user,amount
1,2024-03-01T10:00:00Z,u1,10.5
2,2024-03-01T11:00:00Z,u2,20
3,2024-03-02T09:00:00Z,u3,
4,not-a-time,u4,1
5,2024-03-02T10:00:00Z,u5,30
6,2024-03-02T11:00:00Z,u6,-4

7,2024-03-01T12:00:00Z,"bad
user",7
8,2024-03-02T12:00:00Z,u8,8
9,2024-03-02T13:00:00Z,u9,9
CSV

run "$cairn" init;                                       check "init" test "$rc" = 0
run "$cairn" ingest events "$tmp/a.csv";                 check "no schema exits 1" test "$rc" = 1
has "$err" "has no schema" && ok || bad "no schema message: $err"
run "$cairn" --json ingest events "$tmp/a.csv" --schema "$tmp/events.yaml" --max-error-rate 0.5
check "ingest exits 0" test "$rc" = 0
check "rows read" test "$(jget rows_read <<<"$out")" = 9
check "rows rejected" test "$(jget rows_rejected <<<"$out")" = 3
check "rows written" test "$(jget rows_written <<<"$out")" = 6
check "partitions" test "$(jget partitions <<<"$out")" = 2
check "quality passed" test "$(jget quality.success <<<"$out")" = true
snap1=$(jget snapshot <<<"$out")
check "snapshot id is 64 hex" test "${#snap1}" = 64

run "$cairn" --json data quality "events@$snap1";       check "stored quality report" test "$(jget 'statistics.evaluated_checks' <<<"$out")" = 1
run "$cairn" data quality "events@$snap1";              has "$out" "PASS completeness(amount) >= 0.5" && ok || bad "quality text: $out"
run "$cairn" --json dlq list events;                     check "dlq list exits 0" test "$rc" = 0
check "3 dead letters" test "$(jget count <<<"$out")" = 3
check "parse letter line" test "$(jget 'records[0].location' <<<"$out")" = "line 5"
check "parse letter stage" test "$(jget 'records[0].stage' <<<"$out")" = parse
check "parse letter raw" test "$(jget 'records[0].raw' <<<"$out")" = "4,not-a-time,u4,1"
check "validate letter line" test "$(jget 'records[1].location' <<<"$out")" = "line 7"
check "validate letter field" test "$(jget 'records[1].field' <<<"$out")" = amount
has "$(jget 'records[1].reason' <<<"$out")" "-4" && ok || bad "amount reason: $out"
check "multi-line record line" test "$(jget 'records[2].location' <<<"$out")" = "line 9"
check "multi-line record raw" test "$(jget 'records[2].raw' <<<"$out")" = '7,2024-03-01T12:00:00Z,"bad
user",7'
check "schema version kept" test "$(jget 'records[2].schema_version' <<<"$out")" = 1
check "header kept" test "$(jget 'records[2].header' <<<"$out")" = "id,ts,user,amount"
id3=$(jget 'records[2].id' <<<"$out")
run "$cairn" dlq show events "$id3";                     check "dlq show exits 0" test "$rc" = 0
has "$out" "does not match" && ok || bad "dlq show reason: $out"
has "$out" "$(printf 'record:         7,2024-03-01T12:00:00Z,"bad')" && ok || bad "dlq show raw: $out"
run "$cairn" dlq show events 999;                        check "missing letter exits 1" test "$rc" = 1

# the same content again: a no-op that says so
run "$cairn" --json ingest events "$tmp/a.csv" --max-error-rate 0.5
check "re-ingest exits 0" test "$rc" = 0
check "re-ingest is a no-op" test "$(jget noop <<<"$out")" = true
has "$err" "nothing to do" && ok || bad "no-op summary: $err"
run "$cairn" --json dlq list events;                     check "no new dead letters" test "$(jget count <<<"$out")" = 3

# the default max error rate (10%) refuses a = 3 of 9 rejected, and writes nothing
cp "$tmp/a.csv" "$tmp/a2.csv"; echo "10,2024-03-03T00:00:00Z,u10,1" >> "$tmp/a2.csv"
run "$cairn" ingest events "$tmp/a2.csv";                check "refused exits 1" test "$rc" = 1
has "$err" "refused, nothing written" && ok || bad "refusal message: $err"
run "$cairn" --json dlq list events;                     check "refusal wrote no letters" test "$(jget count <<<"$out")" = 3
run "$cairn" --json ingest events "$tmp/a2.csv" --max-error-rate 0.5 --dry-run 2>/dev/null
check "unknown option exits 1" test "$rc" = 1

# JSON Lines: an update of id 1 (later: wins), a stale id 2 (earlier: dropped), a new id 10
cat > "$tmp/b.jsonl" <<'JSONL'
{"id": 1, "ts": "2024-03-01T10:30:00Z", "user": "u1", "amount": 99}
{"id": 2, "ts": "2024-03-01T08:00:00Z", "user": "u2", "amount": 1}
{"id": 10, "ts": "2024-03-03T08:00:00Z", "user": "u10", "amount": 5}
{"id": 11, "ts": "2024-03-03T09:00:00Z", "user": "u11", "amount": 6, "extra": true}
JSONL
run "$cairn" --json ingest events "$tmp/b.jsonl" --max-error-rate 0.5
check "jsonl ingest exits 0" test "$rc" = 0
check "jsonl duplicates" test "$(jget rows_duplicate <<<"$out")" = 1
check "jsonl written" test "$(jget rows_written <<<"$out")" = 2
check "unknown key rejected" test "$(jget rows_rejected <<<"$out")" = 1
snap2=$(jget snapshot <<<"$out")
check "parent is the first snapshot" test "$(jget parent <<<"$out")" = "$snap1"
run "$cairn" --json data convert "events@$snap2" "$tmp/s2.csv"; check "convert snapshot exits 0" test "$rc" = 0
check "7 rows after dedupe" test "$(tail -n +2 "$tmp/s2.csv" | wc -l)" = 7
grep -q '^1,2024-03-01T10:30:00Z,u1,99.0$' "$tmp/s2.csv" && ok || bad "id 1 updated: $(cat "$tmp/s2.csv")"
grep -q '^2,2024-03-01T11:00:00Z,u2,20.0$' "$tmp/s2.csv" && ok || bad "id 2 kept: $(cat "$tmp/s2.csv")"
check "each id once" test "$(tail -n +2 "$tmp/s2.csv" | cut -d, -f1 | sort | uniq -d | wc -l)" = 0
run "$cairn" data convert "events@$snap1" "$tmp/s1.csv"; check "time travel to snapshot 1" test "$(tail -n +2 "$tmp/s1.csv" | wc -l)" = 6
grep -q '^1,2024-03-01T10:00:00Z,u1,10.5$' "$tmp/s1.csv" && ok || bad "snapshot 1 unchanged: $(cat "$tmp/s1.csv")"

# Parquet input (typed: failures are dead letters as JSON objects with their row)
printf 'id,ts,user,amount\n20,2024-03-04T00:00:00Z,u20,1\n21,2024-03-04T01:00:00Z,u21,5000\n' > "$tmp/c.csv"
run "$cairn" data convert "$tmp/c.csv" "$tmp/c.parquet" --types id:int64,ts:timestamp,user:string,amount:float64
check "make parquet" test "$rc" = 0
run "$cairn" --json ingest events "$tmp/c.parquet" --max-error-rate 0.5
check "parquet ingest exits 0" test "$rc" = 0
check "parquet written" test "$(jget rows_written <<<"$out")" = 1
run "$cairn" --json dlq list events
check "parquet letter location" test "$(jget 'records[4].location' <<<"$out")" = "row 2"
check "parquet letter format" test "$(jget 'records[4].format' <<<"$out")" = json
has "$(jget 'records[4].raw' <<<"$out")" '"amount":5000' && ok || bad "parquet raw: $out"

# an error-level check that fails refuses the ingest
printf 'id,ts,user,amount\n30,2024-03-05T00:00:00Z,u30,\n31,2024-03-05T01:00:00Z,u31,\n32,2024-03-05T02:00:00Z,u32,1\n' > "$tmp/d.csv"
run "$cairn" ingest events "$tmp/d.csv";                 check "failed check exits 1" test "$rc" = 1
has "$out$err" "completeness" && ok || bad "failed check named: $out $err"
run "$cairn" --json dlq list events;                     check "refused check wrote nothing" test "$(jget count <<<"$out")" = 5

# a schema fix (amount max raised: backward compatible) then replay: the 5000 row comes in
sed 's/max: 1000/max: 10000/' "$tmp/events.yaml" > "$tmp/events2.yaml"
run "$cairn" schema register "$tmp/events2.yaml";        check "register fix" test "$rc" = 0
run "$cairn" --json dlq replay events;                   check "replay exits 0" test "$rc" = 0
check "replay wrote one" test "$(jget rows_written <<<"$out")" = 1
run "$cairn" --json dlq list events;                     check "4 still pending" test "$(jget count <<<"$out")" = 4
run "$cairn" --json dlq list events --all;               check "5 in all" test "$(jget count <<<"$out")" = 5
has "$out" '"status": "replayed"' && ok || bad "replayed status: $out"

# DuckDB reads the lake (head files only) with hive partitioning
run "$cairn" --json data snapshot events;                check "snapshot show exits 0" test "$rc" = 0
files=$(node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(o.file_list.map(f=>"'"'"'"+process.argv[1]+"/"+f.path+"'"'"'").join(","))' "$CAIRN_HOME/lake/events" <<<"$out")
run duck "SELECT count(*) AS n, count(DISTINCT id) AS d, min(ts_day)::VARCHAR AS lo FROM read_parquet([$files], hive_partitioning=true)"
check "duckdb reads the lake" test "$out" = '[{"n":"9","d":"9","lo":"2024-03-01"}]'

# partitioned by a column's value: the column leaves the files and comes back on read
cat > "$tmp/trips.yaml" <<'YAML'
dataset: trips
partition: {by: value, column: city}
fields:
  - {name: city, type: string}
  - {name: km, type: float64}
YAML
printf 'city,km\nOslo,1.5\nRome,2\n,3\nOslo,4\na/b=c,5\n' > "$tmp/trips.csv"
run "$cairn" --json ingest trips "$tmp/trips.csv" --schema "$tmp/trips.yaml"
check "value ingest exits 0" test "$rc" = 0
check "value partitions" test "$(jget partitions <<<"$out")" = 4
check "hive directories" test "$(ls "$CAIRN_HOME/lake/trips" | sort | tr '\n' ' ')" = "city=Oslo city=Rome city=__HIVE_DEFAULT_PARTITION__ city=a%2Fb%3Dc "
run "$cairn" data convert trips "$tmp/trips-out.csv";   check "value read back" test "$rc" = 0
check "rows and values come back" test "$(tail -n +2 "$tmp/trips-out.csv" | sort | tr '\n' ' ')" = "1.5,Oslo 2.0,Rome 3.0, 4.0,Oslo 5.0,a/b=c "

# schema evolution: a field added (with a default) reads as null in files written before it
printf 'dataset: evo\nfields:\n  - {name: id, type: int64}\n' > "$tmp/evo1.yaml"
printf 'dataset: evo\nfields:\n  - {name: id, type: int64}\n  - {name: w, type: float64, default: null}\n' > "$tmp/evo2.yaml"
printf 'id\n1\n' > "$tmp/evo1.csv"; printf 'id,w\n2,2.5\n' > "$tmp/evo2.csv"
"$cairn" --quiet ingest evo "$tmp/evo1.csv" --schema "$tmp/evo1.yaml" >/dev/null
run "$cairn" --quiet ingest evo "$tmp/evo2.csv" --schema "$tmp/evo2.yaml"; check "evolved ingest" test "$rc" = 0
run "$cairn" data convert evo "$tmp/evo.csv";           check "evolved read" test "$rc" = 0
check "old rows read as null" test "$(cat "$tmp/evo.csv" | tr '\n' ' ')" = "id,w 1, 2,2.5 "

# a unique field is unique across the dataset: a stored value under another key is refused,
# the same key updating its own record is not
printf 'dataset: users\nprimary_key: [id]\nevent_time: at\nfields:\n  - {name: id, type: int64}\n  - {name: at, type: timestamp}\n  - {name: email, type: string, unique: true}\n' > "$tmp/users.yaml"
printf 'id,at,email\n1,2024-01-01T00:00:00Z,a@x\n2,2024-01-01T00:00:00Z,b@x\n' > "$tmp/u1.csv"
printf 'id,at,email\n1,2024-02-01T00:00:00Z,a@x\n3,2024-02-01T00:00:00Z,b@x\n4,2024-02-01T00:00:00Z,c@x\n' > "$tmp/u2.csv"
"$cairn" --quiet ingest users "$tmp/u1.csv" --schema "$tmp/users.yaml" >/dev/null
run "$cairn" --json ingest users "$tmp/u2.csv" --max-error-rate 0.5; check "unique ingest exits 0" test "$rc" = 0
check "stored value refused" test "$(jget rows_rejected <<<"$out")" = 1
check "own update and new value kept" test "$(jget rows_written <<<"$out")" = 2
run "$cairn" --json dlq list users
has "$(jget 'records[0].reason' <<<"$out")" "'b@x' is already stored" && ok || bad "unique reason: $out"

# concurrent ingests into one dataset: a commit that loses the race is redone on the new head,
# so every ingest succeeds and no rows are lost; with a key, the latest event time wins
printf 'dataset: conc\nprimary_key: [k]\nevent_time: t\npartition: {by: day, column: t}\nfields:\n  - {name: k, type: int64}\n  - {name: t, type: timestamp}\n  - {name: v, type: int64}\n' > "$tmp/conc.yaml"
"$cairn" --quiet schema register "$tmp/conc.yaml" >/dev/null
for i in 1 2 3 4 5 6; do
  { echo "k,t,v"; for r in $(seq 1 200); do printf '%d,2024-01-0%dT00:00:00Z,%d\n' $((i * 1000 + r)) $(( (r % 3) + 1 )) "$i"; done
    printf '0,2024-01-0%dT12:00:00Z,%d\n' "$i" "$i"; } > "$tmp/conc$i.csv"
done
pids=()
for i in 1 2 3 4 5 6; do "$cairn" --quiet ingest conc "$tmp/conc$i.csv" >/dev/null 2>"$tmp/conc$i.err" & pids+=($!); done
cfail=0; for p in "${pids[@]}"; do wait "$p" || cfail=$((cfail + 1)); done
check "every concurrent ingest succeeds ($(cat "$tmp"/conc*.err | head -3))" test "$cfail" = 0
run "$cairn" data convert conc "$tmp/conc-out.csv"
check "no row lost" test "$(tail -n +2 "$tmp/conc-out.csv" | wc -l)" = 1201
grep -q '^0,2024-01-06T12:00:00Z,6$' "$tmp/conc-out.csv" && ok || bad "latest event time wins across racing ingests: $(grep '^0,' "$tmp/conc-out.csv")"
run "$cairn" --json data log conc;                      check "six snapshots" test "$(jget 'snapshots.length' <<<"$out")" = 6

echo "$pass passed, $fail failed"
test "$fail" = 0
