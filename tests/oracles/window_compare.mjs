// tests/oracles/window_compare.mjs: compares Cairn's point-in-time windows (a Parquet file
// from bench/windows.c --out: "row" plus one column per window) with DuckDB's window
// functions over the same rows of flights, `RANGE BETWEEN INTERVAL w PRECEDING AND
// INTERVAL 1 MICROSECOND PRECEDING`, joined on the row number. Counts and integer aggregates
// must be identical, floats within 1e-9, nulls exactly where DuckDB's are. `last` is
// compared only where the window's latest event time holds a single event (DuckDB's
// last_value is arbitrary among ties). Prints the comparison as JSON; exits 1 on a mismatch.
// Usage: node window_compare.mjs FLIGHTS.parquet CAIRN.parquet ROWS
import { DuckDBInstance } from '@duckdb/node-api';

const [flights, cairn, rows] = process.argv.slice(2);
const win = (name, part, interval) =>
  `${name} AS (PARTITION BY ${part} ORDER BY date RANGE BETWEEN INTERVAL ${interval} PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING)`;
// name, DuckDB expression, kind: exact | float | last
const cols = [
  ['n_1h', 'count(*) OVER h1', 'exact'],
  ['mean_24h', 'avg(delay) OVER d1', 'float'],
  ['mean_7d', 'avg(delay) OVER d7', 'float'],
  ['sum_24h', 'sum(delay) OVER d1', 'exact'],
  ['min_24h', 'min(delay) OVER d1', 'exact'],
  ['max_24h', 'max(delay) OVER d1', 'exact'],
  ['sd_24h', 'stddev_samp(delay) OVER d1', 'float'],
  ['last_24h', 'last_value(delay) OVER d1', 'last'],
  ['route_mean_30d', 'avg(delay) OVER r30', 'float'],
];
const checks = cols.flatMap(([n, , kind]) => {
  if (kind === 'exact')
    return [`count(*) FILTER (WHERE c.${n} IS DISTINCT FROM d.${n}) AS ${n}_differ`];
  if (kind === 'last')
    return [`count(*) FILTER (WHERE d.last_ties = 1) AS ${n}_compared`,
            `count(*) FILTER (WHERE d.last_ties = 1 AND c.${n} IS DISTINCT FROM d.${n}) AS ${n}_differ`];
  return [`coalesce(max(abs(c.${n} - d.${n})), 0) AS ${n}_max_abs_diff`,
          `count(*) FILTER (WHERE (c.${n} IS NULL) <> (d.${n} IS NULL)) AS ${n}_null_mismatch`,
          `count(*) FILTER (WHERE d.${n} IS NULL) AS ${n}_nulls`];
});
const sql = `
WITH src AS (SELECT *, file_row_number AS row FROM read_parquet('${flights}', file_row_number = true)
             WHERE file_row_number < ${Number(rows)}),
src2 AS (SELECT *, count(*) OVER (PARTITION BY origin, date) AS same_time FROM src),
d AS (SELECT row, ${cols.map(([n, e]) => `${e} AS ${n}`).join(', ')},
             last_value(same_time) OVER d1 AS last_ties
      FROM src2
      WINDOW ${win('h1', 'origin', '1 HOUR')}, ${win('d1', 'origin', '24 HOUR')},
             ${win('d7', 'origin', '7 DAY')}, ${win('r30', 'origin, destination', '30 DAY')})
SELECT count(*) AS rows, count(c.row) AS cairn_rows, count(d.row) AS duckdb_rows, ${checks.join(', ')}
FROM d FULL OUTER JOIN read_parquet('${cairn}') c ON c.row = d.row`;
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const r = (await con.runAndReadAll(sql)).getRowObjectsJson()[0];
const num = (v) => Number(v);
const problems = [];
const n = num(r.rows);
if (n !== Number(rows) || num(r.cairn_rows) !== n || num(r.duckdb_rows) !== n)
  problems.push(`row counts: joined ${n}, cairn ${r.cairn_rows}, duckdb ${r.duckdb_rows}, expected ${rows}`);
for (const [name, , kind] of cols) {
  if (kind === 'float') {
    if (num(r[`${name}_max_abs_diff`]) > 1e-9) problems.push(`${name}: max abs diff ${r[`${name}_max_abs_diff`]}`);
    if (num(r[`${name}_null_mismatch`]) !== 0) problems.push(`${name}: ${r[`${name}_null_mismatch`]} null mismatches`);
  } else if (num(r[`${name}_differ`]) !== 0) {
    problems.push(`${name}: ${r[`${name}_differ`]} rows differ`);
  }
}
console.log(JSON.stringify(r, null, 1));
for (const [name, , kind] of cols) {
  const what = kind === 'float'
    ? `max abs diff ${r[`${name}_max_abs_diff`]}, null mismatches ${r[`${name}_null_mismatch`]} (DuckDB nulls ${r[`${name}_nulls`]})`
    : kind === 'last' ? `${r[`${name}_differ`]} differ of ${r[`${name}_compared`]} rows with a unique latest time`
    : `${r[`${name}_differ`]} rows differ`;
  console.error(`  ${name.padEnd(15)} ${kind.padEnd(5)} ${what}`);
}
if (problems.length) {
  console.error('MISMATCH: ' + problems.join('; '));
  process.exit(1);
}
