// bench/duckdb_query.mjs: the DuckDB peer for Cairn's benchmarks. Runs one SQL query with the
// given thread count and prints {"rows": [...], "total_s": seconds} (query time only, not
// Node start-up). Usage: node bench/duckdb_query.mjs THREADS "SQL"
import { DuckDBInstance } from '@duckdb/node-api';

const [threads, sql] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
const t0 = process.hrtime.bigint();
const r = await con.runAndReadAll(sql);
const t1 = process.hrtime.bigint();
console.log(JSON.stringify({ rows: r.getRowObjectsJson(), total_s: Number(t1 - t0) / 1e9 }));
