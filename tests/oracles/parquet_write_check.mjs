// tests/oracles/parquet_write_check.mjs: fixtures for, and checks of, Parquet files written by
// Cairn (tests/oracles/test_parquet_write.sh drives it).
//
// Usage:
//   node parquet_write_check.mjs gen DIR
//       Writes the fixtures (JSON Lines and CSV) into DIR, each with NAME.expect.json holding
//       the schema, the row group size and every value in canonical form; prints one line
//       per case: name|input file|--types spec|compression|row group size.
//   node parquet_write_check.mjs check DIR NAME...
//       Reads DIR/NAME.parquet with DuckDB (read_parquet; DESCRIBE types, values in file row
//       order, row group count) and with hyparquet (+ hyparquet-compressors: schema, physical
//       and logical types, repetition, values, per-row-group statistics, key-value metadata)
//       and compares both with the expected values. Prints "PASS NAME" or "FAIL NAME: why".
// Canonical values: bool as true/false, int32 and date (days since the epoch) as numbers,
// int64 and timestamp (UTC microseconds) as decimal strings, floats as numbers (float32 as
// its exact value), strings as strings, null as null.
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readFileSync, writeFileSync } from 'node:fs';

const [mode, dir, ...names] = process.argv.slice(2);

// ------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------

let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (a) => a[Math.floor(rand() * a.length)];

const WORDS = ['', 'a', 'héllo wörld', '日本語のテキスト', 'emoji 🎉🚀', 'quote "q" and, comma',
  'line\nbreak', 'tab\there', 'zzz', 'Ωmega', 'back\\slash', ' lead and trail '];

const pad = (n, w = 2) => String(n).padStart(w, '0');

// ISO-8601 text of UTC microseconds (a BigInt), with the fraction when there is one.
function isoMicros(us) {
  const ms = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n);
  const rest = us - ms * 1000n;
  const d = new Date(Number(ms));
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = d.getUTCMilliseconds() * 1000 + Number(rest);
  return base + (frac ? '.' + pad(frac, 6) : '') + 'Z';
}

const isoDays = (days) => new Date(days * 86400000).toISOString().slice(0, 10);

// One random value per type: [text for the input file, canonical value].
const GEN = {
  bool: () => { const b = rand() < 0.5; return [b, b]; },
  int32: () => { const v = pick([0, 1, -1, 2147483647, -2147483648, Math.floor(rand() * 2e6) - 1e6]); return [v, v]; },
  int64: () => {
    const v = pick(['0', '-1', '9223372036854775807', '-9223372036854775808', String(BigInt(Math.floor(rand() * 1e14)) * 9973n - 5n)]);
    return [v, v];
  },
  float32: () => { const v = Math.fround(pick([0, 1.5, -2.25, 3.4e38, 1e-30, (rand() - 0.5) * 1e6])); return [v, v]; },
  float64: () => { const v = pick([0, -1.5, 1e300, -5e-324, Math.PI, (rand() - 0.5) * 1e9]); return [v, v]; },
  string: () => { const v = pick(WORDS); return [v, v]; },
  timestamp: () => {
    const us = pick([0n, -1n, 978307200000000n, -2208988800123456n, 4102444799999999n,
      978307200000000n + BigInt(Math.floor(rand() * 1e12)) * 1000n + BigInt(Math.floor(rand() * 1000))]);
    return [isoMicros(us), String(us)];
  },
  date: () => { const d = pick([0, -1, 11323, -25567, 47482, Math.floor(rand() * 60000) - 20000]); return [isoDays(d), d]; },
};

const ALL_TYPES = ['bool', 'int32', 'int64', 'float32', 'float64', 'string', 'timestamp', 'date'];

// Columns: [name, type, nullable]; nullFraction of the nullable cells are null.
function makeRows(columns, count, nullFraction) {
  const rows = [];
  for (let r = 0; r < count; r++) {
    rows.push(columns.map(([, type, nullable]) => (nullable && rand() < nullFraction ? [null, null] : GEN[type]())));
  }
  return rows;
}

