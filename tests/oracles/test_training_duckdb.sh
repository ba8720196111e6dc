#!/usr/bin/env bash
# tests/oracles/test_training_duckdb.sh: a delay_model training set built by `cairn dataset
# build` agrees with DuckDB: origin_delays:mean_delay_24h and route_delays:mean_delay_30d are
# recomputed for every entity row from data/flights-3m.parquet (a window over the flights with
# RANGE BETWEEN INTERVAL w PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING, then an ASOF LEFT
# JOIN on the keys and time with the view's TTL as a filter). Nulls must match exactly and
# values within 1e-9. Env: CAIRN (the binary) or CAIRN_BUILD (the build tree), CAIRN_TOP.
set -euo pipefail
top=${CAIRN_TOP:?}
cairn=${CAIRN:-${CAIRN_BUILD:?}/cairn}
cd "$top"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the flights as CSV, exported by DuckDB (the same text bench/csv_read.sh makes once)
flights_csv="$tmp/flights-3m.csv"
node "$top/tests/oracles/q.mjs" "COPY (FROM '$top/data/flights-3m.parquet') TO '$flights_csv' (HEADER, FORMAT csv)" >/dev/null ||
    { echo "FAIL: exporting the flights to CSV"; exit 1; }
export CAIRN_HOME="$tmp/home"
"$cairn" --quiet init
"$cairn" --quiet schema register examples/flights/schema.yaml >/dev/null
"$cairn" --quiet ingest flights data/flights-3m.parquet >/dev/null
"$cairn" --quiet features apply examples/flights/features.yaml >/dev/null
# 1,000 entity rows: every 3,000th flight, at its own time (the flight itself and later ones
# never count: windows end 1 microsecond before)
awk -F, 'NR == 1 { print "origin,destination,date,event_timestamp,label"; next }
         NR % 3000 == 0 { t = $1; sub(" ", "T", t); t = t "Z"; print $4 "," $5 "," t "," t "," ($2 > 15 ? 1 : 0) }' \
    "$flights_csv" > "$tmp/entities.csv"
"$cairn" --quiet dataset build delay_model "$tmp/entities.csv" --output "$tmp/train.parquet" >/dev/null
res=$(node tests/oracles/q.mjs "
WITH f AS (SELECT origin, destination, date::TIMESTAMP AS date, delay FROM 'data/flights-3m.parquet'),
o AS (SELECT DISTINCT origin, date, AVG(delay) OVER (PARTITION BY origin ORDER BY date
        RANGE BETWEEN INTERVAL 24 HOUR PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING) AS m FROM f),
r AS (SELECT DISTINCT origin, destination, date, AVG(delay) OVER (PARTITION BY origin, destination ORDER BY date
        RANGE BETWEEN INTERVAL 30 DAY PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING) AS m FROM f),
e AS (SELECT row_number() OVER () AS rn, origin, destination, event_timestamp::TIMESTAMP AS t,
        origin_delays__mean_delay_24h AS c24, route_delays__mean_delay_30d AS c30 FROM '$tmp/train.parquet'),
j1 AS (SELECT e.rn, CASE WHEN o.date >= e.t - INTERVAL 7 DAY THEN o.m END AS d24
       FROM e ASOF LEFT JOIN o ON e.origin = o.origin AND e.t >= o.date),
j2 AS (SELECT e.rn, CASE WHEN r.date >= e.t - INTERVAL 30 DAY THEN r.m END AS d30
       FROM e ASOF LEFT JOIN r ON e.origin = r.origin AND e.destination = r.destination AND e.t >= r.date)
SELECT COUNT(*)::INTEGER AS n,
  SUM(CASE WHEN (c24 IS NULL) <> (d24 IS NULL) THEN 1 ELSE 0 END)::INTEGER AS null24,
  SUM(CASE WHEN (c30 IS NULL) <> (d30 IS NULL) THEN 1 ELSE 0 END)::INTEGER AS null30,
  SUM(CASE WHEN c24 IS NULL THEN 1 ELSE 0 END)::INTEGER AS nulls24,
  COALESCE(MAX(ABS(c24 - d24)), 0)::DOUBLE AS diff24, COALESCE(MAX(ABS(c30 - d30)), 0)::DOUBLE AS diff30
FROM e JOIN j1 USING (rn) JOIN j2 USING (rn)")
echo "training set vs duckdb: $res"
node -e '
const [r] = JSON.parse(process.argv[1]);
const ok = r.n === 1000 && r.null24 === 0 && r.null30 === 0 && r.diff24 <= 1e-9 && r.diff30 <= 1e-9;
if (!ok) { console.error("MISMATCH", r); process.exit(1); }
console.log("training set agrees with DuckDB");' "$res"
