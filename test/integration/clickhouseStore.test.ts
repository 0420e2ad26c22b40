import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  migrations,
  readTrace,
  spanRows,
} from '@llmp/clickhouse';
import {
  emptyGenAiFields,
  type GenAiFields,
  genAiOf,
  type Span,
  type TraceRequest,
  traceBatch,
} from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledFunctions } from '../support/compiledFunctions.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('store');
let store: ClickHouseStore;
const settings = { id: 'clickhouse', logger: pino({ level: 'silent' }) };

beforeAll(async () => {
  store = await openTestStore(dir.path);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const span = (overrides: Partial<Span>): Span =>
  testSpan({
    traceId: 'a'.repeat(32),
    spanId: '1'.repeat(16),
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_500_000_000n,
    ...overrides,
  });

const request = (spans: Span[]): TraceRequest =>
  testRequest(spans, { resource: [stringAttr('service.name', 'store-test')], scopeName: 'x' });

async function count(traceId: string): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${store.database}.spans WHERE TraceId = {traceId:String}`,
    query_params: { traceId },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

describe('migrations', () => {
  it('create the schema once and are idempotent', async () => {
    const first = await migrate(store);
    expect(first.applied.map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    const again = await migrate(store);
    expect(again.applied).toEqual([]);
    expect(again.current).toBe(first.current);
    const tables = await store.client.query({
      query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      query_params: { db: 'llmp' },
      format: 'JSONEachRow',
    });
    const names = (await tables.json<{ name: string }>()).map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['schema_migrations', 'spans', 'trace_id_ts', 'trace_job_usage_mv']),
    );
    // Migration 22: trace reads take a trace's range from trace_job_usage; no fifth part per insert.
    expect(names).not.toContain('trace_id_ts_mv');
  });

  it('make the tables a span INSERT writes merge about twenty parts at once (migration 29)', async () => {
    const result = await store.client.query({
      query: `SELECT name, engine_full FROM system.tables
        WHERE database = 'llmp' AND name IN ('spans', 'trace_search', 'trace_job_usage', 'span_metrics_hourly', 'jobs')
        ORDER BY name`,
      format: 'JSONEachRow',
    });
    const tables = await result.json<{ name: string; engine_full: string }>();
    expect(tables.map((t) => t.name)).toEqual([
      'jobs',
      'span_metrics_hourly',
      'spans',
      'trace_job_usage',
      'trace_search',
    ]);
    for (const { name, engine_full } of tables)
      if (name === 'jobs') expect(engine_full).not.toContain('merge_selector_base');
      else expect(engine_full, name).toContain('merge_selector_base = 20');
  });
});

describe('the compact parts migration', () => {
  it('keeps what a store before it holds byte for byte and writes new span inserts as compact parts', async () => {
    const compact = migrations.find((m) => m.name === 'spans inserted as compact parts')!;
    // A database of its own in the same engine (one process holds one embedded data dir).
    const older: ClickHouseStore = { ...store, database: 'llmp_older' };
    const exporter = clickhouseExporter(older, settings, clickhouseExporterConfig.parse({ fsync: false }));
    // Past the 10 MiB above which an insert used to make a wide part.
    const big = (traceId: string) =>
      traceBatch({
        projectId: 'p1',
        request: request([
          span({
            traceId,
            attributes: [{ key: 'prompt', value: { type: 'string', value: 'y'.repeat(12e6) } }],
          }),
          span({ traceId, spanId: '2'.repeat(16), name: 'child ☃' }),
        ]),
      });
    const partTypes = async () =>
      (
        await (
          await store.client.query({
            query: `SELECT part_type FROM system.parts
              WHERE database = 'llmp_older' AND table = 'spans' AND active ORDER BY min_block_number`,
            format: 'JSONEachRow',
          })
        ).json<{ part_type: string }>()
      ).map((p) => p.part_type);
    const dump = async () =>
      (
        await store.client.query({
          query: 'SELECT * FROM llmp_older.spans ORDER BY TraceId, SpanId',
          format: 'JSONEachRow',
        })
      ).text();
    await migrate(
      older,
      migrations.filter((m) => m.version < compact.version),
    );
    // The part types are read before any merge.
    await store.client.command({ query: 'SYSTEM STOP MERGES llmp_older.spans' });
    await exporter.consume(big('7'.repeat(32)));
    expect(await partTypes()).toEqual(['Wide']);
    const stored = await dump();

    expect((await migrate(older)).applied.map((m) => m.version)).toEqual(
      migrations.filter((m) => m.version >= compact.version).map((m) => m.version),
    );
    expect(await dump()).toBe(stored);
    await exporter.consume(big('8'.repeat(32)));
    expect(await partTypes()).toEqual(['Wide', 'Compact']);
    const both = await dump();
    expect(both.startsWith(stored)).toBe(true);
    await store.client.command({ query: 'SYSTEM START MERGES llmp_older.spans' });
    await store.client.command({ query: 'OPTIMIZE TABLE llmp_older.spans FINAL' });
    expect(await partTypes()).toHaveLength(1);
    expect(await dump()).toBe(both);
    await store.client.command({ query: 'DROP DATABASE llmp_older SYNC' });
  });
});

describe('clickhouse exporter and trace reader', () => {
  it('stores edge-case times and values exactly', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const traceId = 'b'.repeat(32);
    const spans = [
      span({
        traceId,
        spanId: '0000000000000001',
        startTimeUnixNano: 0n,
        endTimeUnixNano: 5n,
        name: 'epoch',
      }),
      span({
        traceId,
        spanId: '0000000000000002',
        startTimeUnixNano: 1n,
        endTimeUnixNano: 0n,
        name: 'ends before it starts',
      }),
      span({
        traceId,
        spanId: '0000000000000003',
        startTimeUnixNano: 1_700_000_000_123_456_789n,
        endTimeUnixNano: 1_700_000_000_123_456_790n,
        name: 'unicode ☃ and "quotes"',
        attributes: [
          { key: 'big', value: { type: 'int', value: 9_007_199_254_740_993n } },
          { key: 'neg', value: { type: 'int', value: -42n } },
          {
            key: 'nested',
            value: {
              type: 'kvlist',
              value: [{ key: 'a', value: { type: 'array', value: [{ type: 'bool', value: true }] } }],
            },
          },
          { key: 'bytes', value: { type: 'bytes', value: new Uint8Array([1, 2, 255]) } },
          { key: 'nothing', value: { type: 'empty' } },
          { key: 'text', value: { type: 'string', value: 'line1\nline2\t\u0000end' } },
        ],
        events: [
          { timeUnixNano: 1_700_000_000_123_456_800n, name: 'ev', attributes: [], droppedAttributesCount: 0 },
        ],
      }),
    ];
    await exporter.consume(traceBatch({ projectId: 'p1', request: request(spans) }));

    const stored = await readTrace(store, 'p1', traceId);
    expect(stored.map((s) => s.name)).toEqual(['epoch', 'ends before it starts', 'unicode ☃ and "quotes"']);
    expect(stored[0]!.startTimeUnixNano).toBe('0');
    expect(stored[0]!.durationNs).toBe('5');
    expect(stored[1]!.durationNs).toBe('0');
    expect(stored[2]!.startTimeUnixNano).toBe('1700000000123456789');
    expect(stored[2]!.startTime).toBe('2023-11-14T22:13:20.123456789Z');
    expect(stored[2]!.events[0]!.timeUnixNano).toBe('1700000000123456800');
    expect(stored[2]!.attributes).toEqual({
      big: '9007199254740993',
      neg: -42,
      nested: { a: [true] },
      bytes: Buffer.from([1, 2, 255]).toString('base64'),
      nothing: null,
      text: 'line1\nline2\t\u0000end',
    });
    // Project scoping: the same trace id in another project is not visible.
    expect(await readTrace(store, 'other', traceId)).toEqual([]);
  });

  it('stores through the embedded RowBinary path exactly what a JSONEachRow insert stores', async () => {
    for (const t of ['spans_json', 'spans_binary'])
      await store.client.command({ query: `CREATE TABLE ${store.database}.${t} AS ${store.database}.spans` });
    const traceId = 'f'.repeat(32);
    const str = (value: string) => ({ type: 'string' as const, value });
    const spans = [
      span({
        traceId,
        spanId: '0000000000000001',
        name: 'llm ☃ 😀',
        kind: 3,
        flags: 257,
        traceState: 'k=v',
        startTimeUnixNano: 2n ** 64n - 1n,
        endTimeUnixNano: 2n ** 64n - 1n,
        status: { code: 2, message: 'tab\there' },
        droppedAttributesCount: 3,
        attributes: [
          { key: 'gen_ai.request.model', value: str('gpt-4o') },
          { key: 'dup', value: { type: 'int', value: 1n } },
          { key: 'dup', value: str('last wins') },
          { key: 'f', value: { type: 'double', value: 0.1 } },
          { key: 'llmp.job.id', value: str('job-1') },
          { key: 'long', value: str('x'.repeat(70_000)) },
        ],
        events: [
          {
            timeUnixNano: 5n,
            name: 'a',
            attributes: [{ key: 'n', value: { type: 'bool', value: false } }],
            droppedAttributesCount: 0,
          },
          { timeUnixNano: 6n, name: 'b', attributes: [], droppedAttributesCount: 0 },
        ],
        links: [
          {
            traceId: 'a'.repeat(32),
            spanId: 'b'.repeat(16),
            traceState: 's',
            flags: 1,
            attributes: [{ key: 'l', value: str('v') }],
            droppedAttributesCount: 0,
          },
        ],
      }),
      span({ traceId, spanId: '0000000000000002', parentSpanId: '0000000000000001' }),
    ];
    const fields: GenAiFields = {
      ...emptyGenAiFields(),
      spanType: 'llm',
      provider: 'openai',
      requestModel: 'gpt-4o',
      inputTokens: 2 ** 40,
      outputTokens: 7,
      costUsd: 0.000123,
      costSource: 'price',
      priceId: 'openai/gpt-4o@2024',
      inputText: `user: ${'hello '.repeat(100)}`,
      outputText: 'assistant: 😀',
      sessionId: 's1',
    };
    const batch = traceBatch({
      projectId: 'p2',
      request: request(spans),
      meta: { genAi: new Map([[spans[0]!, fields]]) },
    });
    await store.client.insert({
      table: `${store.database}.spans_json`,
      values: spanRows('p2', batch.request(), (s) => genAiOf(batch, s)),
      format: 'JSONEachRow',
    });
    await clickhouseExporter(
      store,
      settings,
      clickhouseExporterConfig.parse({ table: 'spans_binary' }),
    ).consume(batch);
    const dump = async (table: string) =>
      (
        await store.client.query({
          query: `SELECT * FROM ${store.database}.${table} ORDER BY SpanId`,
          format: 'JSONEachRow',
        })
      ).text();
    const binary = await dump('spans_binary');
    expect(binary).toContain('last wins');
    expect(binary.split('\n').filter(Boolean)).toHaveLength(2);
    expect(binary).toBe(await dump('spans_json'));

    // A lone surrogate (OTLP/JSON can carry one) fails a JSONEachRow parse; RowBinary stores U+FFFD.
    const lone = traceBatch({
      projectId: 'p2',
      request: request([span({ traceId: '9'.repeat(32), name: 'x\ud800' })]),
    });
    await clickhouseExporter(
      store,
      settings,
      clickhouseExporterConfig.parse({ table: 'spans_binary' }),
    ).consume(lone);
    expect(await dump('spans_binary')).toContain('"SpanName":"x\ufffd"');
  });

  it('does not duplicate rows when a batch is retried with the same deduplication token', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const traceId = 'c'.repeat(32);
    const batch = traceBatch({
      projectId: 'p1',
      request: request([span({ traceId }), span({ traceId, spanId: '2'.repeat(16) })]),
      meta: { dedupToken: 'otlp_spans-0-100-101' },
    });
    await exporter.consume(batch);
    await exporter.consume(batch);
    expect(await count(traceId)).toBe(2);
    const lookup = await store.client.query({
      query: `SELECT count() AS n FROM ${store.database}.trace_job_usage WHERE TraceId = {traceId:String}`,
      query_params: { traceId },
      format: 'JSONEachRow',
    });
    expect(Number((await lookup.json<{ n: string }>())[0]!.n)).toBe(1);
  });

  it('pushes an embedded INSERT into its views in parallel, each view filled', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const [one, two] = ['5a'.repeat(16), '5b'.repeat(16)];
    await exporter.consume(
      traceBatch({
        projectId: 'p1',
        request: request([
          span({ traceId: one, spanId: '1'.repeat(16), name: 'parallel-views' }),
          span({
            traceId: one,
            spanId: '2'.repeat(16),
            parentSpanId: '1'.repeat(16),
            name: 'parallel-views',
          }),
          span({ traceId: two, spanId: '3'.repeat(16), name: 'parallel-views' }),
        ]),
      }),
    );
    const rows = async (query: string) =>
      (
        await store.client.query({
          query,
          query_params: { db: store.database, one, two },
          format: 'JSONEachRow',
        })
      ).json<Record<string, string | number | boolean>>();
    // chdb/connection SETs per-call settings on its session, so the exporter's INSERT left it on
    // there; a server keeps its default (views one after another).
    expect(await rows(`SELECT toUInt8(getSetting('parallel_view_processing')) AS on`)).toEqual([
      { on: store.embedded ? 1 : 0 },
    ]);
    const perTrace = (table: string) =>
      rows(
        `SELECT TraceId, sum(spans) AS spans FROM {db:Identifier}.${table}
         WHERE TraceId IN ({one:String}, {two:String}) GROUP BY TraceId ORDER BY TraceId`,
      );
    const expected = [
      { TraceId: one, spans: '2' },
      { TraceId: two, spans: '1' },
    ];
    expect(await perTrace('trace_search')).toEqual(expected);
    expect(await perTrace('trace_job_usage')).toEqual(expected);
    expect(
      await rows(
        `SELECT sum(spans) AS spans FROM {db:Identifier}.span_metrics_hourly WHERE SpanName = 'parallel-views'`,
      ),
    ).toEqual([{ spans: '3' }]);
  });

  it("does not let one insert's deduplication token leak into the next insert without one", async () => {
    // chdb/connection turns per-call settings into SETs on its session; a leaked token would
    // make the second token-less batch below look like a repeat of the first and drop it.
    await store.client.command({
      query: `CREATE TABLE IF NOT EXISTS ${store.database}.token_probe (k String) ENGINE = MergeTree ORDER BY k`,
    });
    await store.client.insert({
      table: `${store.database}.token_probe`,
      values: [{ k: 'x' }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: 'some-other-write' },
    });
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const first = 'd'.repeat(32);
    const second = 'e'.repeat(32);
    await exporter.consume(traceBatch({ projectId: 'p1', request: request([span({ traceId: first })]) }));
    await exporter.consume(traceBatch({ projectId: 'p1', request: request([span({ traceId: second })]) }));
    expect(await count(first)).toBe(1);
    expect(await count(second)).toBe(1);
  });

  it('reads a span stored twice under different tokens (a sender retry) once', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const traceId = 'd'.repeat(32);
    const spans = [span({ traceId }), span({ traceId, spanId: '3'.repeat(16) })];
    for (const token of ['otlp_spans/0/1-1/p1', 'otlp_spans/0/7-7/p1']) {
      await exporter.consume(
        traceBatch({ projectId: 'p1', request: request(spans), meta: { dedupToken: token } }),
      );
    }
    expect((await readTrace(store, 'p1', traceId)).map((s) => s.spanId).sort()).toEqual([
      '1'.repeat(16),
      '3'.repeat(16),
    ]);
    // Merges collapse the copies for good (ReplacingMergeTree on ... TraceId, SpanId).
    await store.client.command({ query: `OPTIMIZE TABLE ${store.database}.spans FINAL` });
    expect(await count(traceId)).toBe(2);
  });

  it('reads a trace without having the engine compile code for it', async () => {
    // The engine compiles an aggregate the fourth time it sees it, inside that query (~40 ms
    // once at 10 M spans, the slowest trace read after a start): point reads opt out.
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const traceId = '9'.repeat(32);
    await exporter.consume(traceBatch({ projectId: 'p1', request: request([span({ traceId })]) }));
    const before = await compiledFunctions(store);
    for (let i = 0; i < 6; i++) expect(await readTrace(store, 'p1', traceId)).toHaveLength(1);
    expect(await compiledFunctions(store)).toBe(before);
  });

  it('reads a span twice in one batch once (inserts do not collapse copies, reads do)', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const traceId = '6'.repeat(32);
    await exporter.consume(
      traceBatch({ projectId: 'p1', request: request([span({ traceId }), span({ traceId })]) }),
    );
    expect(await count(traceId)).toBe(2);
    expect((await readTrace(store, 'p1', traceId)).map((s) => s.spanId)).toEqual(['1'.repeat(16)]);
  });

  it('with fsync on, sets fsync_after_insert on every MergeTree table and syncs the parts an insert writes; off clears it', async () => {
    const fileSyncs = async () => {
      const result = await store.client.query({
        query: "SELECT sum(value) AS n FROM system.events WHERE event = 'FileSync'",
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ n: string }>())[0]!.n);
    };
    const fsyncSettings = async () => {
      const result = await store.client.query({
        query: `SELECT name, create_table_query AS ddl FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree'`,
        query_params: { db: 'llmp' },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ name: string; ddl: string }>();
      return new Set(rows.map((r) => /fsync_after_insert = (\d)/.exec(r.ddl)?.[1] ?? 'unset'));
    };
    const synced = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: true }));
    await synced.start();
    expect(await fsyncSettings()).toEqual(new Set(['1']));
    const before = await fileSyncs();
    await synced.consume(
      traceBatch({
        projectId: 'p1',
        request: request([span({ traceId: 'f'.repeat(32), spanId: 'f'.repeat(16) })]),
      }),
    );
    expect(await fileSyncs()).toBeGreaterThan(before);
    await synced.shutdown();

    const unsynced = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    await unsynced.start();
    expect(await fsyncSettings()).toEqual(new Set(['0']));
    await unsynced.shutdown();
  });

  it('on the embedded store, writes the skip indexes of a small part as one packed file and reads through them', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    await exporter.start();
    const traceId = '7'.repeat(32);
    await exporter.consume(
      traceBatch({
        projectId: 'p1',
        request: request([span({ traceId, attributes: [stringAttr('packed.key', 'packed-value')] })]),
      }),
    );
    const parts = await store.client.query({
      query: `SELECT path FROM system.parts WHERE database = {db:String} AND table = 'spans' AND active
        AND name IN (SELECT _part FROM llmp.spans WHERE TraceId = {traceId:String})`,
      query_params: { db: store.database, traceId },
      format: 'JSONEachRow',
    });
    const [part] = await parts.json<{ path: string }>();
    const files = readdirSync(part!.path);
    expect(files).toContain('skp_idx.packed');
    expect(files.filter((f) => f.startsWith('skp_idx_'))).toEqual([]);
    // The index is read from the packed file: the query fails if it cannot use it.
    const found = await store.client.query({
      query: `SELECT count() AS n FROM llmp.spans WHERE has(mapValues(SpanAttributes), 'packed-value')
        SETTINGS force_data_skipping_indices = 'idx_span_attr_value'`,
      format: 'JSONEachRow',
    });
    expect(await found.json()).toEqual([{ n: '1' }]);
    await exporter.shutdown();
  });

  it('stages span inserts in reused scratch files, emptied after each insert', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    const scratch = () =>
      readdirSync(store.scratchDir!).map((name) => ({
        name,
        bytes: statSync(join(store.scratchDir!, name)).size,
      }));
    await exporter.consume(
      traceBatch({ projectId: 'p1', request: request([span({ traceId: '5'.repeat(32) })]) }),
    );
    // Earlier tests' inserts (some at once) left their files; none holds a payload.
    const first = scratch();
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((f) => f.name.endsWith('.rowbinary') && f.bytes === 0)).toBe(true);
    await exporter.consume(
      traceBatch({ projectId: 'p1', request: request([span({ traceId: '4'.repeat(32) })]) }),
    );
    expect(scratch()).toEqual(first);
    expect(await count('4'.repeat(32))).toBe(1);
  });

  it('refuses data after shutdown with a retryable error', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({ fsync: false }));
    await exporter.shutdown();
    await exporter.shutdown();
    await expect(
      exporter.consume(traceBatch({ projectId: 'p1', request: request([span({})]) })),
    ).rejects.toMatchObject({
      kind: 'retryable',
    });
  });
});
