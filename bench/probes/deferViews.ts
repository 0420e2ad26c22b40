// Engine CPU per million spans of `llmp start`'s INSERT stream (2 048 telemetrygen-sized spans an
// INSERT, after the genai processor) when the derived tables are filled per INSERT (today: the
// views hang on spans) against filled every N INSERTs (issue 21 item 2, branch `deferviews`):
// spans keeps no view, and every N INSERTs the N payloads, concatenated, go in one INSERT into a
// Null-engine copy of spans that carries the same views (same SELECTs, FROM the Null table).
// Each variant and round gets a fresh migrated embedded store with the exporter's table and
// INSERT settings, merges ON (merges of the small parts are part of the cost); the variants take
// turns, their order rotating by round. CPU is counted from the first measured INSERT to
// `TAIL_MS` after the last (merges the stream started run on), per million spans: the process
// (user + system) and the engine's threads (ThreadPool, libuv-worker, Merge…/Background…).
// VARIANTS='[0,8,16]' ROUNDS=3 INSERTS=96 TAIL_MS=4000 [SHAPE=llm SIZE=2048] node bench/probes/deferViews.ts
// (0 = today; N > 0 = derive every N INSERTs; -1 = spans alone, never derived: the floor.)
// After each round's first derive variant, the CPU of one derive of 16 INSERTs' payloads
// through each view alone (a Null table carrying only that view; merges stopped) is printed as `view`.

import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseStore } from '@llmp/clickhouse';
import {
  insertRowBinary,
  migrate,
  migrations,
  openStore,
  spanRowBinary,
  spanRowBinaryColumns,
} from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { deferViews } from '../src/deferredViews.ts';
import { realisticBatches } from '../src/insertFormats.ts';
import { median } from '../src/quantiles.ts';
import { smallSpanBatches } from '../src/smallSpanBatches.ts';
import { threadCpu } from '../src/threadCpu.ts';

const inserts = Number(process.env.INSERTS ?? 96);
const rounds = Number(process.env.ROUNDS ?? 3);
const tailMs = Number(process.env.TAIL_MS ?? 4000);
const variants: number[] = JSON.parse(process.env.VARIANTS ?? '[0,8,16]');
const warmup = 3;

// Requests of 512 spans, four to an INSERT, as the batch processor hands them to the exporter;
// every variant INSERTs the same stream. SHAPE=llm: loadgen's LLM traces (requests of ~100
// spans with GenAI fields and texts, through the genai processor), ~SIZE spans to an INSERT.
const shape = process.env.SHAPE ?? 'telemetrygen';
const size = Number(process.env.SIZE ?? 2048);
const batches =
  shape === 'llm'
    ? await realisticBatches((inserts + warmup) * size * 1.05)
    : await smallSpanBatches((inserts + warmup) * size, 512);
const bodies: Uint8Array[] = [];
const bodyRows: number[] = [];
for (let i = 0; i < batches.length && bodies.length < inserts + warmup; ) {
  const parts: Uint8Array[] = [];
  let rows = 0;
  for (; i < batches.length && rows < size; i++) {
    const b = batches[i]!;
    const payload = spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s));
    parts.push(payload.bytes);
    rows += payload.rows;
  }
  bodies.push(Buffer.concat(parts));
  bodyRows.push(rows);
}

const engineCpu = () => {
  let sum = 0;
  for (const [name, s] of threadCpu()) if (!['node', 'MainThread', 'V8Worker'].includes(name)) sum += s;
  return sum;
};
const processCpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

async function rows<T>(store: ClickHouseStore, query: string): Promise<T[]> {
  return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Engine CPU ms and wall ms of one derive of 16 INSERTs' payloads through each view alone. */
async function viewCosts(store: ClickHouseStore, views: string[], round: number): Promise<void> {
  const payload = Buffer.concat(bodies.slice(0, 16));
  // The engine's threads run merges too: none may run while a derive is timed.
  await store.client.command({ query: 'SYSTEM STOP MERGES' });
  while (Number((await rows<{ n: string }>(store, 'SELECT count() AS n FROM system.merges'))[0]!.n) > 0)
    await sleep(100);
  // '(none)': the Null table alone, the payload read and dropped.
  for (const view of [...views, '(none)']) {
    await store.client.command({ query: 'CREATE TABLE llmp.spans_one AS llmp.spans ENGINE = Null' });
    if (view !== '(none)') {
      const [{ q }] = await rows<{ q: string }>(
        store,
        `SELECT create_table_query AS q FROM system.tables WHERE database = 'llmp' AND name = '${view}'`,
      );
      await store.client.command({
        query: q
          .replace(`llmp.${view}`, 'llmp.probe_one_mv')
          .replace(/\bllmp\.spans_derive\b/g, 'llmp.spans_one'),
      });
    }
    const e0 = engineCpu();
    const p0 = processCpu();
    const t0 = performance.now();
    await insertRowBinary(store, {
      table: 'llmp.spans_one',
      columns: spanRowBinaryColumns,
      bytes: payload,
      settings: {
        deduplicate_blocks_in_dependent_materialized_views: 1,
        insert_deduplication_token: `probe-one-${round}-${view}`,
        optimize_on_insert: 0,
        parallel_view_processing: 1,
      },
    });
    const wall = performance.now() - t0;
    const spans = bodyRows.slice(0, 16).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({
        view,
        round,
        spans,
        wallMs: round1(wall),
        engineCpuSPerM: round1(((engineCpu() - e0) / spans) * 1e6),
        processCpuSPerM: round1(((processCpu() - p0) / spans) * 1e6),
      }),
    );
    if (view !== '(none)') await store.client.command({ query: 'DROP VIEW llmp.probe_one_mv' });
    await store.client.command({ query: 'DROP TABLE llmp.spans_one' });
  }
}

