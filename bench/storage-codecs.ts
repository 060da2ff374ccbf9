/**
 * Bytes and insert CPU of the span table's storage variants (issue 13, docs/schema.md): one day of a
 * seeded store's spans, written once to a Native file, inserted on one thread into a fresh copy of
 * `otel_traces` per variant (its columns, codecs and settings, then the variant's statements), then
 * merged into one part. Variants alternate round by round, so a busy machine moves them alike.
 * Counted in CPU time of this process (the embedded engine runs in it), not wall time.
 *
 * Works in a database `storage_bench` inside the store: run it on a copy, never on a store in use.
 *
 *   node --import tsx bench/storage-codecs.ts --store /tmp/copy/store [--day 2026-12-02] [--rounds 4] [--variants 'before 0073,now,...'] [--reads 7]
 *
 * --reads N: afterwards, N alternating rounds of reads on each variant's last copy, CPU per query on
 * one thread: two attribute lookups over the whole day (as trace search tests attributes), every
 * span attribute map read whole, and 50 single traces fetched by id.
 *
 * A variant named `narrow: …` inserts only Timestamp, TraceId, ScopeName and ScopeVersion into a table
 * of those columns with the codecs given: the cost of those columns' codecs alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';

const MAP = 'Map(LowCardinality(String), String)';
const SINGLE_STREAM = "MODIFY SETTING string_serialization_version = 'single_stream'";

/** Statements run on the copy (`$T`) after it is created as the store's `otel_traces`. */
export const STORAGE_VARIANTS: Record<string, string[]> = {
  now: [],
  'before 0073': ['ALTER TABLE $T MODIFY SETTING propagate_types_serialization_versions_to_nested_types = 1'],
  'before 0074': ['ALTER TABLE $T MODIFY COLUMN TraceId String CODEC(ZSTD(3)), MODIFY COLUMN ScopeName String CODEC(ZSTD(3)), MODIFY COLUMN ScopeVersion String CODEC(ZSTD(3))'],
  'before 0073 and 0074': ['ALTER TABLE $T MODIFY SETTING propagate_types_serialization_versions_to_nested_types = 1',
    'ALTER TABLE $T MODIFY COLUMN TraceId String CODEC(ZSTD(3)), MODIFY COLUMN ScopeName String CODEC(ZSTD(3)), MODIFY COLUMN ScopeVersion String CODEC(ZSTD(3))'],
  'single stream': [`ALTER TABLE $T ${SINGLE_STREAM}`],
  'single stream, ids ZSTD(1)': [`ALTER TABLE $T ${SINGLE_STREAM}`, 'ALTER TABLE $T MODIFY COLUMN SpanId String CODEC(ZSTD(1)), MODIFY COLUMN ParentSpanId String CODEC(ZSTD(1))'],
  'maps ZSTD(6)': [`ALTER TABLE $T MODIFY COLUMN ResourceAttributes ${MAP} CODEC(ZSTD(6)), MODIFY COLUMN SpanAttributes ${MAP} CODEC(ZSTD(6))`],
  'scope ZSTD(6)': ['ALTER TABLE $T MODIFY COLUMN ScopeName String CODEC(ZSTD(6)), MODIFY COLUMN ScopeVersion String CODEC(ZSTD(6))'],
  'enums ZSTD(3)': [`ALTER TABLE $T ${['SpanName', 'SpanKind', 'ServiceName', 'StatusCode'].map((c) => `MODIFY COLUMN ${c} LowCardinality(String) CODEC(ZSTD(3))`).join(', ')}`],
  'Timestamp Delta, ZSTD(3)': ['ALTER TABLE $T MODIFY COLUMN Timestamp DateTime64(9) CODEC(Delta, ZSTD(3))'],
  'min_compress_block_size 1 MiB': ['ALTER TABLE $T MODIFY SETTING min_compress_block_size = 1048576'],
  'narrow: earlier codecs': ['TraceId String CODEC(ZSTD(3)), ScopeName String CODEC(ZSTD(3)), ScopeVersion String CODEC(ZSTD(3))'],
  'narrow: scope ZSTD(5)': ['TraceId String CODEC(ZSTD(3)), ScopeName String CODEC(ZSTD(5)), ScopeVersion String CODEC(ZSTD(5))'],
  'narrow: 0074': ['TraceId String CODEC(ZSTD(1)), ScopeName String CODEC(ZSTD(5)), ScopeVersion String CODEC(ZSTD(5))'],
};

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const storeDir = arg('--store');
if (!storeDir) throw new Error('--store DIR: a copy of a seeded store (its chDB directory)');
const rounds = Number(arg('--rounds', '1'));
const names = arg('--variants', 'before 0073 and 0074,before 0074,now')!.split(',');
const reads = Number(arg('--reads', '0'));
for (const n of names) if (!STORAGE_VARIANTS[n]) throw new Error(`unknown variant ${n}`);

