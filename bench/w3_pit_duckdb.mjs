// bench/w3_pit_duckdb.mjs: the DuckDB peer of workload W3 (bench/w3_pit.sh). Loads the entity
// and feature tables bench_pit wrote (untimed), then times one statement that materialises
// the point-in-time join as a table, like Cairn's output: the features deduplicated per
// (origin, ts) by Feast's tie-break (latest created, then latest input row), an
// ASOF LEFT JOIN on origin and e.ts >= f.ts, and the TTL as a NULLed value when
// f.ts < e.ts - ttl. Prints {"matches", "sum_value", "total_s"} (query time only).
// Usage: node bench/w3_pit_duckdb.mjs THREADS DIR TTL_US
import { DuckDBInstance } from '@duckdb/node-api';

const [threads, dir, ttlUs] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
await con.run(`CREATE TABLE e AS FROM '${dir}/entities.parquet'`);
await con.run(`CREATE TABLE f AS FROM '${dir}/features.parquet'`);
const t0 = process.hrtime.bigint();
await con.run(`CREATE TABLE out AS
  WITH fd AS (SELECT origin, ts, mean_delay FROM f
              QUALIFY row_number() OVER (PARTITION BY origin, ts ORDER BY created DESC, frow DESC) = 1)
  SELECT e.*, CASE WHEN fd.ts >= e.ts - to_microseconds(${BigInt(ttlUs)}) THEN fd.mean_delay END AS mean_delay
  FROM e ASOF LEFT JOIN fd ON e.origin = fd.origin AND e.ts >= fd.ts`);
const t1 = process.hrtime.bigint();
const r = (await con.runAndReadAll(
  'SELECT count(mean_delay) AS matches, sum(mean_delay) AS sum_value, count(*) AS n FROM out')).getRowObjectsJson()[0];
console.log(JSON.stringify({ matches: Number(r.matches), sum_value: Number(r.sum_value), rows: Number(r.n),
                             total_s: Number(t1 - t0) / 1e9 }));
