#!/usr/bin/env bash
# tests/oracles/test_stats_duckdb.sh: `cairn data stats` agrees with DuckDB on the example
# airports and on a generated file with nulls, negatives and repeated strings.
set -euo pipefail
cairn=${CAIRN:?}; top=${CAIRN_TOP:?}
cd "$top"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
node tests/oracles/stats_compare.mjs "$cairn" data/airports.csv \
  "iata:string,name:string,city:string,state:string,country:string,latitude:float64,longitude:float64"
/usr/bin/python3 - "$tmp/gen.csv" <<'PY'
import random, sys
random.seed(11)
with open(sys.argv[1], "w") as f:
    f.write("id,amount,score,tag\n")
    for i in range(20000):
        amount = "" if random.random() < 0.05 else str(random.randint(-10**9, 10**9))
        score = "" if random.random() < 0.1 else repr(random.gauss(3.0, 2.5))
        tag = random.choice(["a", "bb", "ccc", "", "z" * 20])
        f.write(f"{i},{amount},{score},{tag}\n")
PY
node tests/oracles/stats_compare.mjs "$cairn" "$tmp/gen.csv" "id:int64,amount:int64,score:float64,tag:string"
