#!/usr/bin/env bash
# tests/integration/test_serve_cli.sh: `cairn serve` end to end with curl: --port 0 prints the
# bound port; /health, /ready, /metrics (Prometheus text, counters that move), 404/405 and a
# 400 with its JSON message; then a real get-online-features after init, schema register,
# ingest of a tiny CSV, features apply and materialize (values, PRESENT and NOT_FOUND, a
# feature service, an unknown feature refused); the access log; SIGTERM exits 0 with a summary.
# Env: CAIRN (the binary), CAIRN_TOP (the source tree). Prints "N passed, M failed".
set -u
cairn=${CAIRN:?set CAIRN to the cairn binary}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
export CAIRN_HOME="$tmp/home"
pass=0; fail=0
ok()   { pass=$((pass+1)); }
bad()  { fail=$((fail+1)); echo "FAIL: $*"; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
has() { grep -qF -- "$2" <<<"$1"; }
jget() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); const v=eval("o."+process.argv[1]); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1"; }
req() { # METHOD PATH [BODY]: sets code and body
    local out
    if [ $# -ge 3 ]; then out=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" --data-binary "$3" "$base$2")
    else out=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" "$base$2"); fi
    code=$out; body=$(cat "$tmp/body")
}

# A tiny dataset, feature repository and materialization.
cat > "$tmp/schema.yaml" <<'YAML'
dataset: trips
event_time: date
partition: {by: day, column: date}
fields:
  - {name: date, type: timestamp, nullable: false}
  - {name: origin, type: string, nullable: false}
  - {name: delay, type: int64, nullable: false}
YAML
cat > "$tmp/features.yaml" <<'YAML'
entities:
  - {name: origin, join_keys: [origin]}
sources:
  - {name: trips, dataset: trips}
feature_views:
  - name: origin_stats
    entity: origin
    source: trips
    event_time: date
    features:
      - {name: trips_7d, agg: count, window: 7d}
      - {name: max_delay_7d, agg: max, column: delay, window: 7d}
feature_services:
  - {name: svc, features: [origin_stats]}
YAML
printf 'date,origin,delay\n2001-01-01T10:00:00Z,ORD,5\n2001-01-02T10:00:00Z,ORD,20\n2001-01-02T11:00:00Z,LAX,-3\n' > "$tmp/trips.csv"
"$cairn" --quiet init
"$cairn" --quiet schema register "$tmp/schema.yaml" >/dev/null
"$cairn" --quiet ingest trips "$tmp/trips.csv" >/dev/null
"$cairn" --quiet features apply "$tmp/features.yaml" >/dev/null
"$cairn" --quiet materialize --end 2001-01-03T00:00:00Z >/dev/null
check "setup materialized" test $? = 0

# Start on a free port and read it from the first line.
"$cairn" serve --port 0 --threads 2 --access-log "$tmp/access.log" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
check "bound port printed: $(cat "$tmp/out")" test -n "$port"
base="http://127.0.0.1:$port"

req GET /health;  check "health 200" test "$code" = 200; check "health body" test "$body" = '{"status":"ok"}'
req GET /ready;   check "ready 200 ($body)" test "$code" = 200
req GET /nope;    check "404" test "$code" = 404; has "$body" '"error":"no route for GET /nope"' && ok || bad "404 body: $body"
req DELETE /health; check "405" test "$code" = 405
req POST /get-online-features '{"features": ["origin_stats:trips_7d"], "entities": {"origin": "ORD"}}'
check "400 bad entities" test "$code" = 400
check "400 message" test "$(jget error <<<"$body")" = "'entities' must be an object of arrays: 'origin' is not an array"
req POST /get-online-features '{"features": [1,'
check "400 malformed JSON" test "$code" = 400; has "$body" "invalid JSON" && ok || bad "malformed: $body"

# A real lookup: column-major results, join key first.
req POST /get-online-features '{"features": ["origin_stats:trips_7d", "origin_stats:max_delay_7d"], "entities": {"origin": ["ORD", "SFO", "LAX"]}}'
check "lookup 200 ($body)" test "$code" = 200
check "feature names" test "$(jget 'metadata.feature_names.join()' <<<"$body")" = "origin,origin_stats:trips_7d,origin_stats:max_delay_7d"
check "trips values" test "$(jget 'results[1].values.join()' <<<"$body")" = "2,,1"
check "trips statuses" test "$(jget 'results[1].statuses.join()' <<<"$body")" = "PRESENT,NOT_FOUND,PRESENT"
check "max delay values" test "$(jget 'results[2].values.join()' <<<"$body")" = "20,,-3"
check "event time" test "$(jget 'results[2].event_timestamps[0]' <<<"$body")" = "2001-01-02T10:00:00Z"
req POST /get-online-features '{"feature_service": "svc", "entities": {"origin": ["LAX"]}}'
check "service lookup" test "$(jget 'results[2].values[0]' <<<"$body")" = "-3"
req POST /get-online-features '{"features": ["origin_stats:nope"], "entities": {"origin": ["LAX"]}}'
check "unknown feature 400" test "$code" = 400; has "$body" "unknown feature 'origin_stats:nope'" && ok || bad "unknown feature: $body"

# Metrics: text format and counters.
req GET /metrics
check "metrics 200" test "$code" = 200
has "$body" '# TYPE cairn_http_requests_total counter' && ok || bad "metrics TYPE line"
has "$body" 'cairn_http_requests_total{route="get-online-features",code="200"} 2.0' && ok || bad "lookup counter: $(grep requests_total <<<"$body")"
has "$body" 'cairn_http_requests_total{route="get-online-features",code="400"} 3.0' && ok || bad "400 counter"
has "$body" 'cairn_online_lookups_total 4.0' && ok || bad "lookups counter: $(grep lookups <<<"$body")"
has "$body" 'cairn_http_request_duration_seconds_count{route="health"} 2' && ok || bad "histogram count"

# SIGTERM: in-flight finished, exit 0, summary printed.
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check "exit 0 on SIGTERM" test "$rc" = 0
has "$(cat "$tmp/err")" "served 10 requests" && ok || bad "summary: $(cat "$tmp/err")"
check "access log lines" test "$(wc -l < "$tmp/access.log")" = 10
check "access log is JSON" test "$(head -1 "$tmp/access.log" | jget status)" = 200

# A port in use is a clear error.
/usr/bin/python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$tmp/busy" &
bpid=$!
for _ in $(seq 1 100); do [ -s "$tmp/busy" ] && break; sleep 0.1; done
"$cairn" serve --port "$(cat "$tmp/busy")" >/dev/null 2>"$tmp/err2"; rc=$?
kill "$bpid" 2>/dev/null
check "busy port exits 2" test "$rc" = 2
has "$(cat "$tmp/err2")" "cannot listen on 127.0.0.1:" && ok || bad "busy port message: $(cat "$tmp/err2")"

echo "$pass passed, $fail failed"
test "$fail" = 0
