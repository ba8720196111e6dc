// tests/integration/stream_feed.mjs: test helper for the stream ingest tests
// (test_stream_redis.sh, test_stream_nats.sh). Node's standard library only.
//
//   node stream_feed.mjs events N          payloads of the test data set, one JSON string per
//                                          line (so that a payload can hold a raw newline)
//   node stream_feed.mjs expect N          {"distinct_ids", "dead": [1-based positions of the
//                                          payloads that must be dead-lettered]}
//   node stream_feed.mjs redis STREAM      payloads on stdin -> RESP XADD commands on stdout,
//                                          field `data`, entry id K-0 for the K-th payload,
//                                          for `redis-cli --pipe`
//   node stream_feed.mjs nats HOST:PORT SUBJECT
//                                          payloads on stdin -> published with the plain NATS
//                                          protocol, each with a reply inbox; exits 0 once
//                                          JetStream acknowledged every one (stored)
//   node stream_feed.mjs lake HOME DATASET SNAPSHOT_ID
//                                          prints {"rows","distinct_ids","amount_101"} of the
//                                          snapshot's files (its manifest), via DuckDB
//
// The data set: ids 1..N; every 500th id has amount -5 (invalid: min 0); ids 1..100 are sent
// again unchanged (duplicates: the stored record stays) and ids 101..200 again with a later
// time and amount 7777 (the later record wins); four poison payloads (not JSON, a raw
// newline inside a string, a JSON array, blank) and one valid object spread over lines
// (id N+1). Expected: N - N/500 + 1 distinct ids, N/500 + 4 dead letters.
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';

const [mode, ...args] = process.argv.slice(2);

function eventsPayloads(n) {
  const out = [];
  const ts = (i, extra = 0) => new Date(Date.UTC(2024, 0, 1) + (i + extra) * 1000).toISOString();
  const rec = (i, extra = 0, amount = null) =>
    JSON.stringify({ id: i, ts: ts(i, extra), user: `u${i % 100}`,
                     amount: amount ?? (i % 500 === 0 ? -5 : (i % 1000) + 0.5) });
  for (let i = 1; i <= n; i++) {
    out.push(rec(i));
    if (i === 3) out.push('this is not json');
    if (i === 5) out.push('{"id": 900000001, "user": "a\nb"}');
    if (i === 7) out.push('[1, 2, 3]');
    if (i === 9) out.push('   ');
    if (i === 11) out.push(`{\n  "id": ${n + 1},\n  "ts": "${ts(n + 1)}",\n  "user": "multi",\n  "amount": 1.5\n}`);
  }
  for (let i = 1; i <= 100; i++) out.push(rec(i));
  for (let i = 101; i <= 200; i++) out.push(rec(i, 100000, 7777));
  return out;
}

async function readPayloads() {
  const lines = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) if (line.length) lines.push(JSON.parse(line));
  return lines;
}

function resp(parts) {
  let s = `*${parts.length}\r\n`;
  for (const p of parts) s += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
  return s;
}

async function natsPublish(hostPort, subject, payloads) {
  const [host, port] = hostPort.split(':');
  const sock = net.connect(Number(port), host);
  const inbox = `_INBOX.feed${process.pid}`;
  let acked = 0, failed = 0, buf = Buffer.alloc(0), pending = null;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: ${acked} of ${payloads.length} acked`)), 30000);
    sock.on('error', reject);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (pending) { // waiting for a MSG payload
          if (buf.length < pending.size + 2) break;
          const body = buf.subarray(0, pending.size).toString();
          buf = buf.subarray(pending.size + 2);
          pending = null;
          if (body.includes('"error"')) { failed++; console.error(`publish error: ${body}`); }
          else acked++;
          if (acked + failed === payloads.length) { clearTimeout(timer); resolve(); }
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) break;
        const line = buf.subarray(0, nl).toString();
        buf = buf.subarray(nl + 2);
        if (line.startsWith('PING')) sock.write('PONG\r\n');
        else if (line.startsWith('-ERR')) reject(new Error(line));
        else if (line.startsWith('MSG ')) pending = { size: Number(line.split(' ').pop()) };
      }
    });
  });
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  sock.write(`CONNECT {"verbose":false,"pedantic":false,"name":"stream_feed"}\r\nSUB ${inbox}.* 1\r\n`);
  let out = '';
  payloads.forEach((p, i) => {
    out += `PUB ${subject} ${inbox}.${i} ${Buffer.byteLength(p)}\r\n${p}\r\n`;
    if (out.length > 1 << 16) { sock.write(out); out = ''; }
  });
  sock.write(out);
  await done;
  sock.end();
  if (failed) throw new Error(`${failed} publishes failed`);
}

async function lakeCount(home, dataset, snapshot) {
  const manifest = JSON.parse(fs.readFileSync(`${home}/objects/${snapshot.slice(0, 2)}/${snapshot}`, 'utf8'));
  const files = manifest.files.map((f) => `'${home}/lake/${dataset}/${f.path}'`);
  if (!files.length) { console.log(JSON.stringify({ rows: 0, distinct_ids: 0 })); return; }
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const r = await con.runAndReadAll(
    `SELECT count(*)::BIGINT AS rows, count(DISTINCT id)::BIGINT AS distinct_ids, ` +
    `max(CASE WHEN id = 101 THEN amount END)::DOUBLE AS amount_101 ` +
    `FROM read_parquet([${files.join(',')}], hive_partitioning = true)`);
  console.log(JSON.stringify(r.getRowObjectsJson()[0]));
}

if (mode === 'events') {
  for (const p of eventsPayloads(Number(args[0]))) process.stdout.write(JSON.stringify(p) + '\n');
} else if (mode === 'expect') {
  const n = Number(args[0]);
  const dead = [];
  eventsPayloads(n).forEach((p, k) => {
    let ok = false;
    try { const o = JSON.parse(p); ok = o && !Array.isArray(o) && typeof o === 'object' && o.amount >= 0; } catch {}
    if (!ok) dead.push(k + 1);
  });
  console.log(JSON.stringify({ distinct_ids: n - Math.floor(n / 500) + 1, dead }));
} else if (mode === 'redis') {
  const payloads = await readPayloads();
  let out = '';
  for (const [k, p] of payloads.entries()) {
    out += resp(['XADD', args[0], `${k + 1}-0`, 'data', p]);
    if (out.length > 1 << 16) { process.stdout.write(out); out = ''; }
  }
  process.stdout.write(out);
} else if (mode === 'nats') {
  await natsPublish(args[0], args[1], await readPayloads());
} else if (mode === 'lake') {
  await lakeCount(args[0], args[1], args[2]);
} else {
  console.error('usage: stream_feed.mjs events N | redis STREAM | nats HOST:PORT SUBJECT | lake HOME DATASET SNAPSHOT');
  process.exit(2);
}
