// tests/oracles/stats_compare.mjs: `cairn --json data stats FILE` against DuckDB's own
// statistics of the same CSV: row count, nulls, exact distinct count, min, max, mean and
// sample standard deviation per column. Usage: node stats_compare.mjs CAIRN FILE [TYPES]
// TYPES (optional) is Cairn's --types spec, given to both sides. Exits 1 on any mismatch.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';

const [cairn, file, types] = process.argv.slice(2);
const args = ['--json', '--quiet', 'data', 'stats', file];
if (types) args.push('--types', types);
const ours = JSON.parse(execFileSync(cairn, args, { encoding: 'utf8' }));

const duckType = { bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT',
  float64: 'DOUBLE', string: 'VARCHAR', timestamp: 'TIMESTAMP', date: 'DATE' };
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
let src = `read_csv('${file}', header=true)`;
if (types) {
  const cols = types.split(',').map((t) => t.split(':')).map(([n, ty]) => `'${n}': '${duckType[ty.replace('!', '')]}'`);
  src = `read_csv('${file}', header=true, columns={${cols.join(',')}})`;
}
let failures = 0, checks = 0;
const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson()[0];
const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
for (const c of ours.columns) {
  const n = `"${c.name}"`;
  const numeric = ['int32', 'int64', 'float32', 'float64'].includes(c.type);
  const r = await q(`SELECT count(*) AS cnt, count(*) - count(${n}) AS nulls, count(DISTINCT ${n}) AS d,
      min(${n})::VARCHAR AS mn, max(${n})::VARCHAR AS mx
      ${numeric ? `, avg(${n}) AS mean, stddev_samp(${n}) AS sd` : ''} FROM ${src}`);
  const expect = (what, ok, detail) => { checks++; if (!ok) { failures++; console.log(`MISMATCH ${c.name}.${what}: ${detail}`); } };
  expect('count', c.count === Number(r.cnt), `${c.count} vs ${r.cnt}`);
  expect('nulls', c.nulls === Number(r.nulls), `${c.nulls} vs ${r.nulls}`);
  expect('distinct', c.distinct === Number(r.d), `${c.distinct} vs ${r.d}`);
  if (numeric) {
    expect('min', close(Number(c.min), Number(r.mn)), `${c.min} vs ${r.mn}`);
    expect('max', close(Number(c.max), Number(r.mx)), `${c.max} vs ${r.mx}`);
    expect('mean', close(c.mean, Number(r.mean)), `${c.mean} vs ${r.mean}`);
    if (r.sd !== null) expect('stddev', close(c.stddev, Number(r.sd)), `${c.stddev} vs ${r.sd}`);
  } else if (c.type === 'string') {
    expect('min', c.min === r.mn, `${c.min} vs ${r.mn}`);
    expect('max', c.max === r.mx, `${c.max} vs ${r.mx}`);
  }
}
console.log(`${file}: ${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