const session = new Session(storeDir);
const rows = <T>(q: string): T[] => session.query(q, 'JSONEachRow').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = arg('--day') ?? rows<{ d: string }>('SELECT toString(toDate(Timestamp)) AS d FROM otel_traces GROUP BY d ORDER BY count() DESC LIMIT 1')[0].d;
if (!DAY.test(day)) throw new Error(`--day YYYY-MM-DD, not ${day}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'payscope-storage-'));
const file = path.join(tmp, 'day.native');
session.query('CREATE DATABASE IF NOT EXISTS storage_bench');
// SELECT * leaves out the MATERIALIZED columns: each copy computes its own, as at ingest.
session.query(`INSERT INTO FUNCTION file('${file}', 'Native') SELECT * FROM otel_traces WHERE toDate(Timestamp) = '${day}'`);

interface Run { insert: number; merge: number; bytes: number; rows: number; columns: Record<string, number> }
const runs: Record<string, Run[]> = {};
const INSERT_SETTINGS = 'SETTINGS max_insert_threads = 1, max_threads = 1, max_insert_block_size = 65536, min_insert_block_size_rows = 65536, min_insert_block_size_bytes = 0';
try {
  for (let r = 0; r < rounds; r++) {
    for (const [i, name] of names.entries()) {
      const t = `storage_bench.t${i}`;
      session.query(`DROP TABLE IF EXISTS ${t} SYNC`);
      let insert: string;
      if (name.startsWith('narrow: ')) {
        session.query(`CREATE TABLE ${t} (Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)), ${STORAGE_VARIANTS[name][0]})
          ENGINE = MergeTree ORDER BY (toStartOfHour(Timestamp), TraceId, Timestamp) SETTINGS min_bytes_for_wide_part = 0`);
        insert = `INSERT INTO ${t} SELECT Timestamp, TraceId, ScopeName, ScopeVersion FROM file('${file}', 'Native') ${INSERT_SETTINGS}`;
      } else {
        session.query(`CREATE TABLE ${t} AS otel_traces`);
        for (const ddl of STORAGE_VARIANTS[name]) session.query(ddl.replaceAll('$T', t));
        insert = `INSERT INTO ${t} SELECT * FROM file('${file}', 'Native') ${INSERT_SETTINGS}`;
      }
      // The insert's parts stay apart until the merge below, so each is counted on its own.
      session.query(`SYSTEM STOP MERGES ${t}`);
      const c0 = cpuMs();
      session.query(insert);
      const c1 = cpuMs();
      session.query(`SYSTEM START MERGES ${t}`);
      session.query(`OPTIMIZE TABLE ${t} FINAL SETTINGS max_threads = 1`);
      const c2 = cpuMs();
      const [p] = rows<{ rows: string; bytes: string }>(`SELECT sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = 'storage_bench' AND table = 't${i}'`);
      const n = Number(p.rows);
      const columns = Object.fromEntries(rows<{ column: string; b: string }>(`SELECT column, sum(column_bytes_on_disk) AS b FROM system.parts_columns
        WHERE active AND database = 'storage_bench' AND table = 't${i}' GROUP BY column`).map((c) => [c.column, Number(c.b) / n]));
      const run: Run = { insert: ((c1 - c0) * 1e3) / n, merge: ((c2 - c1) * 1e3) / n, bytes: Number(p.bytes) / n, rows: n, columns };
      (runs[name] ??= []).push(run);
      console.error(`round ${r + 1} ${name}: insert ${run.insert.toFixed(3)} µs/span, merge into one part ${run.merge.toFixed(3)} µs/span, ${run.bytes.toFixed(2)} B/span (${n} spans)`);
      if (r < rounds - 1 || !reads || name.startsWith('narrow: ')) session.query(`DROP TABLE ${t} SYNC`);
    }
  }
  if (reads) readBench();
} finally {
  session.query('DROP DATABASE IF EXISTS storage_bench SYNC');
  session.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** CPU per query of reads on each full variant's copy, variants alternating round by round. */
function readBench(): void {
  const full = names.map((name, i) => ({ name, t: `storage_bench.t${i}` })).filter((v) => !v.name.startsWith('narrow: '));
  const traces = rows<{ id: string }>(`SELECT TraceId AS id FROM ${full[0].t} GROUP BY id ORDER BY cityHash64(id) LIMIT 50`).map((r) => r.id);
  const queries: Record<string, (t: string) => string[]> = {
    'two attribute lookups': (t) => [`SELECT countIf(SpanAttributes['http.request.method'] = 'POST'), countIf(ResourceAttributes['service.version'] != '') FROM ${t} SETTINGS max_threads = 1`],
    'span attribute maps whole': (t) => [`SELECT sum(length(toString(SpanAttributes))) FROM ${t} SETTINGS max_threads = 1`],
    // Trace ids come from the table itself (hex, checked), not from input.
    'one trace by id': (t) => traces.filter((id) => /^[0-9a-f]+$/.test(id)).map((id) => `SELECT * FROM ${t} WHERE TraceId = '${id}' FORMAT Null SETTINGS max_threads = 1`),
  };
  const cpu: Record<string, number[]> = {};
  for (let r = 0; r < reads; r++) {
    for (const [q, make] of Object.entries(queries)) {
      for (const v of full) {
        const qs = make(v.t);
        const c0 = cpuMs();
        for (const text of qs) session.query(text);
        (cpu[`${q}: ${v.name}`] ??= []).push((cpuMs() - c0) / qs.length);
      }
    }
  }
  for (const [k, a] of Object.entries(cpu)) console.log(`reads, ${k}: median ${median(a).toFixed(2)} ms CPU per query [${a.map((x) => x.toFixed(1)).join(' ')}]`);
}

const base = runs[names[0]][0].columns;
for (const name of names) {
  const rs = runs[name];
  const cols = rs[0].columns;
  const moved = Object.entries(cols).filter(([c, b]) => Math.abs(b - (base[c] ?? 0)) >= 0.02)
    .map(([c, b]) => `${c} ${b.toFixed(2)} (${names[0]}: ${(base[c] ?? 0).toFixed(2)})`).join(', ');
  console.log(`${name}: ${rs[0].bytes.toFixed(2)} B/span; insert median ${median(rs.map((x) => x.insert)).toFixed(3)} [${rs.map((x) => x.insert.toFixed(2)).join(' ')}], merge median ${median(rs.map((x) => x.merge)).toFixed(3)} [${rs.map((x) => x.merge.toFixed(2)).join(' ')}] µs/span${moved ? `; ${moved}` : ''}`);
}
