#!/usr/bin/env bash
# tests/data/parquet/make.sh: regenerates the Parquet fixtures of this directory with DuckDB
# (npm @duckdb/node-api, an independent writer). Run once from anywhere; the files are
# committed. Every value is a formula of the row number i (0-based), so the unit tests
# (tests/unit/table/test_parquet_read.c) recompute the expected values exactly; keep the
# formulas here and in the test in step.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=$top/tests/data/parquet
cd "$top" # node resolves @duckdb/node-api from the tree's node_modules

all_types="
  i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37 - 5000)::INTEGER END AS i32,
  ((i * 1000003 - 7) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END))::BIGINT AS i64,
  ((i % 200) - 100)::TINYINT AS i8,
  ((i * 7) % 60000 - 30000)::SMALLINT AS i16,
  (i % 250)::UTINYINT AS u8,
  ((i * 13) % 65000)::USMALLINT AS u16,
  (4000000000 - i)::UINTEGER AS u32,
  (i * 1000)::UBIGINT AS u64,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (i / 4)::FLOAT END AS f32,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i * 0.125 - 17.5)::DOUBLE END AS f64,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE WHEN i % 13 = 0 THEN NULL ELSE 'cat' || (i % 9)::VARCHAR END AS s_dict,
  'row-' || i::VARCHAR || repeat('x', (i % 5)::INTEGER) AS s_plain,
  (DATE '2001-01-01' + (i % 400)::INTEGER) AS dt,
  TIMESTAMP '2001-01-01 00:00:00' + to_microseconds(i * 1234567) AS ts,
  (TIMESTAMP '2001-01-01 00:00:00' + to_milliseconds(i * 1000))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2001-01-01 00:00:00' + to_microseconds(i * 3))::TIMESTAMP_NS AS ts_ns,
  (TIMESTAMP '2001-01-01 00:00:00' + to_microseconds(i * 999))::TIMESTAMPTZ AS tstz,
  ((i * 12345 - 1000000)::DOUBLE / 100)::DECIMAL(9,2) AS dec9,
  ((i * 987654321 - 500000000000)::DOUBLE / 10000)::DECIMAL(18,4) AS dec18,
  ((i * 1000003 - 12345)::DOUBLE / 1000000)::DECIMAL(38,6) AS dec38,
  CASE WHEN i % 17 = 0 THEN NULL ELSE encode('blob' || i::VARCHAR) END AS bin"

some_types="
  i::BIGINT AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37 - 5000)::INTEGER END AS i32,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i * 0.125 - 17.5)::DOUBLE END AS f64,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE WHEN i % 13 = 0 THEN NULL ELSE 'cat' || (i % 9)::VARCHAR END AS s_dict,
  'row-' || i::VARCHAR || repeat('x', (i % 5)::INTEGER) AS s_plain,
  TIMESTAMP '2001-01-01 00:00:00' + to_microseconds(i * 1234567) AS ts"

q() { node tests/oracles/q.mjs "SET TimeZone = 'UTC'; $1" >/dev/null; }
copy() { # name rows columns options
  rm -f "$out/$1.parquet"
  q "COPY (SELECT $3 FROM range($2) r(i) ORDER BY i) TO '$out/$1.parquet' (FORMAT parquet, $4)"
}

copy all_types 2000 "$all_types" "COMPRESSION zstd, ROW_GROUP_SIZE 700"
copy all_types_v2 3000 "$all_types" "COMPRESSION zstd, ROW_GROUP_SIZE 1024, PARQUET_VERSION V2"
for codec in uncompressed snappy gzip zstd lz4; do
  copy "codec_$codec" 2000 "$some_types" "COMPRESSION $codec"
done
copy codec_v2_uncompressed 2000 "$some_types" "COMPRESSION uncompressed, PARQUET_VERSION V2"
copy codec_v2_snappy 2000 "$some_types" "COMPRESSION snappy, PARQUET_VERSION V2"
copy codec_brotli 100 "$some_types" "COMPRESSION brotli"
copy row_groups 10000 "i::BIGINT AS id, 'g' || (i // 1000)::VARCHAR AS grp" \
  "COMPRESSION snappy, ROW_GROUP_SIZE 2048"
copy all_null 300 "i::INTEGER AS id, NULL::VARCHAR AS s, NULL::BIGINT AS n, NULL::DOUBLE AS d" \
  "COMPRESSION zstd"
copy empty 0 "i::BIGINT AS id, i::VARCHAR AS s" "COMPRESSION zstd"
copy nested 10 "i::BIGINT AS id, {'a': i, 'b': 'x'} AS st, [i, i + 1] AS li" "COMPRESSION zstd"
copy kv_metadata 5 "i::BIGINT AS id" "COMPRESSION zstd, KV_METADATA {owner: 'cairn', purpose: 'test'}"
# Tiny files: the fuzzer's seeds (tests/fuzz/corpus/parquet/ holds copies).
copy tiny_types 50 "$all_types" "COMPRESSION uncompressed"
copy tiny_types_v2 50 "$all_types" "COMPRESSION uncompressed, PARQUET_VERSION V2"
for codec in snappy gzip zstd lz4; do
  copy "tiny_$codec" 30 "$some_types" "COMPRESSION $codec"
done
corpus=$top/tests/fuzz/corpus/parquet
mkdir -p "$corpus"
for f in tiny_types tiny_types_v2 tiny_snappy tiny_gzip tiny_zstd tiny_lz4 all_null empty \
         kv_metadata nested codec_brotli codec_v2_snappy; do
  cp "$out/$f.parquet" "$corpus/$f.parquet"
done
ls -l "$out"/*.parquet
