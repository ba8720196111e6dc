// tests/oracles/csv_compare.mjs: compares Cairn's reading of a CSV file with DuckDB's.
//
// Usage:
//   node csv_compare.mjs --csv FILE --cairn OUT.jsonl --types a:int64,b:string [--delimiter X]
//       DuckDB reads FILE with read_csv and exactly these column types (auto_detect off,
//       RFC 4180 quoting, quoted empty = "" as in Cairn); OUT.jsonl is what
//       `cairn data convert FILE OUT.jsonl --types ...` wrote. Every row and value must agree:
//       integers exactly (as decimal text, no float rounding), floats bit for bit, timestamps
//       as epoch microseconds, dates and strings as text, nulls as nulls.
// Exit status 0 when equal, 1 with the differences on stderr otherwise.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const delim = args.delimiter === undefined ? ',' : args.delimiter === '\\t' || args.delimiter === 'tab' ? '\t' : args.delimiter;

const duckTypes = {
  int64: 'BIGINT', int32: 'INTEGER', float64: 'DOUBLE', float32: 'FLOAT', string: 'VARCHAR',
  bool: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP',
};

const sqlString = (s) => "'" + s.replace(/'/g, "''") + "'";
const ident = (s) => '"' + s.replace(/"/g, '""') + '"';

async function duck(sql) {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const r = await con.runAndReadAll(sql);
  return { names: r.columnNames(), rows: r.getRowsJson() };
}

function readCsvSql(file, columns) {
  const opts = [
    'header=true', "quote='\"'", "escape='\"'", `delim=${sqlString(delim)}`, 'auto_detect=false',
    'allow_quoted_nulls=false', 'strict_mode=true',
  ];
  opts.push('columns={' + columns.map(([n, t]) => `${sqlString(n)}: '${t}'`).join(', ') + '}');
  return `read_csv(${sqlString(file)}, ${opts.join(', ')})`;
}

// A small JSON reader that keeps numbers as their source text (int64 must not pass through
// a double). Cairn's output is compact JSON, one object per line.
function parseLine(text) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1));
      i = j + 1;
      return s;
    }
    if (c === '{') {
      const o = {};
      i++;
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        const k = value();
        ws();
        i++; // ':'
        o[k] = value();
        ws();
        if (text[i++] === '}') return o;
      }
    }
    if (text.startsWith('null', i)) { i += 4; return null; }
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    const m = /^-?[0-9.eE+-]+/.exec(text.slice(i, i + 400));
    i += m[0].length;
    return { num: m[0] };
  };
  return value();
}

// Epoch microseconds of Cairn's ISO text "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
function isoToMicros(s) {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z$/.exec(s);
  if (!m) return `unparsable(${s})`;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const frac = BigInt((m[7] || '').padEnd(6, '0') || '0');
  return (BigInt(ms) * 1000n + frac).toString();
}

function normalizeCairn(type, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int64': case 'int32': return typeof v === 'object' ? BigInt(v.num).toString() : `not a number: ${JSON.stringify(v)}`;
    case 'float64': case 'float32': return typeof v === 'object' ? Number(v.num) : `not a number: ${JSON.stringify(v)}`;
    case 'bool': return v === true ? 'true' : v === false ? 'false' : `not a bool: ${JSON.stringify(v)}`;
    case 'timestamp': return isoToMicros(v);
    default: return v;
  }
}

function normalizeDuck(type, v) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int64': case 'int32': return BigInt(v).toString();
    case 'float64': case 'float32': return Number(v);
    default: return v;
  }
}

function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

async function compare() {
  const types = args.types.split(',').map((p) => { const k = p.lastIndexOf(':'); return [p.slice(0, k), p.slice(k + 1)]; });
  const cols = types.map(([n, t]) => {
    if (t === 'timestamp') return `epoch_us(${ident(n)})::VARCHAR`;
    if (t === 'date' || t === 'bool' || t.startsWith('int') || t.startsWith('float')) return `${ident(n)}::VARCHAR`;
    return ident(n);
  });
  const d = await duck(`SELECT ${cols.join(', ')} FROM ${readCsvSql(args.csv, types.map(([n, t]) => [n, duckTypes[t]]))}`);
  const lines = readFileSync(args.cairn, 'utf8').split('\n').filter((l) => l.length > 0);
  const errors = [];
  if (lines.length !== d.rows.length) errors.push(`row count: cairn ${lines.length}, duckdb ${d.rows.length}`);
  const n = Math.min(lines.length, d.rows.length);
  for (let r = 0; r < n && errors.length < 20; r++) {
    const obj = parseLine(lines[r]);
    const keys = Object.keys(obj);
    if (keys.length !== types.length) errors.push(`row ${r}: cairn has ${keys.length} columns, want ${types.length}`);
    types.forEach(([name, type], c) => {
      const a = normalizeCairn(type, obj[name]);
      const b = normalizeDuck(type, d.rows[r][c]);
      if (!same(a, b)) errors.push(`row ${r} column ${name} (${type}): cairn ${JSON.stringify(a)}, duckdb ${JSON.stringify(b)}`);
    });
  }
  if (errors.length) {
    console.error(`${args.csv}: ${errors.length} difference(s)\n  ` + errors.join('\n  '));
    process.exit(1);
  }
}

await compare();
