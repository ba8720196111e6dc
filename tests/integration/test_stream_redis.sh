#!/usr/bin/env bash
# tests/integration/test_stream_redis.sh: `cairn ingest-stream` from a Redis stream, end to end,
# against a private redis-server: 20,000 records (40 invalid, 200 duplicates, 4 poison, one
# spread over lines) are read by consumer c1 in small batches, which is killed with SIGKILL
# mid-stream; consumer c2 then re-reads the group, reclaims c1's pending entries
# (--claim-idle), survives its connection being killed (reconnect), and exits when idle.
# Checks: every valid record is in the head snapshot exactly once (the later duplicate
# wins), every invalid or poison record is in the dead-letter store under its entry id, the
# group has nothing pending and no lag. Also: a refused connection fails at once with a
# clear error, SIGINT stops after flushing, a lost server ends in "giving up after N retries".
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
top=${CAIRN_TOP:?set CAIRN_TOP}
for tool in redis-server redis-cli node; do
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

# --- a private redis-server on a free port ------------------------------------------------
port=
for try in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 30000))
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        >"$tmp/redis.log" 2>&1 &
    rpid=$!
    for _ in $(seq 50); do
        redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && { port=$p; break; }
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] && { pids+=("$rpid"); break; }
    kill -9 "$rpid" 2>/dev/null
done
[ -n "$port" ] || { echo "FAIL: redis-server did not start"; cat "$tmp/redis.log"; exit 1; }
rcli() { redis-cli -p "$port" "$@"; }
url="redis://127.0.0.1:$port/events"

unacked() { rcli XPENDING events g | head -1; }
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

# --- errors -------------------------------------------------------------------------------
"$cairn" ingest-stream events --from redis://127.0.0.1:1/events >/dev/null 2>"$tmp/err"
rc=$?; err=$(cat "$tmp/err")
check "refused connection exits 2" test "$rc" = 2
has "$err" "redis 127.0.0.1:1: connection refused" && ok || bad "refused message: $err"
"$cairn" ingest-stream events --from kafka://h/t >/dev/null 2>"$tmp/err"
check "unknown scheme exits 1" test $? = 1
has "$(cat "$tmp/err")" "unknown scheme 'kafka'" && ok || bad "scheme message: $(cat "$tmp/err")"
"$cairn" ingest-stream events --from "$url" --batch-age soon >/dev/null 2>"$tmp/err"
check "bad duration exits 1" test $? = 1
"$cairn" ingest-stream nosuch --from "$url" --idle-exit 200ms >/dev/null 2>"$tmp/err"
check "unknown dataset fails" test $? != 0

# --- the data -----------------------------------------------------------------------------
n=20000
node "$feed" events "$n" >"$tmp/payloads.jsonl"
node "$feed" expect "$n" >"$tmp/expect.json"
total=$(wc -l <"$tmp/payloads.jsonl")
node "$feed" redis events <"$tmp/payloads.jsonl" | rcli --pipe >"$tmp/pipe.log" 2>&1
check "stream holds every payload" test "$(rcli XLEN events)" = "$total"

# --- run 1: consumer c1, killed mid-stream ------------------------------------------------
"$cairn" ingest-stream events --from "$url" --group g --consumer c1 --batch 300 \
    --batch-age 200ms >"$tmp/run1.out" 2>"$tmp/run1.err" &
c1=$!; pids+=("$c1")
for _ in $(seq 300); do
    grep -q '^batch 3:' "$tmp/run1.err" && break
    kill -0 "$c1" 2>/dev/null || break
    sleep 0.05
done
kill_mid_batch "$c1"
check "c1 killed holding unacked entries" test $? = 0
grep -q '^batch 3:' "$tmp/run1.err" && ok || bad "run 1 committed 3 batches: $(cat "$tmp/run1.err")"
pending1=$(unacked)
acked1=$(grep '^batch' "$tmp/run1.err" | tail -1 | sed -E 's/.* ([0-9,]+) committed.*/\1/; s/,//g')
echo "run 1 killed after ${acked1:-0} committed records, $pending1 entries pending for c1"
check "killed mid-stream (records left)" test "${acked1:-0}" -lt "$total"

