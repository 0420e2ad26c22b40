import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  migrations,
  openStore,
  readTraceSpans,
} from '@llmp/clickhouse';
import { type Span, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';

// Its own file: one process holds one embedded data dir, and this store starts at migration 7.
// Migration 8 gives spans smaller granules by attaching its parts to a new table that then takes
// the name: a store written before it must read the same afterwards, and its views must go on
// filling.
const dir = tempDir('rebuild');
let store: ClickHouseStore;
const settings = { id: 'clickhouse', logger: pino({ level: 'silent' }) };
const day = 86_400_000_000_000n;
const t0 = 1_700_000_000_000_000_000n;

beforeAll(async () => {
  store = await openStore({ dataDir: dir.path });
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const traceOf = (traceId: string, spans: number, start: bigint): Span[] =>
  Array.from({ length: spans }, (_, i) =>
    testSpan({
      traceId,
      spanId: (i + 1).toString(16).padStart(16, '0'),
      parentSpanId: i === 0 ? '' : '0000000000000001',
      name: `step ${i}`,
      // Hourly: the 30-span trace below runs over more than one daily partition.
      startTimeUnixNano: start + BigInt(i) * 3_600_000_000_000n,
      endTimeUnixNano: start + BigInt(i) * 3_600_000_000_000n + 1_000_000n,
      attributes: [stringAttr('gen_ai.prompt', `prompt ${i} `.repeat(50))],
    }),
  );

async function storeTrace(spans: Span[]): Promise<void> {
  const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
  await exporter.consume(
    traceBatch({
      projectId: 'p1',
      request: testRequest(spans, { resource: [stringAttr('service.name', 'rebuild')], scopeName: 'x' }),
    }),
  );
}

async function one<T>(query: string): Promise<T> {
  const result = await store.client.query({ query, format: 'JSONEachRow' });
  return (await result.json<T>())[0]!;
}

describe('migration 8 (spans in smaller granules) on a store written before it', () => {
  it('keeps every trace readable as it was and the views filling from spans', async () => {
    // And migration 11: trace reads take a trace's range from its trace_job_usage (migration 22).
    await migrate(
      store,
      migrations.filter((m) => m.version < 8 || m.version === 11),
    );
    const before = 'a1'.repeat(16);
    await storeTrace(traceOf(before, 30, t0 + day - 10n * 3_600_000_000_000n));
    for (let i = 0; i < 20; i++) {
      const id = i.toString(16).padStart(32, 'f');
      await storeTrace(traceOf(id, 3, t0 + BigInt(i) * 60_000_000_000n));
    }
    const read = await readTraceSpans(store, 'p1', before);
    expect(read).toHaveLength(30);

    const report = await migrate(
      store,
      migrations.filter((m) => m.version <= 8),
    );
    expect(report.applied.map((m) => m.version)).toEqual([8]);

    expect(await readTraceSpans(store, 'p1', before)).toEqual(read);
    expect(
      await one<{ engine_full: string }>(
        "SELECT engine_full FROM system.tables WHERE database = 'llmp' AND name = 'spans'",
      ),
    ).toMatchObject({
      engine_full: expect.stringMatching(/index_granularity = 1024.*min_bytes_for_wide_part = 268435456/),
    });
    const indexes = await store.client.query({
      query:
        "SELECT name FROM system.data_skipping_indices WHERE database = 'llmp' AND table = 'spans' ORDER BY name",
      format: 'JSONEachRow',
    });
    expect((await indexes.json<{ name: string }>()).map((i) => i.name)).toEqual([
      'idx_duration',
      'idx_job_id',
      'idx_session_id',
      'idx_span_attr_key',
      'idx_span_attr_value',
      'idx_trace_id',
      'idx_user_id',
    ]);
    // The parts were attached, not copied: each span is there once.
    expect(await one<{ n: string }>('SELECT count() AS n FROM llmp.spans')).toEqual({ n: '90' });
    expect(
      await one<{ n: string }>(
        "SELECT count() AS n FROM system.tables WHERE database = 'llmp' AND name = 'spans_rebuild'",
      ),
    ).toEqual({ n: '0' });
    // Attaching went past the views: the rollup and the trace summary count each span once.
    expect(await one<{ n: string }>('SELECT sum(spans) AS n FROM llmp.span_metrics_hourly')).toEqual({
      n: '90',
    });

    const after = 'b2'.repeat(16);
    await storeTrace(traceOf(after, 4, t0));
    expect((await readTraceSpans(store, 'p1', after)).map((s) => s.name)).toEqual([
      'step 0',
      'step 1',
      'step 2',
      'step 3',
    ]);
    expect(await one<{ n: string }>('SELECT sum(spans) AS n FROM llmp.trace_summary')).toEqual({ n: '94' });
    expect(await one<{ n: string }>('SELECT sum(spans) AS n FROM llmp.span_metrics_hourly')).toEqual({
      n: '94',
    });
    // A merge rewrites the attached parts in the new granules, and the spans read the same.
    await store.client.command({ query: 'OPTIMIZE TABLE llmp.spans FINAL' });
    expect(await readTraceSpans(store, 'p1', before)).toEqual(read);
    expect(
      await migrate(
        store,
        migrations.filter((m) => m.version <= 8),
      ),
    ).toMatchObject({ applied: [] });
  });
});

describe('migration 9 (marks loaded with their parts)', () => {
  it('sets prewarm_mark_cache on spans and trace_id_ts', async () => {
    const upTo9 = migrations.filter((m) => m.version <= 9);
    expect((await migrate(store, upTo9)).applied.map((m) => m.version)).toEqual([9]);
    for (const table of ['spans', 'trace_id_ts']) {
      const result = await store.client.query({
        query: "SELECT engine_full FROM system.tables WHERE database = 'llmp' AND name = {table:String}",
        query_params: { table },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ engine_full: string }>();
      expect(row?.engine_full).toContain('prewarm_mark_cache = 1');
    }
    expect(await migrate(store, upTo9)).toMatchObject({ applied: [] });
  });
});

describe('migration 10 (span merges in small blocks)', () => {
  it('bounds the blocks a spans merge reads at 1 MiB', async () => {
    const upTo10 = migrations.filter((m) => m.version <= 10);
    expect((await migrate(store, upTo10)).applied.map((m) => m.version)).toEqual([10]);
    const result = await store.client.query({
      query: "SELECT value FROM system.merge_tree_settings WHERE name = 'merge_max_block_size_bytes'",
      format: 'JSONEachRow',
    });
    // The engine's default stays as it was; the table carries its own.
    expect((await result.json<{ value: string }>())[0]?.value).toBe('10485760');
    const table = await store.client.query({
      query: "SELECT engine_full FROM system.tables WHERE database = 'llmp' AND name = 'spans'",
      format: 'JSONEachRow',
    });
    expect((await table.json<{ engine_full: string }>())[0]?.engine_full).toContain(
      'merge_max_block_size_bytes = 1048576',
    );
    expect(await migrate(store, upTo10)).toMatchObject({ applied: [] });
  });
});
