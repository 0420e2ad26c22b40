import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  mlflowSyncTable,
  readTraceRequest,
} from '@llmp/clickhouse';
import { type Span, type TraceRequest, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('mlflow-sync-store');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const str = stringAttr;

const span = (overrides: Partial<Span>): Span =>
  testSpan({
    traceId: 'c'.repeat(32),
    spanId: '1'.repeat(16),
    traceState: 'k=v',
    flags: 1,
    name: 'root',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_001n,
    endTimeUnixNano: 1_700_000_000_500_000_000n,
    ...overrides,
  });

describe('readTraceRequest', () => {
  it('gives back the OTLP request a trace was stored from: resources, scopes, typed values, events, links', async () => {
    const traceId = 'c'.repeat(32);
    const sent: TraceRequest = {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'svc-a')], droppedAttributesCount: 0 },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeSpans: [
            {
              scope: {
                name: 'scope-1',
                version: '2.0',
                attributes: [str('s', 'x')],
                droppedAttributesCount: 0,
              },
              schemaUrl: '',
              spans: [
                span({
                  attributes: [
                    str('llmp.job.id', 'job-1'),
                    { key: 'n', value: { type: 'int', value: 9_007_199_254_740_993n } },
                    { key: 'd', value: { type: 'double', value: 1.5 } },
                    { key: 'b', value: { type: 'bool', value: true } },
                    { key: 'raw', value: { type: 'bytes', value: new Uint8Array([1, 2, 255]) } },
                    {
                      key: 'list',
                      value: {
                        type: 'array',
                        value: [
                          { type: 'string', value: 'a' },
                          { type: 'int', value: 2n },
                        ],
                      },
                    },
                  ],
                  events: [
                    {
                      timeUnixNano: 1_700_000_000_100_000_000n,
                      name: 'ev',
                      attributes: [str('e', '1')],
                      droppedAttributesCount: 0,
                    },
                  ],
                  links: [
                    {
                      traceId: 'd'.repeat(32),
                      spanId: '2'.repeat(16),
                      traceState: '',
                      attributes: [str('l', '1')],
                      droppedAttributesCount: 0,
                      flags: 0,
                    },
                  ],
                  status: { code: 2, message: 'boom' },
                }),
              ],
            },
          ],
        },
        {
          resource: { attributes: [str('service.name', 'svc-b')], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeSpans: [
            {
              scope: { name: 'scope-2', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              spans: [
                span({
                  spanId: '3'.repeat(16),
                  parentSpanId: '1'.repeat(16),
                  name: 'child',
                  kind: 3,
                  startTimeUnixNano: 1_700_000_000_200_000_000n,
                  endTimeUnixNano: 1_700_000_000_300_000_000n,
                  traceState: '',
                  status: { code: 1, message: '' },
                }),
              ],
            },
          ],
        },
      ],
    };
    const exporter = clickhouseExporter(
      store,
      { id: 'clickhouse', logger: pino({ level: 'silent' }) },
      clickhouseExporterConfig.parse({ fsync: false }),
    );
    await exporter.consume(traceBatch({ projectId: 'p1', request: sent }));
    expect(await readTraceRequest(store, 'p1', traceId)).toEqual(sent);
    expect(await readTraceRequest(store, 'p2', traceId)).toBeUndefined();
    expect(await readTraceRequest(store, 'p1', 'e'.repeat(32))).toBeUndefined();
  });

  it('refuses a trace past its bound (a permanent, tooLarge error) instead of reading it whole', async () => {
    const traceId = 'd'.repeat(32);
    const spans = Array.from({ length: 12 }, (_, i) =>
      span({
        traceId,
        spanId: (i + 1).toString(16).padStart(16, '0'),
        startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
      }),
    );
    const exporter = clickhouseExporter(
      store,
      { id: 'clickhouse', logger: pino({ level: 'silent' }) },
      clickhouseExporterConfig.parse({ fsync: false }),
    );
    await exporter.consume(traceBatch({ projectId: 'p1', request: testRequest(spans) }));
    await expect(readTraceRequest(store, 'p1', traceId, { maxSpans: 11 })).rejects.toMatchObject({
      kind: 'permanent',
      tooLarge: true,
    });
    const whole = await readTraceRequest(store, 'p1', traceId, { maxSpans: 12 });
    expect(whole?.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.spanId)).toEqual(
      spans.map((s) => s.spanId),
    );
  });
});

describe('mlflowSyncTable', () => {
  const row = (traceId: string, state: 'pending' | 'uploaded' | 'deleted' | 'failed', updatedAt: string) => ({
    projectId: 'p1',
    traceId,
    operation: state === 'deleted' ? ('delete' as const) : ('upload' as const),
    state,
    reason: '',
    experimentId: state === 'uploaded' ? '7' : '',
    attempts: 1,
    updatedAt,
  });

  it('reads the latest state of a trace, whatever the order rows were inserted in', async () => {
    const table = mlflowSyncTable(store);
    const t = '1'.repeat(32);
    await table.insert([row(t, 'uploaded', '2026-01-01T00:00:00.000002Z')]);
    await table.insert([row(t, 'pending', '2026-01-01T00:00:00.000001Z')]);
    expect(await table.read('p1', t.toUpperCase())).toEqual(
      row(t, 'uploaded', '2026-01-01T00:00:00.000002Z'),
    );
    expect(await table.read('p2', t)).toBeUndefined();
  });

  it('lists traces whose latest state is pending, changed before a time, page by page in key order', async () => {
    const table = mlflowSyncTable(store);
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5'].map((p) => p.padEnd(32, '0'));
    await table.insert([
      row(ids[0]!, 'pending', '2026-02-01T00:00:00.000000Z'),
      row(ids[1]!, 'pending', '2026-02-01T00:00:00.000000Z'),
      row(ids[1]!, 'uploaded', '2026-02-01T00:00:01.000000Z'), // done since
      { ...row(ids[2]!, 'pending', '2026-02-01T00:00:00.000000Z'), operation: 'delete' as const },
      row(ids[3]!, 'pending', '2026-02-02T00:00:00.000000Z'), // after `before`: this run's own
      row(ids[4]!, 'pending', '2026-02-01T00:00:00.000000Z'),
    ]);
    const query = {
      operations: ['upload' as const, 'delete' as const],
      before: '2026-02-01T12:00:00.000000Z',
    };
    const first = await table.pending({ ...query, limit: 2 });
    expect(first.map((r) => [r.traceId, r.operation])).toEqual([
      [ids[0], 'upload'],
      [ids[2], 'delete'],
    ]);
    const second = await table.pending({ ...query, limit: 2, after: first[1] });
    expect(second.map((r) => r.traceId)).toEqual([ids[4]]);
    const deletions = await table.pending({ ...query, operations: ['delete'], limit: 10 });
    expect(deletions.map((r) => r.traceId)).toEqual([ids[2]]);
  });
});
