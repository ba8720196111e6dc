// tests/oracles/lake_duckdb_check.mjs: a Cairn lake read by DuckDB with
// hive_partitioning=true, against the rows that were written (HOME/expected.json, from
// tests/unit/lake/test_duckdb_layout.c) and against `cairn data head DATASET`:
//   days     (by day of "at"): every row's values, at_day = the date of at (null time ->
//            NULL key), row count and id sum per partition;
//   origins  (by value of "origin", left out of the files): the origin DuckDB rebuilds from
//            the (Hive-escaped) directory names and the one Cairn restores both equal the
//            value written, per row and per partition (null and "a/b=c" included).
// Usage: node lake_duckdb_check.mjs CAIRN HOME. Prints PASS/FAIL lines; exits 1 on a FAIL.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [cairn, home] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(`${home}/expected.json`, 'utf8'));
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const src = (ds) => `read_parquet('${home}/lake/${ds}/**/*.parquet', hive_partitioning=true)`;
let failed = 0;
const check = (name, ok, detail) => {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${detail}`);
  if (!ok) failed++;
};
const byId = (rows) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));
const usOf = (iso) => (iso === null ? null : String(Date.parse(iso) * 1000 + Number((iso.match(/\.(\d+)/) || [0, '0'])[1].padEnd(6, '0').slice(3))));
const dayOf = (iso) => (iso === null ? null : iso.slice(0, 10));
const groups = (rows, key) => {
  const g = new Map();
  for (const r of rows) {
    const k = key(r) ?? 'NULL';
    const e = g.get(k) || { n: 0, ids: 0 };
    e.n++;
    e.ids += Number(r.id);
    g.set(k, e);
  }
  return g;
};
const sameGroups = (name, want, got) => {
  const a = [...want.entries()].sort().map(([k, v]) => `${k}:${v.n}:${v.ids}`).join(' ');
  const b = [...got.entries()].sort().map(([k, v]) => `${k}:${v.n}:${v.ids}`).join(' ');
  check(name, a === b, `expected ${a}\n      found    ${b}`);
};
const firstDiff = (want, got, cols) => {
  if (want.length !== got.length) return `${got.length} rows, expected ${want.length}`;
  for (let i = 0; i < want.length; i++)
    for (const c of cols)
      if (String(want[i][c]) !== String(got[i][c]) && !(c === 'delay' && Number(want[i][c]) === Number(got[i][c])))
        return `row id=${want[i].id} column ${c}: expected ${want[i][c]}, found ${got[i][c]}`;
  return null;
};
const cairnRows = (ds) =>
  JSON.parse(execFileSync(cairn, ['--home', home, '--json', '--quiet', 'data', 'head', ds, '-n', '100000'],
    { encoding: 'utf8' }));

// days: partitioned by day; the time column stays in the files
{
  const want = byId(expected.days).map((r) => ({ id: String(r.id), at_us: usOf(r.at), delay: String(r.delay), day: dayOf(r.at) }));
  const got = byId(await q(`SELECT id::VARCHAR id, epoch_us("at")::VARCHAR at_us, delay::VARCHAR delay,
                        at_day::VARCHAR AS "day" FROM ${src('days')}`));
  const d = firstDiff(want, got, ['id', 'at_us', 'delay', 'day']);
  check('days: DuckDB rows, values and at_day keys', d === null, d);
  sameGroups('days: rows and id sums per partition', groups(want, (r) => r.day), groups(got, (r) => r.day));
  const mismatched = await q(`SELECT count(*)::INTEGER n FROM ${src('days')} WHERE at_day::VARCHAR <> strftime("at", '%Y-%m-%d')`);
  check('days: every key is its row\'s date', mismatched[0].n === 0, `${mismatched[0].n} rows`);
  const ours = byId(cairnRows('days').rows).map((r) => ({ id: String(r.id), at_us: usOf(r.at), delay: String(r.delay) }));
  const e = firstDiff(want, ours, ['id', 'at_us', 'delay']);
  check('days: cairn data head equals the rows written', e === null, e);
}

// origins: partitioned by value; the column lives only in the directory names
{
  const want = byId(expected.origins).map((r) => ({ id: String(r.id), origin: r.origin, delay: String(r.delay) }));
  const got = byId(await q(`SELECT id::VARCHAR id, origin, delay::VARCHAR delay FROM ${src('origins')}`));
  const d = firstDiff(want, got, ['id', 'origin', 'delay']);
  check('origins: DuckDB rebuilds origin from the keys', d === null, d);
  sameGroups('origins: rows and id sums per partition', groups(want, (r) => r.origin), groups(got, (r) => r.origin));
  const cols = await q(`SELECT count(*)::INTEGER n FROM (DESCRIBE SELECT * FROM read_parquet('${home}/lake/origins/**/*.parquet', hive_partitioning=false)) WHERE column_name = 'origin'`);
  check('origins: the files themselves hold no origin column', cols[0].n === 0, 'origin found in the files');
  const res = cairnRows('origins');
  const names = res.columns.map((c) => c.name).join(',');
  check('origins: cairn restores origin as the last column', names === 'id,delay,origin', names);
  const ours = byId(res.rows).map((r) => ({ id: String(r.id), origin: r.origin, delay: String(r.delay) }));
  const e = firstDiff(want, ours, ['id', 'origin', 'delay']);
  check('origins: cairn data head equals the rows written', e === null, e);
}
process.exit(failed ? 1 : 0);
