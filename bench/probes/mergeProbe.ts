// What the embedded engine's merges do per inserted span under `llmp start`'s insert pattern:
// INSERTs of ~1 200 telemetrygen-sized spans at a steady rate into a fresh store, merges running.
// Per thread CPU of this process (ThreadPool = INSERTs, MergeMutate = merges), system.events
// deltas, each table's merges (system.merges polled every 20 ms: chdb keeps no system.part_log)
// and rows merged per row stored; READS=1 then times trace by id and search on the parts as they
// are; VERBOSE=1 prints parts and levels every 5 s and every event. docs/benchmarks.md, "aiomerge".
// SECONDS=20 RATE=6 SIZE=1200 [SHAPE=llm] [NULL_VIEWS=v,…] [DISTINCT_ARRAYS=1] [SETTINGS='{"k":v}' server] [DDL='stmt;stmt'] [CODEC=LZ4] [READS=1]
//   node --experimental-strip-types bench/probes/mergeProbe.ts
import { loadavg } from 'node:os';
import {
  insertRowBinary,
  migrate,
  openStore,
  readTraceSpans,
  searchTraces,
  spanRowBinary,
  spanRowBinaryColumns,
} from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { mergeMeta, traceBatch } from '@llmp/otlp';
import { tempDir } from '../../test/support/tempDir.ts';
import { realisticBatches } from '../src/insertFormats.ts';
import { smallSpanBatches } from '../src/smallSpanBatches.ts';
import { threadCpu as threads } from '../src/threadCpu.ts';

const seconds = Number(process.env.SECONDS ?? 20);
const rate = Number(process.env.RATE ?? 6);
const size = Number(process.env.SIZE ?? 1200);
const serverSettings = JSON.parse(process.env.SETTINGS ?? '{}');
const n = Math.ceil(seconds * rate) + 2;
// SHAPE=llm: loadgen's LLM traces (the ingester's INSERTs hold ~5 000 of them: SIZE=5000 RATE=2).
const batches =
  process.env.SHAPE === 'llm' ? await realisticBatches(n * size) : await smallSpanBatches(n * size, 600);
const bodies: Uint8Array[] = [];
const bodySpans: number[] = [];
for (let i = 0; i < batches.length && bodies.length < n; ) {
  const taken = [];
  let count = 0;
  while (i < batches.length && count < size) {
    taken.push(batches[i]!);
    count += batches[i++]!.spanCount;
  }
  const joined = traceBatch({
    projectId: 'default',
    request: { resourceSpans: taken.flatMap((b) => b.request().resourceSpans) },
    meta: mergeMeta(taken.map((b) => b.meta)),
  });
  bodies.push(spanRowBinary('default', joined.request(), (s) => genAiOf(joined, s)).bytes);
  bodySpans.push(count);
}
const traceIds = batches.map((b) => b.request().resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId);
const dir = tempDir('merge-probe');
const store = await openStore({ dataDir: `${dir.path}/data`, embedded: { serverSettings } });
const q = async <T>(query: string) =>
  (await (await store.client.query({ query, format: 'JSONEachRow' })).json()) as T[];
