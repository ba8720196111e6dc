#!/usr/bin/env bash
# tests/integration/test_stream_nats.sh: `cairn ingest-stream` from NATS JetStream, end to end,
# against a private nats-server: a first idle run creates the stream (named after the
# subject) and the durable pull consumer; 20,000 records (40 invalid, 200 duplicates, 4
# poison, one spread over lines) are published and stored; run 1 reads them in small batches
# and is killed with SIGKILL mid-stream; run 2 (same durable) gets the unacked messages again
# after --ack-wait and exits when idle. Checks: every valid record is in the head snapshot
# exactly once (the later duplicate wins), every invalid or poison record is in the
# dead-letter store under "stream seq N", the consumer has nothing pending or unacked.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
for tool in nats-server node curl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/setup installs it)"; exit 1; }
done
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
export CAIRN_HOME="$tmp/home"
feed="$top/tests/integration/stream_feed.mjs"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
has() { grep -qF -- "$2" <<<"$1"; }
json_get() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(v===null?"null":v)})' "$1"; }

# --- a private nats-server with JetStream on free ports -------------------------------------
port=
for try in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 30000)); m=$((p + 1))
    nats-server -js -a 127.0.0.1 -p "$p" -m "$m" -sd "$tmp/js" >"$tmp/nats.log" 2>&1 &
    npid=$!
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$m/healthz?js-enabled-only=true" >/dev/null 2>&1 && { port=$p; mport=$m; break; }
        kill -0 "$npid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] && { pids+=("$npid"); break; }
    kill -9 "$npid" 2>/dev/null
done
[ -n "$port" ] || { echo "FAIL: nats-server did not start"; cat "$tmp/nats.log"; exit 1; }
url="nats://127.0.0.1:$port/events"
# The durable's state from the monitoring endpoint: "num_pending num_ack_pending".
consumer_state() {
    curl -sf "http://127.0.0.1:$mport/jsz?consumers=true" | node -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
  const j = JSON.parse(s);
  for (const a of j.account_details || []) for (const st of a.stream_detail || [])
    for (const c of st.consumer_detail || [])
      if (c.name === process.argv[1]) { console.log(`${c.num_pending} ${c.num_ack_pending}`); return; }
  console.log("missing");
});' "$1"
}

