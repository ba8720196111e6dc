#!/usr/bin/env bash
# tests/integration/test_ingest_crash.sh: an ingest killed (SIGKILL) at every crash point, and
# at random moments, leaves the lake and the catalog in the old state or the new one, never a
# mixture, and running it again completes the job.
#
# The ingest under test adds rows to several day partitions, replaces stored records by primary
# key (so stored files are rewritten), and sends bad records to the dead-letter store. The
# crash points (cairn_crashpoint: after each temporary file is synced, after renames, after
# each partition file, before and after the catalog transaction) are counted with
# CAIRN_CRASHPOINT_TRACE, then each one is hit in turn with CAIRN_CRASHPOINT=k on a fresh copy
# of the base home. After each kill: the head's rows equal the base's or the final's, the dead
# letters and the ingested-file record agree with that same state, every head file is intact
# (SHA-256 verified on read); then a rerun succeeds and gives exactly the final state.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
tmp=$(mktemp -d); [ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }

cat > "$tmp/schema.yaml" <<'YAML'
dataset: events
primary_key: [id]
event_time: ts
partition: {by: day, column: ts}
fields:
  - {name: id, type: int64, nullable: false}
  - {name: ts, type: timestamp, nullable: false}
  - {name: amount, type: float64, min: 0}
YAML
{ echo "id,ts,amount"
  for i in $(seq 1 40); do printf '%d,2024-03-%02dT%02d:00:00Z,%d\n' "$i" $((i % 4 + 1)) $((i % 24)) "$i"; done
} > "$tmp/base.csv"
{ echo "id,ts,amount"
  # updates of stored ids with later times (rewrite stored files), new ids on new days, bad rows
  for i in $(seq 1 5); do printf '%d,2024-03-%02dT23:30:00Z,%d\n' "$i" $((i % 4 + 1)) $((i * 100)); done
  for i in $(seq 41 60); do printf '%d,2024-03-%02dT%02d:00:00Z,%d\n' "$i" $((i % 6 + 1)) $((i % 24)) "$i"; done
  echo "61,2024-03-02T00:00:00Z,-1"
  echo "62,yesterday,1"
} > "$tmp/new.csv"

base="$tmp/base"
CAIRN_HOME=$base "$cairn" --quiet init && CAIRN_HOME=$base "$cairn" --quiet schema register "$tmp/schema.yaml" &&
    CAIRN_HOME=$base "$cairn" --quiet ingest events "$tmp/base.csv" >/dev/null || { echo "FAIL: base setup"; exit 1; }

# the state a test compares: sorted rows of the head, dead letters, ingested-file records
state() {
    local h=$1 out=$2
    CAIRN_HOME=$h "$cairn" --quiet data convert events "$tmp/rows.csv" >/dev/null 2>&1 || { echo "unreadable" > "$out"; return; }
    { tail -n +2 "$tmp/rows.csv" | sort
      echo "dlq $(CAIRN_HOME=$h "$cairn" --quiet --json dlq list events --all | jget count)"
      echo "log $(CAIRN_HOME=$h "$cairn" --quiet --json data log events | jget 'snapshots.length')"
    } > "$out"
}
state "$base" "$tmp/state.old"

final="$tmp/final"; cp -a "$base" "$final"
CAIRN_HOME=$final "$cairn" --quiet ingest events "$tmp/new.csv" >/dev/null || bad "reference ingest"
state "$final" "$tmp/state.new"
cmp -s "$tmp/state.old" "$tmp/state.new" && bad "the ingest changes the state"
grep -q '^1,2024-03-02T23:30:00Z,100.0$' "$tmp/state.new" && ok || bad "reference update of id 1"

# count the crash points of the ingest
trace="$tmp/trace"; cp -a "$base" "$trace"
CAIRN_HOME=$trace CAIRN_CRASHPOINT_TRACE=1 "$cairn" --quiet ingest events "$tmp/new.csv" 2>"$tmp/points" >/dev/null
points=$(grep -c '^crashpoint ' "$tmp/points")
test "$points" -ge 10 && ok || bad "expected at least 10 crash points, found $points"

# every file the head lists exists and has the SHA-256 the manifest says
verify_head() {
    CAIRN_HOME=$1 "$cairn" --quiet --json data snapshot events | node -e '
        const fs = require("fs"), crypto = require("crypto");
        const s = JSON.parse(fs.readFileSync(0, "utf8"));
        for (const f of s.file_list) {
            const sha = crypto.createHash("sha256").update(fs.readFileSync(process.argv[1] + "/" + f.path)).digest("hex");
            if (sha !== f.sha256) { console.error("damaged: " + f.path); process.exit(1); }
        }' "$1/lake/events"
}

crash_and_recover() { # $1 label, then the command prefix that kills the ingest
    local label=$1; shift
    local h="$tmp/h"; rm -rf "$h"; cp -a "$base" "$h"
    CAIRN_HOME=$h "$@" >/dev/null 2>&1 </dev/null &
    wait $! 2>/dev/null
    state "$h" "$tmp/state.mid"
    if cmp -s "$tmp/state.mid" "$tmp/state.old"; then ok; olds=$((olds + 1))
    elif cmp -s "$tmp/state.mid" "$tmp/state.new"; then ok; news=$((news + 1))
    else bad "$label: a mixed state after the kill"; diff "$tmp/state.old" "$tmp/state.mid" | head -5; fi
    verify_head "$h" && ok || bad "$label: head files damaged"
    CAIRN_HOME=$h "$cairn" --quiet ingest events "$tmp/new.csv" >/dev/null 2>&1 && ok || bad "$label: rerun failed"
    state "$h" "$tmp/state.after"
    cmp -s "$tmp/state.after" "$tmp/state.new" && ok || { bad "$label: rerun did not complete the job"; diff "$tmp/state.new" "$tmp/state.after" | head -5; }
    # gc removes what the killed run left behind, and only that
    CAIRN_HOME=$h "$cairn" --quiet data gc --grace 0s >/dev/null 2>&1 && ok || bad "$label: gc failed"
    state "$h" "$tmp/state.gc"
    cmp -s "$tmp/state.gc" "$tmp/state.new" && verify_head "$h" && ok || bad "$label: gc changed the data"
    test -z "$(find "$h/lake" "$h/objects" -name '.*' -o -name '*.tmp.*')" && ok || bad "$label: temporaries left after gc: $(find "$h/lake" "$h/objects" -name '.*' -o -name '*.tmp.*')"
}

killed=0; olds=0; news=0
for k in $(seq 1 "$points"); do
    crash_and_recover "crash point $k" env CAIRN_CRASHPOINT="$k" "$cairn" --quiet ingest events "$tmp/new.csv"
    killed=$((killed + 1))
done

# kill -9 from outside at random moments
for delay in 0.01 0.03 0.05 0.08 0.12; do
    crash_and_recover "kill after ${delay}s" bash -c '"$0" --quiet ingest events "$1" & p=$!; sleep "$2"; kill -9 $p 2>/dev/null; wait $p' "$cairn" "$tmp/new.csv" "$delay"
done

echo "killed at $killed crash points and 5 random moments: $olds left the old state, $news the new one"
test "$olds" -gt 0 && test "$news" -gt 0 && ok || bad "the kills should hit both sides of the commit"
echo "$pass passed, $fail failed"
test "$fail" = 0