try {
  await migrate(store);
  for (const { name } of await q<{ name: string }>(
    "SELECT name FROM system.tables WHERE database = 'llmp' AND engine LIKE '%MergeTree'",
  ))
    await store.client.command({
      query: `ALTER TABLE llmp.${name} MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0, packed_skip_index_max_bytes = 262144`,
    });
  // CODEC=LZ4 (or any codec): every column of spans with a codec of its own gets this one instead.
  if (process.env.CODEC)
    for (const { name } of await q<{ name: string }>(
      "SELECT name FROM system.columns WHERE database = 'llmp' AND table = 'spans' AND compression_codec != ''",
    ))
      await store.client.command({
        query: `ALTER TABLE llmp.spans MODIFY COLUMN \`${name}\` CODEC(${process.env.CODEC})`,
      });
  // NULL_VIEWS=trace_search_mv,…: each view writes into a Null copy of its target instead, so its
  // SELECT still runs on every INSERT but no part is written (and none merged).
  for (const view of (process.env.NULL_VIEWS ?? '').split(',').filter(Boolean)) {
    const [row] = await q<{ create_table_query: string }>(
      `SELECT create_table_query FROM system.tables WHERE database = 'llmp' AND name = '${view}'`,
    );
    const target = /\bTO llmp\.(\w+)/.exec(row!.create_table_query)![1]!;
    await store.client.command({ query: `CREATE TABLE llmp.${target}_null AS llmp.${target} ENGINE = Null` });
    await store.client.command({ query: `DROP VIEW llmp.${view}` });
    await store.client.command({
      query: row!.create_table_query.replace(`TO llmp.${target}`, `TO llmp.${target}_null`),
    });
  }
  // DISTINCT_ARRAYS=1: trace_search_mv with arrayDistinct(groupArray(x)) for each groupUniqArray(x).
  if (process.env.DISTINCT_ARRAYS) {
    const [row] = await q<{ create_table_query: string }>(
      "SELECT create_table_query FROM system.tables WHERE database = 'llmp' AND name = 'trace_search_mv'",
    );
    await store.client.command({ query: 'DROP VIEW llmp.trace_search_mv' });
    await store.client.command({
      query: row!.create_table_query.replace(
        /groupUniqArray(If)?\(((?:[^()]|\([^()]*\))*)\)/g,
        (_, cond, arg) => `arrayDistinct(groupArray${cond ?? ''}(${arg}))`,
      ),
    });
  }
  for (const stmt of (process.env.DDL ?? '').split(';').filter((s) => s.trim()))
    await store.client.command({ query: stmt });
  const hasPartLog =
    (
      await q<{ c: string }>(
        "SELECT count() c FROM system.tables WHERE database='system' AND name='part_log'",
      )
    )[0]!.c !== '0';
  const events = async () =>
    new Map(
      (await q<{ event: string; value: string }>('SELECT event, value FROM system.events')).map((e) => [
        e.event,
        Number(e.value),
      ]),
    );
  const e0 = await events();
  const t0 = threads();
  const c0 = process.cpuUsage();
  const started = performance.now();
  let inserts = 0;
  const samples: string[] = [];
  // system.merges polled: each merge's table, parts, rows and wall time (merges of small parts last 100+ ms).
  const merges = new Map<string, { table: string; parts: number; rows: number; bytes: number; ms: number }>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      for (const m of await q<{
        table: string;
        result_part_name: string;
        num_parts: number;
        rows_read: string;
        total_size_bytes_compressed: string;
        elapsed: number;
      }>(
        "SELECT table, result_part_name, num_parts, rows_read, total_size_bytes_compressed, elapsed FROM system.merges WHERE database = 'llmp'",
      )) {
        const key = `${m.table}/${m.result_part_name}`;
        const had = merges.get(key);
        merges.set(key, {
          table: m.table,
          parts: m.num_parts,
          rows: Math.max(Number(m.rows_read), had?.rows ?? 0),
          bytes: Number(m.total_size_bytes_compressed),
          ms: Math.max(m.elapsed * 1000, had?.ms ?? 0),
        });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  while (performance.now() - started < seconds * 1000 && inserts < bodies.length) {
    const due = started + (inserts * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await insertRowBinary(store, {
      table: 'llmp.spans',
      // Then spans_derive, as the exporter derives each payload (migration 31): the views' parts as before.
      thenInto: ['llmp.spans_derive'],
      columns: spanRowBinaryColumns,
      bytes: bodies[inserts]!,
      settings: {
        deduplicate_blocks_in_dependent_materialized_views: 1,
        insert_deduplication_token: `probe-${inserts}`,
        optimize_on_insert: 0,
      },
    });
    inserts++;
    if (inserts % (rate * 5) === 0) {
      const p = await q<{ table: string; parts: string; maxLevel: string }>(
        "SELECT table, count() parts, max(level) maxLevel FROM system.parts WHERE database='llmp' AND active GROUP BY table ORDER BY table",
      );
      samples.push(
        `${Math.round((performance.now() - started) / 1000)}s ` +
          p
            .filter((r) => Number(r.parts) > 0)
            .map((r) => `${r.table}:${r.parts}/L${r.maxLevel}`)
            .join(' '),
      );
    }
  }
  const wall = (performance.now() - started) / 1000;
  polling = false;
  await poller;
  const cpu = process.cpuUsage(c0);
  const t1 = threads();
  const e1 = await events();
  const spans = bodySpans.slice(0, inserts).reduce((a, b) => a + b, 0);
  const perM = (v: number) => +((v / spans) * 1e6).toFixed(1);
  const thr = Object.fromEntries(
    [...t1]
      .map(([k, v]) => [k, perM(v - (t0.get(k) ?? 0))])
      .filter(([, v]) => (v as number) > 0.3)
      .sort((a, b) => (b[1] as number) - (a[1] as number)),
  );
  const ev = Object.fromEntries(
    [...e1]
      .map(([k, v]) => [k, v - (e0.get(k) ?? 0)])
      .filter(
        ([k, v]) => v !== 0 && /Merge|Compress|Part|FileOpen|WriteBuffer|Select|Insert|Mutat|Index/.test(k),
      ),
  );
  console.log(
    JSON.stringify({
      serverSettings,
      ddl: process.env.DDL,
      inserts,
      spans,
      wall: +wall.toFixed(1),
      cpuSPerM: perM((cpu.user + cpu.system) / 1e6),
      user: perM(cpu.user / 1e6),
      system: perM(cpu.system / 1e6),
      load: +loadavg()[0]!.toFixed(1),
      threadsCpuSPerM: thr,
      hasPartLog,
    }),
  );
  const perTable: Record<string, { merges: number; parts: number; rows: number; ms: number }> = {};
  for (const m of merges.values()) {
    const t = perTable[m.table] ?? { merges: 0, parts: 0, rows: 0, ms: 0 };
    perTable[m.table] = t;
    t.merges++;
    t.parts += Number(m.parts);
    t.rows += m.rows;
    t.ms += Math.round(m.ms);
  }
  const ins = Object.fromEntries(
    (
      await q<{ table: string; rows: string }>(
        "SELECT table, sum(rows) rows FROM system.parts WHERE database='llmp' AND active GROUP BY table",
      )
    ).map((r) => [r.table, Number(r.rows)]),
  );
  console.log(
    JSON.stringify(
      Object.fromEntries(
        Object.entries(perTable).map(([k, v]) => [
          k,
          { ...v, rowsMergedPerStored: +(v.rows / (ins[k] ?? 1)).toFixed(2) },
        ]),
      ),
    ),
  );
  console.log(
    JSON.stringify({
      Merge: ev.Merge,
      MergedRows: ev.MergedRows,
      InsertedRows: ev.InsertedRows,
      amplification: +(ev.MergedRows / ev.InsertedRows).toFixed(2),
      MergedUncompressedBytes: ev.MergedUncompressedBytes,
      MergeTotalMilliseconds: ev.MergeTotalMilliseconds,
      FileOpen: ev.FileOpen,
    }),
  );
  if (process.env.READS) {
    // Reads on the parts as the inserts left them (merges still running): trace by id and search.
    const partsNow = await q<{ table: string; parts: string }>(
      "SELECT table, count() parts FROM system.parts WHERE database='llmp' AND active AND table IN ('spans','trace_search','trace_job_usage') GROUP BY table ORDER BY table",
    );
    const byId: number[] = [];
    const stored = traceIds.slice(0, Math.floor((traceIds.length * inserts) / bodies.length));
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const id = stored[Math.floor(Math.random() * stored.length)]!;
      const t = performance.now();
      found += (await readTraceSpans(store, 'default', id)).length > 0 ? 1 : 0;
      byId.push(performance.now() - t);
    }
    const search: number[] = [];
    const now = BigInt(Date.now()) * 1_000_000n;
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await searchTraces(
        store,
        'default',
        {
          fromNs: now - 3_600_000_000_000n,
          toNs: now + 3_600_000_000_000n,
          service: 'telemetrygen',
          ...(i % 2 ? { spanName: 'okey-dokey-0' } : {}),
        },
        { sort: 'startTime', order: 'desc', limit: 50 },
      );
      search.push(performance.now() - t);
    }
    const med = (a: number[]) => +a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
    const p90 = (a: number[]) => +a.sort((x, y) => x - y)[Math.floor(a.length * 0.9)]!.toFixed(1);
    console.log(
      JSON.stringify({
        reads: {
          parts: Object.fromEntries(partsNow.map((r) => [r.table, Number(r.parts)])),
          byIdFound: found,
          byIdP50: med(byId),
          byIdP90: p90(byId),
          searchP50: med(search),
          searchP90: p90(search),
        },
      }),
    );
  }
  if (process.env.VERBOSE) {
    console.log(samples.join('\n'));
    console.log(JSON.stringify(ev, null, 0));
    console.log(
      JSON.stringify(
        await q(
          "SELECT table, count() parts, sum(rows) rows, max(level) maxLevel, groupUniqArray(part_type) types, sum(bytes_on_disk) bytes FROM system.parts WHERE database='llmp' AND active GROUP BY table",
        ),
      ),
    );
    if (hasPartLog)
      console.log(
        JSON.stringify(
          await q(
            'SELECT table, event_type, count() n, sum(rows) rows, sum(duration_ms) ms FROM system.part_log GROUP BY table, event_type ORDER BY table',
          ),
        ),
      );
  }
} finally {
  await store.close();
  dir.remove();
}
