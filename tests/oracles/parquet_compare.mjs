// tests/oracles/parquet_compare.mjs: Cairn's reading of a Parquet file against DuckDB's
// reading of the same file (DuckDB is the oracle; nobody here wrote it).
//   node parquet_compare.mjs stats CAIRN FILE
//     `cairn --json data stats FILE`: rows, and per column nulls, exact distinct count,
//     min, max and (integers) sum, all computed live by DuckDB.
//   node parquet_compare.mjs values FILE OUT.jsonl
//     OUT.jsonl (from `cairn data convert FILE OUT.jsonl`): every value of every row.
// Prints one line per mismatch (the first 20) and exits 1 if there was any.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run("SET TimeZone = 'UTC'");
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
let failures = 0, checks = 0;
const expect = (what, ok, detail) => {
  checks++;
  if (ok) return;
  if (++failures <= 20) console.log(`MISMATCH ${what}: ${detail}`);
};
const close = (a, b, tol) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
const src = (file) => `read_parquet('${file.replaceAll("'", "''")}')`;

// How DuckDB's value of a column is normalised for comparison: [SQL expression, kind].
function normalise(name, type) {
  const n = `"${name.replaceAll('"', '""')}"`;
  if (type.startsWith('TIMESTAMP')) return [`epoch_us(${n}::TIMESTAMP)`, 'int'];
  if (type === 'DATE') return [`strftime(${n}, '%Y-%m-%d')`, 'string'];
  if (type.startsWith('DECIMAL')) return [`${n}::DOUBLE`, 'decimal'];
  if (type === 'FLOAT') return [n, 'float32'];
  if (type === 'DOUBLE') return [n, 'float'];
  if (type === 'BOOLEAN') return [n, 'bool'];
  if (type === 'BLOB') return [`decode(${n})`, 'string'];
  if (type === 'VARCHAR') return [n, 'string'];
  return [n, 'int'];
}

// Cairn's JSON value as the same normal form.
function ours(v, kind) {
  if (v === null || v === undefined) return null;
  if (kind === 'int' && /^-?\d+$/.test(String(v))) return BigInt(v);
  if (kind === 'int' && typeof v === 'string') { // an ISO-8601 timestamp
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(v);
    if (!m) return NaN;
    return BigInt(Date.parse(m[1] + 'Z')) * 1000n + BigInt((m[2] || '').padEnd(6, '0') || '0');
  }
  return v;
}

function same(a, b, kind) { // a: Cairn's, b: DuckDB's (JSON form)
  if (a === null || b === null) return a === b;
  switch (kind) {
  case 'int': return typeof a === 'bigint' && a === BigInt(b);
  case 'float': return Number(a) === Number(b) || (Number.isNaN(Number(a)) && Number.isNaN(Number(b)));
  case 'float32': return close(Number(a), Number(b), 1e-6);
  case 'decimal': return close(Number(a), Number(b), 1e-12);
  case 'bool': return a === b;
  default: return String(a) === String(b);
  }
}

async function compareValues(file, jsonl) {
  const cols = await rows(`DESCRIBE SELECT * FROM ${src(file)}`);
  const norm = cols.map((c) => normalise(c.column_name, c.column_type));
  const duck = (await con.runAndReadAll(
    `SELECT ${norm.map(([e], i) => `${e} AS c${i}`).join(', ')} FROM ${src(file)}`)).getRowsJson();
  const lines = readFileSync(jsonl, 'utf8').split('\n').filter((l) => l.length);
  expect('rows', lines.length === duck.length, `${lines.length} vs ${duck.length}`);
  // Integers are parsed exactly: numbers become strings before JSON.parse sees them.
  const parse = (l) => JSON.parse(l.replace(/:(-?\d+)(?=[,}])/g, ':"$1"'));
  for (let r = 0; r < Math.min(lines.length, duck.length); r++) {
    const obj = parse(lines[r]);
    cols.forEach((c, i) => {
      const kind = norm[i][1];
      const a = ours(obj[c.column_name], kind), b = duck[r][i];
      expect(`${file} row ${r} column ${c.column_name}`, same(a, b, kind),
             `cairn ${JSON.stringify(String(a))} vs duckdb ${JSON.stringify(b)}`);
    });
  }
}

async function compareStats(cairn, file) {
  const out = JSON.parse(execFileSync(cairn, ['--json', '--quiet', 'data', 'stats', file],
                                      { encoding: 'utf8', maxBuffer: 1 << 26 }));
  const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM ${src(file)}`))
    .map((c) => [c.column_name, c.column_type]));
  const [{ n }] = await rows(`SELECT count(*) AS n FROM ${src(file)}`);
  for (const c of out.columns) {
    const col = `"${c.name}"`, type = types[c.name];
    const integral = /INT/.test(type);
    const r = (await rows(`SELECT count(*) - count(${col}) AS nulls,
        count(DISTINCT ${col}) AS d, min(${col})::VARCHAR AS mn, max(${col})::VARCHAR AS mx
        ${integral ? `, sum(${col})::VARCHAR AS s` : ''} FROM ${src(file)}`))[0];
    expect(`${c.name}.count`, String(c.count) === String(n), `${c.count} vs ${n}`);
    expect(`${c.name}.nulls`, String(c.nulls) === String(r.nulls), `${c.nulls} vs ${r.nulls}`);
    expect(`${c.name}.distinct`, String(c.distinct) === String(r.d), `${c.distinct} vs ${r.d}`);
    const kind = type.startsWith('TIMESTAMP') ? 'ts' : integral ? 'int' : 'string';
    const norm = (v) => kind === 'ts' ? String(v).replace('T', ' ').replace('Z', '') : String(v);
    expect(`${c.name}.min`, norm(c.min) === r.mn, `${c.min} vs ${r.mn}`);
    expect(`${c.name}.max`, norm(c.max) === r.mx, `${c.max} vs ${r.mx}`);
    if (integral) expect(`${c.name}.sum`, String(c.sum) === r.s, `${c.sum} vs ${r.s}`);
  }
  return out;
}

if (mode === 'stats') {
  const [cairn, file] = args;
  const out = await compareStats(cairn, file);
  if (file.endsWith('flights-3m.parquet')) { // the issue's reference figures, besides DuckDB's
    const col = (name) => out.columns.find((c) => c.name === name) || {};
    expect('flights.rows', col('delay').count === 3000000, col('delay').count);
    expect('flights.sum(delay)', String(col('delay').sum) === '20003603', col('delay').sum);
    expect('flights.sum(distance)', String(col('distance').sum) === '2194861208', col('distance').sum);
    expect('flights.origins', col('origin').distinct === 229, col('origin').distinct);
    expect('flights.min(date)', String(col('date').min).startsWith('2001-01-01T00:01:00'), col('date').min);
    expect('flights.max(date)', String(col('date').max).startsWith('2001-07-01T00:00:00'), col('date').max);
  }
} else if (mode === 'values') {
  await compareValues(args[0], args[1]);
} else {
  console.error('usage: parquet_compare.mjs stats CAIRN FILE | values FILE OUT.jsonl');
  process.exit(2);
}
console.log(`${args[args.length - 1]}: ${checks - failures} checks passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