# --- run 2: consumer c2 reclaims, survives a killed connection, exits when idle -----------
sleep 0.3 # c1's pending entries are now idle longer than --claim-idle
"$cairn" --json ingest-stream events --from "$url" --group g --consumer c2 --batch 1000 \
    --batch-age 200ms --claim-idle 200ms --idle-exit 2s >"$tmp/run2.json" 2>"$tmp/run2.err" &
c2=$!; pids+=("$c2")
for _ in $(seq 200); do
    grep -q '^batch 2:' "$tmp/run2.err" && break
    kill -0 "$c2" 2>/dev/null || break
    sleep 0.05
done
rcli CLIENT KILL TYPE normal >/dev/null # drops c2's connection: it must reconnect
wait "$c2"; rc=$?
check "run 2 exits 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/run2.err"
stats=$(cat "$tmp/run2.json")
tail -1 "$tmp/run2.err"
has "$(tail -1 "$tmp/run2.err")" "into 'events'" && ok || bad "summary line: $(tail -1 "$tmp/run2.err")"
check "c2 reclaimed c1's entries" test "$(json_get reclaimed <<<"$stats")" -ge "${pending1:-1}"
check "c2 retried after the killed connection" test "$(json_get retries <<<"$stats")" -ge 1
check "lag 0 at the end" test "$(json_get lag <<<"$stats")" = 0
check "nothing pending in the group" test "$(rcli XPENDING events g | head -1)" = 0
echo "run 2: $(json_get records <<<"$stats") records, $(json_get records_per_sec <<<"$stats") rec/s"

# --- the lake and the dead letters ----------------------------------------------------------
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
const want = JSON.parse(fs.readFileSync(process.argv[2], "utf8")).dead.map((k) => `${k}-0`).sort();
if (JSON.stringify(got) !== JSON.stringify(want)) {
  console.log(`dead letters: got ${got.length} locations, want ${want.length}; missing ` +
              want.filter((w) => !got.includes(w)).slice(0, 5) + "; extra " +
              got.filter((g) => !want.includes(g)).slice(0, 5));
  process.exit(1);
}' "$tmp/dlq.json" "$tmp/expect.json"
check "every invalid and poison record dead-lettered under its entry id" test $? = 0

# --- SIGINT: stops after flushing and acking what it holds ----------------------------------
"$cairn" --json ingest-stream events --from "$url" --group g3 --consumer c4 --batch 500 \
    --batch-age 5s >"$tmp/run4.json" 2>"$tmp/run4.err" &
c4=$!; pids+=("$c4")
for _ in $(seq 200); do
    grep -q '^batch 1:' "$tmp/run4.err" && break
    sleep 0.05
done
kill -INT "$c4"
wait "$c4"; rc=$?
check "SIGINT exits 0" test "$rc" = 0
check "SIGINT run says it stopped" test "$(json_get stopped <"$tmp/run4.json")" = true
check "SIGINT run acked what it read" test "$(json_get acked <"$tmp/run4.json")" = "$(json_get records <"$tmp/run4.json")"
check "nothing pending after SIGINT" test "$(rcli XPENDING events g3 | head -1)" = 0

# --- a lost server: retries, then a clear error ---------------------------------------------
rcli XADD events 999999999-0 data '{"id": 1}' >/dev/null
"$cairn" ingest-stream events --from "$url" --group g2 --consumer c3 --batch 100000 \
    --batch-age 10s --max-retries 2 >/dev/null 2>"$tmp/run3.err" &
c3=$!; pids+=("$c3")
sleep 1
{ kill -9 "${pids[0]}"; wait "${pids[0]}"; } 2>/dev/null # the redis-server
wait "$c3"; rc=$?
err=$(cat "$tmp/run3.err")
check "lost server exits 2" test "$rc" = 2
has "$err" "giving up after 2 retries" && ok || bad "retry message: $err"
has "$err" "redis 127.0.0.1:$port" && ok || bad "names the server: $err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