function writeJsonl(file, columns, rows) {
  const lines = rows.map((row) => '{' + columns.map(([name, type], k) => {
    const text = row[k][0];
    const json = text === null ? 'null' : type === 'int64' ? text : JSON.stringify(text);
    return JSON.stringify(name) + ':' + json;
  }).join(',') + '}');
  writeFileSync(file, lines.join('\n') + (lines.length ? '\n' : ''));
}

const csvField = (v) => (v === null ? '' : /[",\n\r]/.test(String(v)) || v === '' ? '"' + String(v).replace(/"/g, '""') + '"' : String(v));

function writeCsv(file, columns, rows) {
  const lines = [columns.map(([name]) => csvField(name)).join(',')];
  for (const row of rows) lines.push(row.map(([text]) => csvField(text)).join(','));
  writeFileSync(file, lines.join('\n') + '\n');
}

const typesSpec = (columns) => columns.map(([n, t, nullable]) => `${n}:${t}${nullable ? '' : '!'}`).join(',');

function addCase(manifest, name, format, columns, rows, compression, rowGroupSize) {
  const input = `${dir}/${name}.${format}`;
  (format === 'csv' ? writeCsv : writeJsonl)(input, columns, rows);
  const expect = { columns, rowGroupSize, rows: rows.map((row) => row.map(([, canon]) => canon)) };
  writeFileSync(`${dir}/${name}.expect.json`, JSON.stringify(expect));
  manifest.push([name, input, typesSpec(columns), compression, rowGroupSize].join('|'));
}

function generate() {
  const manifest = [];
  const every = ALL_TYPES.map((t) => [`c_${t}`, t, true]).concat([['id', 'int64', false]]);
  const rows = makeRows(every, 300, 0.2);
  addCase(manifest, 'all_zstd', 'jsonl', every, rows, 'zstd', 0);
  addCase(manifest, 'all_snappy_groups', 'jsonl', every, rows, 'snappy', 37);
  addCase(manifest, 'all_gzip', 'jsonl', every, rows, 'gzip', 100);
  addCase(manifest, 'all_none', 'jsonl', every, rows, 'none', 64);
  const required = ALL_TYPES.map((t) => [`r_${t}`, t, false]);
  addCase(manifest, 'required', 'jsonl', required, makeRows(required, 120, 0), 'zstd', 50);
  addCase(manifest, 'zero_rows', 'csv', every, [], 'zstd', 0);
  addCase(manifest, 'one_row', 'jsonl', every, makeRows(every, 1, 0), 'snappy', 0);
  addCase(manifest, 'all_null', 'jsonl', every.slice(0, 8), makeRows(every.slice(0, 8), 50, 1), 'zstd', 0);
  // Dictionary strings, unique strings past 1 MiB per row group (PLAIN), runs, several groups.
  const big = [['city', 'string', true], ['uniq', 'string', false], ['n', 'int64', true],
    ['x', 'float64', true], ['at', 'timestamp', true], ['flag', 'bool', true], ['day', 'date', true]];
  const cities = ['Paris', 'Zürich', '東京', 'São Paulo', 'NYC', ''];
  const bigRows = [];
  for (let r = 0; r < 30000; r++) {
    const nul = (k) => rand() < 0.05 * k;
    const us = 978307200000000n + BigInt(Math.floor(r / 7)) * 60000000n;
    const uniq = `row-${r}-` + 'abcdefghij'.repeat(6);
    const x = Math.round((rand() - 0.5) * 1e6) / 64;
    const day = 11000 + Math.floor(r / 1000);
    bigRows.push([
      nul(1) ? [null, null] : (() => { const c = cities[Math.floor(r / 3) % cities.length]; return [c, c]; })(),
      [uniq, uniq],
      nul(1) ? [null, null] : [String(r * 31), String(r * 31)],
      nul(2) ? [null, null] : [x, x],
      nul(1) ? [null, null] : [isoMicros(us), String(us)],
      nul(1) ? [null, null] : [r % 5 === 0, r % 5 === 0],
      nul(1) ? [null, null] : [isoDays(day), day],
    ]);
  }
  addCase(manifest, 'big_csv', 'csv', big, bigRows, 'zstd', 12000);
  addCase(manifest, 'big_snappy', 'csv', big, bigRows, 'snappy', 0);
  console.log(manifest.join('\n'));
}

// ------------------------------------------------------------------------------------------
// Checks
// ------------------------------------------------------------------------------------------

const DUCK_TYPES = {
  bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', float32: 'FLOAT', float64: 'DOUBLE',
  string: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', date: 'DATE',
};
// physical type, logical type (JSON), converted type
const PARQUET_TYPES = {
  bool: ['BOOLEAN', undefined, undefined],
  int32: ['INT32', { type: 'INTEGER', bitWidth: 32, isSigned: true }, 'INT_32'],
  int64: ['INT64', undefined, undefined],
  float32: ['FLOAT', undefined, undefined],
  float64: ['DOUBLE', undefined, undefined],
  string: ['BYTE_ARRAY', { type: 'STRING' }, 'UTF8'],
  timestamp: ['INT64', { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, 'TIMESTAMP_MICROS'],
  date: ['INT32', { type: 'DATE' }, 'DATE'],
};

const sqlString = (s) => "'" + s.replace(/'/g, "''") + "'";
const ident = (s) => '"' + s.replace(/"/g, '""') + '"';

function canonSql(name, type) {
  const c = ident(name);
  switch (type) {
    case 'int64': return `${c}::VARCHAR`;
    case 'float32': case 'float64': return `${c}::DOUBLE`;
    case 'timestamp': return `epoch_us(${c})::VARCHAR`;
    case 'date': return `(${c} - DATE '1970-01-01')::INTEGER`;
    default: return c;
  }
}

const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? String(x) : x));
const same = (a, b) => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

function compareRows(who, columns, want, got, problems) {
  if (got.length !== want.length) {
    problems.push(`${who}: ${got.length} rows, expected ${want.length}`);
    return;
  }
  for (let r = 0; r < want.length && problems.length < 10; r++) {
    for (let k = 0; k < columns.length; k++) {
      if (!same(got[r][k], want[r][k])) {
        problems.push(`${who}: row ${r} column ${columns[k][0]}: got ${show(got[r][k])}, expected ${show(want[r][k])}`);
      }
    }
  }
}

async function checkDuck(con, file, expect, problems) {
  const { columns, rows } = expect;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).getRowObjectsJson();
  const types = desc.map((d) => d.column_type);
  const wantTypes = columns.map(([, t]) => DUCK_TYPES[t]);
  if (show(types) !== show(wantTypes)) problems.push(`duckdb types ${show(types)}, expected ${show(wantTypes)}`);
  const names = desc.map((d) => d.column_name);
  if (show(names) !== show(columns.map(([n]) => n))) problems.push(`duckdb names ${show(names)}`);
  const sel = columns.map(([n, t]) => canonSql(n, t)).join(', ');
  const res = await con.runAndReadAll(
    `SELECT ${sel} FROM read_parquet(${sqlString(file)}, file_row_number=true) ORDER BY file_row_number`);
  compareRows('duckdb', columns, rows, res.getRows(), problems);
  const groups = (await con.runAndReadAll(
    `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlString(file)})`)).getRows()[0][0];
  const size = expect.rowGroupSize || 1048576;
  const wantGroups = Math.ceil(rows.length / size);
  if (Number(groups) !== wantGroups) problems.push(`duckdb: ${groups} row groups, expected ${wantGroups}`);
}

const HY_PARSERS = {
  timestampFromMicroseconds: (us) => String(us),
  dateFromDays: (days) => days,
};

function hyCanon(type, v) {
  if (v === null || v === undefined) return null;
  if (type === 'int64' || type === 'timestamp') return String(v);
  return v;
}

function byteCompare(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function lessThan(type, a, b) {
  if (type === 'string') return byteCompare(a, b) < 0;
  if (type === 'int64' || type === 'timestamp') return BigInt(a) < BigInt(b);
  if (type === 'bool') return a === false && b === true;
  return a < b;
}

function checkStats(meta, expect, problems) {
  const { columns, rows } = expect;
  const size = expect.rowGroupSize || 1048576;
  meta.row_groups.forEach((rg, g) => {
    const part = rows.slice(g * size, (g + 1) * size);
    if (Number(rg.num_rows) !== part.length) problems.push(`row group ${g}: ${rg.num_rows} rows, expected ${part.length}`);
    columns.forEach(([name, type], k) => {
      const st = rg.columns[k].meta_data.statistics;
      const values = part.map((row) => row[k]).filter((v) => v !== null);
      const nulls = part.length - values.length;
      if (!st || Number(st.null_count) !== nulls) {
        problems.push(`stats ${name} group ${g}: null_count ${st && st.null_count}, expected ${nulls}`);
        return;
      }
      if (!values.length) {
        if (st.min_value !== undefined) problems.push(`stats ${name} group ${g}: bounds on an all-null chunk`);
        return;
      }
      let lo = values[0], hi = values[0];
      for (const v of values) { if (lessThan(type, v, lo)) lo = v; if (lessThan(type, hi, v)) hi = v; }
      const got = [hyCanon(type, st.min_value), hyCanon(type, st.max_value)];
      if (!same(got[0], lo) || !same(got[1], hi)) {
        problems.push(`stats ${name} group ${g}: [${show(got[0])}, ${show(got[1])}], expected [${show(lo)}, ${show(hi)}]`);
      }
      if (st.is_min_value_exact !== true || st.is_max_value_exact !== true) problems.push(`stats ${name}: not exact`);
      const legacy = !['string', 'bool'].includes(type);
      if (legacy !== (st.min !== undefined)) problems.push(`stats ${name}: legacy min ${legacy ? 'missing' : 'present'}`);
    });
  });
}

async function checkHy(file, expect, problems) {
  const { columns, rows } = expect;
  const buf = await asyncBufferFromFile(file);
  const meta = await parquetMetadataAsync(buf, { parsers: HY_PARSERS });
  const leaves = meta.schema.slice(1);
  if (leaves.length !== columns.length) problems.push(`hyparquet: ${leaves.length} columns`);
  columns.forEach(([name, type, nullable], k) => {
    const se = leaves[k] || {};
    const [phys, logical, converted] = PARQUET_TYPES[type];
    const got = show([se.name, se.type, se.logical_type, se.converted_type, se.repetition_type]);
    const want = show([name, phys, logical, converted, nullable ? 'OPTIONAL' : 'REQUIRED']);
    if (got !== want) problems.push(`hyparquet schema ${got}, expected ${want}`);
  });
  const kv = Object.fromEntries((meta.key_value_metadata || []).map((e) => [e.key, e.value]));
  const schemaJson = { fields: columns.map(([name, type, nullable]) => ({ name, type, nullable })) };
  if (kv['cairn.schema'] !== JSON.stringify(schemaJson)) problems.push(`cairn.schema ${kv['cairn.schema']}`);
  if (!/^cairn version \S+/.test(meta.created_by || '')) problems.push(`created_by ${meta.created_by}`);
  if (Number(meta.num_rows) !== rows.length) problems.push(`hyparquet num_rows ${meta.num_rows}`);
  checkStats(meta, expect, problems);
  const objs = await parquetReadObjects({ file: buf, compressors, parsers: HY_PARSERS });
  const got = objs.map((o) => columns.map(([name, type]) => hyCanon(type, o[name])));
  compareRows('hyparquet', columns, rows, got, problems);
}

async function check() {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  for (const name of names) {
    const problems = [];
    try {
      const expect = JSON.parse(readFileSync(`${dir}/${name}.expect.json`, 'utf8'));
      const file = `${dir}/${name}.parquet`;
      await checkDuck(con, file, expect, problems);
      await checkHy(file, expect, problems);
    } catch (e) {
      problems.push(`exception: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
    }
    console.log(problems.length ? `FAIL ${name}: ${problems.slice(0, 10).join('\n    ')}` : `PASS ${name}`);
  }
}

if (mode === 'gen') generate();
else if (mode === 'check') await check();
else {
  console.error('usage: parquet_write_check.mjs gen DIR | check DIR NAME...');
  process.exit(2);
}
