import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  openStore,
  spanRows,
} from '@llmp/clickhouse';
import { type Span, type TraceRequest, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';

// The embedded store alone: a server keeps its views on spans (migration 31 is embedded-only).
const dir = tempDir('derive');
let store: ClickHouseStore;
const settings = { id: 'clickhouse', logger: pino({ level: 'silent' }) };

beforeAll(async () => {
  store = await openStore({ dataDir: dir.path });
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const views = [
  'genai_scores_spans_mv',
  'span_metrics_hourly_mv',
  'trace_job_usage_mv',
  'trace_jobs_mv',
  'trace_search_mv',
];

const request = (traceId: string, name: string, count: number): TraceRequest =>
  testRequest(
    Array.from(
      { length: count },
      (_, i): Span =>
        testSpan({
          traceId,
          spanId: (i + 1).toString(16).padStart(16, '0'),
          name,
          startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
          endTimeUnixNano: 1_700_000_000_500_000_000n + BigInt(i) * 1_000_000n,
          attributes: [stringAttr('llmp.job.id', `job-${name}`)],
        }),
    ),
    { resource: [stringAttr('service.name', 'derive-test')], scopeName: 'x' },
  );

async function rows<T>(query: string, params: Record<string, string> = {}): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** What each table holds of the spans named `name`: spans stored, and as each derived table counts them. */
async function counted(name: string) {
  const one = async (query: string) => Number((await rows<{ n: string }>(query, { name }))[0]!.n);
  return {
    spans: await one('SELECT count() AS n FROM llmp.spans WHERE SpanName = {name:String}'),
    trace_search: await one(
      'SELECT sum(spans) AS n FROM llmp.trace_search WHERE TraceId IN (SELECT TraceId FROM llmp.spans WHERE SpanName = {name:String})',
    ),
    trace_job_usage: await one(
      `SELECT sum(spans) AS n FROM llmp.trace_job_usage WHERE job_id = 'job-' || {name:String}`,
    ),
    span_metrics_hourly: await one(
      'SELECT sum(spans) AS n FROM llmp.span_metrics_hourly WHERE SpanName = {name:String}',
    ),
    trace_jobs: await one(`SELECT count() AS n FROM llmp.trace_jobs WHERE job_id = 'job-' || {name:String}`),
  };
}

describe('migration 31 on the embedded store', () => {
  it('records version 31 and moves the five views of spans onto the Null table spans_derive', async () => {
    expect(await rows('SELECT version FROM llmp.schema_migrations WHERE version = 31')).toEqual([
      { version: 31 },
    ]);
    expect(
      await rows("SELECT engine FROM system.tables WHERE database = 'llmp' AND name = 'spans_derive'"),
    ).toEqual([{ engine: 'Null' }]);
    const triggered = await rows<{ name: string; dependencies_table: string[] }>(
      "SELECT name, dependencies_table FROM system.tables WHERE database = 'llmp' AND name IN ('spans', 'spans_derive') ORDER BY name",
    );
    expect(triggered.map((t) => ({ ...t, dependencies_table: [...t.dependencies_table].sort() }))).toEqual([
      { name: 'spans', dependencies_table: [] },
      { name: 'spans_derive', dependencies_table: views },
    ]);
    // The same columns as spans: a payload of spans is a payload of spans_derive.
    const columns = (table: string) =>
      rows(
        "SELECT name, type FROM system.columns WHERE database = 'llmp' AND table = {table:String} ORDER BY position",
        { table },
      );
    expect(await columns('spans_derive')).toEqual(await columns('spans'));
  });

  it('fills the derived tables from an INSERT into spans_derive, not from one into spans', async () => {
    const values = spanRows('p1', request('b'.repeat(32), 'direct', 3), () => undefined);
    await store.client.insert({ table: 'llmp.spans', values, format: 'JSONEachRow' });
    expect(await counted('direct')).toEqual({
      spans: 3,
      trace_search: 0,
      trace_job_usage: 0,
      span_metrics_hourly: 0,
      trace_jobs: 0,
    });
    await store.client.insert({ table: 'llmp.spans_derive', values, format: 'JSONEachRow' });
    expect(await counted('direct')).toEqual({
      spans: 3,
      trace_search: 3,
      trace_job_usage: 3,
      span_metrics_hourly: 3,
      trace_jobs: 1,
    });
  });

  it('has the exporter fill spans and the derived tables, a retried batch counted once', async () => {
    const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({}));
    const batch = traceBatch({
      projectId: 'p1',
      request: request('c'.repeat(32), 'exported', 4),
      meta: { dedupToken: 'otlp_spans-0-7-8' },
    });
    await exporter.consume(batch);
    await exporter.consume(batch);
    expect(await counted('exported')).toEqual({
      spans: 4,
      trace_search: 4,
      trace_job_usage: 4,
      span_metrics_hourly: 4,
      trace_jobs: 1,
    });
    // A new token is a new batch: stored and derived again (the check can fail).
    await exporter.consume({ ...batch, meta: { ...batch.meta, dedupToken: 'otlp_spans-0-8-9' } });
    expect(await counted('exported')).toMatchObject({ spans: 8, trace_search: 8, span_metrics_hourly: 8 });
  });
});