const order = (round: number) => variants.map((_, i) => variants[(i + round) % variants.length]!);
for (let round = 0; round < rounds; round++) {
  for (const every of order(round)) {
    const dir = tempDir('probe-defer-views');
    const store = await openStore({ dataDir: `${dir.path}/data` });
    try {
      // The schema before migration 31 (views on spans), which the probe compares with its deferral.
      await migrate(
        store,
        migrations.filter((m) => m.version < 31),
      );
      // The exporter's table settings on the embedded store (clickhouseExporter.ts).
      for (const { name } of await rows<{ name: string }>(
        store,
        `SELECT name FROM system.tables WHERE database = 'llmp' AND engine LIKE '%MergeTree'`,
      ))
        await store.client.command({
          query: `ALTER TABLE llmp.${name} MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0, packed_skip_index_max_bytes = 262144`,
        });
      const moved = every !== 0 ? await deferViews(store) : [];
      const settings = (token: string) => ({
        deduplicate_blocks_in_dependent_materialized_views: 1,
        insert_deduplication_token: token,
        optimize_on_insert: 0,
        parallel_view_processing: 1,
      });
      const insertWall: number[] = [];
      const deriveWall: number[] = [];
      let pending: Uint8Array[] = [];
      let e0 = 0;
      let p0 = 0;
      let t0 = 0;
      for (let i = 0; i < bodies.length; i++) {
        if (i === warmup) {
          e0 = engineCpu();
          p0 = processCpu();
          t0 = performance.now();
        }
        const s = performance.now();
        await insertRowBinary(store, {
          table: 'llmp.spans',
          columns: spanRowBinaryColumns,
          bytes: bodies[i]!,
          settings: settings(`probe-${round}-${i}`),
        });
        if (i >= warmup) insertWall.push(performance.now() - s);
        if (every <= 0) continue;
        pending.push(bodies[i]!);
        // Warm-up INSERTs derive at once; then every `every` INSERTs.
        if (i < warmup ? i === warmup - 1 : (i - warmup + 1) % every === 0 || i === bodies.length - 1) {
          const d = performance.now();
          await insertRowBinary(store, {
            table: 'llmp.spans_derive',
            columns: spanRowBinaryColumns,
            bytes: Buffer.concat(pending),
            settings: settings(`probe-derive-${round}-${i}`),
          });
          if (i >= warmup) deriveWall.push(performance.now() - d);
          pending = [];
        }
      }
      const streamS = (performance.now() - t0) / 1000;
      await sleep(tailMs);
      const engine = engineCpu() - e0;
      const proc = processCpu() - p0;
      const spans = bodyRows.slice(warmup).reduce((a, b) => a + b, 0);
      const [{ searchRows }] = await rows<{ searchRows: string }>(
        store,
        'SELECT sum(spans) AS searchRows FROM llmp.trace_search',
      );
      const parts = await rows<{ table: string; n: string }>(
        store,
        `SELECT table, count() AS n FROM system.parts WHERE database = 'llmp' AND active GROUP BY table ORDER BY table`,
      );
      console.log(
        JSON.stringify({
          variant: every === 0 ? 'per INSERT' : every < 0 ? 'spans alone' : `derive every ${every}`,
          shape,
          payloadMiBPerInsert: Math.round((bodies[warmup]!.byteLength / 2 ** 20) * 100) / 100,
          round,
          load: round1(loadavg()[0]!),
          moved: moved.length,
          spans,
          // Every span counted once in the derived tables (warm-up included).
          traceSearchSpans: Number(searchRows),
          spansPerSecondOfStream: Math.round(spans / streamS),
          processCpuSPerM: round1((proc / spans) * 1e6),
          engineCpuSPerM: round1((engine / spans) * 1e6),
          insertWallMsP50: round1(median(insertWall)),
          deriveWallMsP50: deriveWall.length ? round1(median(deriveWall)) : null,
          activeParts: Object.fromEntries(parts.map((p) => [p.table, Number(p.n)])),
        }),
      );
      if (every > 0 && every === variants.find((v) => v > 0)) await viewCosts(store, moved, round);
    } finally {
      await store.close();
      dir.remove();
    }
  }
}
