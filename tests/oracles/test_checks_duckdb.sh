#!/usr/bin/env bash
# tests/oracles/test_checks_duckdb.sh: the metrics of the dataset-level checks (completeness,
# uniqueness of one column and of a two-column key, mean, exact quantiles with linear
# interpolation) agree with DuckDB on a generated CSV with nulls, duplicates and outliers.
# NumPy is not installed on the build machines; DuckDB's quantile_cont interpolates the same
# way as numpy.quantile's default (h = (n - 1) q).
# The C side is test_oracle_dump in tests/unit/ingest/test_checks.c, which runs alone when
# CAIRN_CHECKS_ORACLE_CSV and CAIRN_CHECKS_ORACLE_OUT are set.
# Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}
bin=$build/tests/ingest_test_checks
cd "$top"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp/gen.csv" <<'PY'
import random, sys
random.seed(20240301)
keys = ["SFO", "LAX", "JFK", "ORD", "ATL", "x" * 30, "é"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("id,x,n,k\n")
    for i in range(200000):
        ident = "" if random.random() < 0.01 else str(i if random.random() < 0.97 else random.randint(0, 1000))
        r = random.random()
        x = "" if r < 0.05 else repr(random.gauss(7.0, 30.0) if r < 0.99 else random.uniform(-1e6, 1e6))
        n = "" if random.random() < 0.1 else str(random.randint(-10**6, 10**6) if random.random() < 0.5 else random.randint(0, 50))
        k = "" if random.random() < 0.02 else random.choice(keys)
        f.write(f"{ident},{x},{n},{k}\n")
PY

CAIRN_CHECKS_ORACLE_CSV=$tmp/gen.csv CAIRN_CHECKS_ORACLE_OUT=$tmp/cairn.json "$bin" >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; exit 1; }
test -s "$tmp/cairn.json" || { cat "$tmp/log"; echo "no output from $bin"; exit 1; }

t="read_csv('$tmp/gen.csv', header=true, columns={'id':'BIGINT','x':'DOUBLE','n':'BIGINT','k':'VARCHAR'})"
q() { echo "quantile_cont($1, $2) AS $3"; }
node tests/oracles/q.mjs "
WITH t AS (SELECT * FROM $t),
u1 AS (SELECT count(*) c FROM t WHERE id IS NOT NULL GROUP BY id),
u2 AS (SELECT count(*) c FROM t WHERE k IS NOT NULL OR n IS NOT NULL GROUP BY k, n)
SELECT count(x) / count(*) AS completeness_x, count(k) / count(*) AS completeness_k,
  (SELECT sum(CASE WHEN c = 1 THEN 1 ELSE 0 END) / sum(c) FROM u1) AS uniqueness_id,
  (SELECT sum(CASE WHEN c = 1 THEN 1 ELSE 0 END) / sum(c) FROM u2) AS uniqueness_k_n,
  avg(x) AS mean_x, avg(n) AS mean_n,
  $(q x 0 q0_x), $(q x 0.1 q10_x), $(q x 0.25 q25_x), $(q x 0.5 q50_x), $(q x 0.95 q95_x),
  $(q x 0.999 q999_x), $(q x 1 q100_x), $(q n 0.33 q33_n), $(q n 0.5 q50_n), $(q id 0.9 q90_id)
FROM t" >"$tmp/duckdb.json"

/usr/bin/python3 - "$tmp/cairn.json" "$tmp/duckdb.json" <<'PY'
import json, math, sys
cairn = json.load(open(sys.argv[1]))
duck = json.load(open(sys.argv[2]))[0]
bad = 0
for name, want in duck.items():
    got, want = cairn.get(name), float(want)
    tol = 1e-9 if name.startswith("mean") else 1e-12
    if got is None or not math.isclose(got, want, rel_tol=tol, abs_tol=1e-12):
        print(f"MISMATCH {name}: cairn {got!r}, duckdb {want!r}")
        bad += 1
    else:
        print(f"ok {name}: {got!r}")
missing = set(cairn) - set(duck)
if missing:
    print("not compared:", sorted(missing)); bad += 1
sys.exit(1 if bad else 0)
PY
