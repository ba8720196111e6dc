#!/usr/bin/env bash
# bench/w6_online.sh: W6, online store lookups. bench_online_get (bench/online_get.c) loads
# ENTITIES entities (default 1M) of VALUE_BYTES-byte values (default 64) into one view, then
# times random lookups through cairn_online_get:
#   LMDB, in process (lmdb:DIR): GETS lookups one key per call, then 100 keys per call;
#   Redis (redis-server started here on a free loopback port, no persistence): one key per
#   call (a round trip each), then 100 keys per call (pipelined HMGETs).
# Prints per-call p50/p99/p99.9 (µs), per-lookup time and lookups/s; the target is an LMDB
# p99 at or under 5 µs. The machine is shared: run it only when nothing else builds.
# Usage: bench/w6_online.sh [BUILD_DIR] (default build/release).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/release}
entities=${ENTITIES:-1000000}; value_bytes=${VALUE_BYTES:-64}; gets=${GETS:-1000000}
redis_gets=${REDIS_GETS:-100000}
bin=$build/bench/bench_online_get
[ -x "$bin" ] || { echo "build first: make release (missing $bin)" >&2; exit 1; }
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/setup)" >&2; exit 1; }
done
tmp=$(mktemp -d)
redis_pid=
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

common=(--entities "$entities" --value-bytes "$value_bytes")
"$bin" "lmdb:$tmp/lmdb" "${common[@]}" --gets "$gets" --batch 1 > "$tmp/lmdb1"
"$bin" "lmdb:$tmp/lmdb" "${common[@]}" --gets "$gets" --batch 100 --no-load > "$tmp/lmdb100"
lmdb_bytes=$(du -sb "$tmp/lmdb" | cut -f1)

for try in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 40000 ))
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || break
    sleep 0.05
  done
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; redis_pid=
done
[ -n "$redis_pid" ] || { echo "could not start redis-server" >&2; exit 1; }
"$bin" "redis://127.0.0.1:$port" "${common[@]}" --gets "$redis_gets" --batch 1 > "$tmp/redis1"
"$bin" "redis://127.0.0.1:$port" "${common[@]}" --gets "$gets" --batch 100 --no-load > "$tmp/redis100"
redis_mem=$(redis-cli -p "$port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')

/usr/bin/python3 - "$tmp" "$lmdb_bytes" "$redis_mem" <<'PY'
import json, sys
tmp, lmdb_bytes, redis_mem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3] or 0)
rows = [json.load(open(f"{tmp}/{name}")) for name in ("lmdb1", "lmdb100", "redis1", "redis100")]
r = rows[0]
print(f"W6 online lookups: {r['entities']:,} entities, {r['value_bytes']}-byte values, random keys")
print(f"load: LMDB {rows[0]['load_s']:.2f} s ({lmdb_bytes / 2**20:.0f} MiB on disk), "
      f"Redis {rows[2]['load_s']:.2f} s ({redis_mem / 2**20:.0f} MiB used)")
print(f"{'backend':8} {'keys/call':>9} {'lookups':>9} {'p50 µs':>9} {'p99 µs':>9} {'p99.9 µs':>9} "
      f"{'µs/lookup':>10} {'lookups/s':>12}")
for r in rows:
    print(f"{r['backend']:8} {r['batch']:>9} {r['lookups']:>9,} {r['call_p50_us']:>9.2f} "
          f"{r['call_p99_us']:>9.2f} {r['call_p999_us']:>9.2f} {r['lookup_p50_us']:>10.3f} "
          f"{r['lookups_per_s']:>12,.0f}")
p99 = rows[0]["call_p99_us"]
print(f"LMDB single-key p99 {p99:.2f} µs: {'meets' if p99 <= 5 else 'MISSES'} the 5 µs target")
print(json.dumps({"w6_online": rows}))
PY
