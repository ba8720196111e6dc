// tests/oracles/test_pit_duckdb.mjs: checks Cairn's point-in-time join (written by bench_pit
// --dump) against DuckDB on the same entity and feature tables, two ways:
// - ASOF LEFT JOIN on origin and e.ts >= f.ts over the features deduplicated per (origin, ts)
//   (latest created, then latest input row), with the TTL as a NULLed value when
//   f.ts < e.ts - ttl: every entity row;
// - Feast's own formulation, ROW_NUMBER() OVER (PARTITION BY entity row ORDER BY f.ts DESC,
//   created DESC, input row DESC) = 1 over the range join, on a subset of entity rows (the
//   range join is quadratic per origin).
// Values must agree within 1e-9 with nulls in the same places. Prints a summary; exits 1 on
// any difference. Usage: node test_pit_duckdb.mjs DIR TTL_US SUBSET_MOD
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, ttlUs, subsetMod] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const run = (sql) => con.run(sql);
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();

await run(`CREATE TABLE e AS FROM '${dir}/entities.parquet'`);
await run(`CREATE TABLE f AS FROM '${dir}/features.parquet'`);
await run(`CREATE TABLE c AS FROM '${dir}/cairn.parquet'`);
const ttl = BigInt(ttlUs);
const ttlFilter = (fts, ets) => (ttl > 0n ? `${fts} >= ${ets} - to_microseconds(${ttl})` : 'true');

await run(`CREATE TABLE asof_result AS
  WITH fd AS (SELECT * FROM f
              QUALIFY row_number() OVER (PARTITION BY origin, ts ORDER BY created DESC, frow DESC) = 1)
  SELECT e.eid, CASE WHEN ${ttlFilter('fd.ts', 'e.ts')} THEN fd.mean_delay END AS v
  FROM e ASOF LEFT JOIN fd ON e.origin = fd.origin AND e.ts >= fd.ts`);

await run(`CREATE TABLE feast_result AS
  WITH es AS (SELECT * FROM e WHERE eid % ${Number(subsetMod)} = 0),
  cand AS (
    SELECT es.eid, f.mean_delay,
           row_number() OVER (PARTITION BY es.eid ORDER BY f.ts DESC, f.created DESC, f.frow DESC) AS rn
    FROM es JOIN f ON es.origin = f.origin AND f.ts <= es.ts AND ${ttlFilter('f.ts', 'es.ts')})
  SELECT es.eid, cand.mean_delay AS v FROM es LEFT JOIN cand ON cand.eid = es.eid AND cand.rn = 1`);

const compare = async (table) => (await rows(`
  SELECT count(*) AS n,
         count(*) FILTER (WHERE c.eid IS NULL) AS missing,
         count(*) FILTER (WHERE (r.v IS NULL) <> (c.mean_delay IS NULL)) AS null_diff,
         coalesce(max(abs(r.v - c.mean_delay)), 0) AS max_abs_diff,
         count(r.v) AS non_null
  FROM ${table} r LEFT JOIN c ON c.eid = r.eid`))[0];

const [{ entities, cairn_rows }] = await rows(
  'SELECT (SELECT count(*) FROM e) AS entities, (SELECT count(*) FROM c) AS cairn_rows');
// how many entity rows the tie-break decides: their match has several rows at its (origin, ts)
const [{ tied }] = await rows(`
  WITH dup AS (SELECT origin, ts FROM f GROUP BY ALL HAVING count(*) > 1)
  SELECT count(*) AS tied FROM e ASOF JOIN f ON e.origin = f.origin AND e.ts >= f.ts
  SEMI JOIN dup ON dup.origin = f.origin AND dup.ts = f.ts`);
const asof = await compare('asof_result');
const feast = await compare('feast_result');
console.log(JSON.stringify({ entities, cairn_rows, tied, asof, feast }));
let ok = entities === cairn_rows;
for (const r of [asof, feast])
  ok = ok && r.missing === '0' && r.null_diff === '0' && Number(r.max_abs_diff) <= 1e-9 && Number(r.n) > 0;
process.exit(ok ? 0 : 1);