unacked() { local s; s=$(consumer_state g); echo "${s##* }"; }
# Freezes the process (SIGSTOP) until it holds unacknowledged records, then kills it
# (SIGKILL), so that the crash always strands some: returns 1 if it never did.
kill_mid_batch() {
    local pid=$1
    for _ in $(seq 200); do
        kill -STOP "$pid" 2>/dev/null || return 1
        if [ "$(unacked)" -gt 0 ] 2>/dev/null; then
            { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
            return 0
        fi
        kill -CONT "$pid"
        sleep 0.0$((RANDOM % 5 + 1))
    done
    { kill -9 "$pid"; wait "$pid"; } 2>/dev/null
    return 1
}

cat >"$tmp/schema.yaml" <<'YAML'
dataset: events
primary_key: [id]
event_time: ts
partition: {by: day, column: ts}
fields:
  - {name: id, type: int64, nullable: false}
  - {name: ts, type: timestamp, nullable: false}
  - {name: user, type: string}
  - {name: amount, type: float64, min: 0}
YAML
"$cairn" init >/dev/null 2>&1 && "$cairn" schema register "$tmp/schema.yaml" >/dev/null 2>&1
check "init and register" test $? = 0

"$cairn" ingest-stream events --from nats://127.0.0.1:1/events >/dev/null 2>"$tmp/err"
check "refused connection exits 2" test $? = 2
has "$(cat "$tmp/err")" "nats 127.0.0.1:1: connecting" && ok || bad "refused message: $(cat "$tmp/err")"

# --- run 0: creates the stream and the durable, reads nothing, exits when idle --------------
"$cairn" --json ingest-stream events --from "$url" --group g --idle-exit 300ms \
    >"$tmp/run0.json" 2>"$tmp/run0.err"
check "idle run exits 0" test $? = 0
check "idle run read nothing" test "$(json_get records <"$tmp/run0.json")" = 0
check "durable consumer exists" test "$(consumer_state g)" = "0 0"

n=20000
node "$feed" events "$n" >"$tmp/payloads.jsonl"
node "$feed" expect "$n" >"$tmp/expect.json"
total=$(wc -l <"$tmp/payloads.jsonl")
node "$feed" nats "127.0.0.1:$port" events <"$tmp/payloads.jsonl"
check "every payload stored" test $? = 0
check "consumer sees them all" test "$(consumer_state g)" = "$total 0"

# --- run 1: killed mid-stream ---------------------------------------------------------------
"$cairn" ingest-stream events --from "$url" --group g --batch 300 --batch-age 200ms \
    --ack-wait 1s >"$tmp/run1.out" 2>"$tmp/run1.err" &
r1=$!; pids+=("$r1")
for _ in $(seq 300); do
    grep -q '^batch 3:' "$tmp/run1.err" && break
    kill -0 "$r1" 2>/dev/null || break
    sleep 0.05
done
kill_mid_batch "$r1"
check "run 1 killed holding unacked messages" test $? = 0
grep -q '^batch 3:' "$tmp/run1.err" && ok || bad "run 1 committed 3 batches: $(cat "$tmp/run1.err")"
state1=$(consumer_state g)
echo "run 1 killed; consumer pending/unacked: $state1"
check "killed mid-stream (records left)" test "${state1%% *}" -gt 0
unacked1=${state1##* }

# --- run 2: the same durable; unacked messages come back after the ack wait -----------------
"$cairn" --json ingest-stream events --from "$url" --group g --batch 1000 --batch-age 200ms \
    --ack-wait 1s --idle-exit 2500ms >"$tmp/run2.json" 2>"$tmp/run2.err"
rc=$?
check "run 2 exits 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/run2.err"
stats=$(cat "$tmp/run2.json")
tail -1 "$tmp/run2.err"
has "$(tail -1 "$tmp/run2.err")" "into 'events'" && ok || bad "summary line: $(tail -1 "$tmp/run2.err")"
check "lag 0 at the end" test "$(json_get lag <<<"$stats")" = 0
check "nothing pending or unacked" test "$(consumer_state g)" = "0 0"
check "run 2 got the unacked messages again" test "$(json_get records <<<"$stats")" -ge "$(( ${state1%% *} + unacked1 ))"
echo "run 2: $(json_get records <<<"$stats") records, $(json_get records_per_sec <<<"$stats") rec/s"

# --- the lake and the dead letters ------------------------------------------------------------
head=$("$cairn" --quiet --json data snapshot events | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).id)')
check "a head snapshot" test -n "$head"
lake=$(node "$feed" lake "$CAIRN_HOME" events "$head")
want=$(json_get distinct_ids <"$tmp/expect.json")
check "every valid record once ($lake, want $want)" test "$(json_get rows <<<"$lake")" = "$want"
check "distinct ids" test "$(json_get distinct_ids <<<"$lake")" = "$want"
check "the later duplicate wins" test "$(json_get amount_101 <<<"$lake")" = 7777
"$cairn" --json dlq list events >"$tmp/dlq.json" 2>"$tmp/dlq.err"
check "dlq list exits 0" test $? = 0
node -e '
const fs = require("fs");
const dlq = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const rows = Array.isArray(dlq) ? dlq : (dlq.records || dlq.dead_letters || []);
const got = [...new Set(rows.map((r) => r.location))].sort();
const want = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).dead.map((k) => `stream seq ${k}`).sort();
if (JSON.stringify(got) !== JSON.stringify(want)) {
  console.log(`dead letters: got ${got.length} locations, want ${want.length}; missing ` +
              want.filter((w) => !got.includes(w)).slice(0, 5) + "; extra " +
              got.filter((g) => !want.includes(g)).slice(0, 5));
  process.exit(1);
}' "$tmp/dlq.json" "$tmp/expect.json"
check "every invalid and poison record dead-lettered under its sequence" test $? = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
