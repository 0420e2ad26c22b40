import {
  type ClickHouseStore,
  clickhouseMetricsWriter,
  metricTables,
  migrate,
  type StoredMetricPoint,
  storeTraceSource,
} from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { decodeJsonMetricsRequest, type MetricBatch, screenMetricsRequest } from '@llmp/otlp';
import { jsonMetricsFixture } from '@llmp/otlp/testing';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('otel-metrics');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

function batchOf(projectId: string, points = 2): MetricBatch {
  const fixture = jsonMetricsFixture({ points });
  fixture.resourceMetrics[0]!.scopeMetrics[0]!.metrics[2]!.histogram!.dataPoints[0]!.sum = 'NaN' as never;
  const screening = screenMetricsRequest(decodeJsonMetricsRequest(JSON.stringify(fixture)));
  return { projectId, request: screening.accepted, dataPointCount: screening.acceptedDataPoints };
}

async function rowsOf(table: string, projectId: string): Promise<Record<string, unknown>[]> {
  const result = await store.client.query({
    query: `SELECT * FROM ${store.database}.${table} WHERE project_id = {projectId:String} ORDER BY TimeUnix, toString(Attributes)`,
    query_params: { projectId },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_denormals: 1 },
  });
  return result.json();
}

describe('otel_metrics_* on the embedded engine (migration 13)', () => {
  it('stores every metric type in its table with the columns the Collector exporter has', async () => {
    await clickhouseMetricsWriter(store).consume(batchOf('stored'));
    for (const table of Object.values(metricTables)) expect(await rowsOf(table, 'stored')).toHaveLength(2);
    const [sum] = await rowsOf('otel_metrics_sum', 'stored');
    expect(sum).toMatchObject({
      ServiceName: 'chat',
      MetricName: 'requests',
      Value: 10,
      AggregationTemporality: 2,
      IsMonotonic: true,
      'Exemplars.TraceId': ['5b8efff798038103d269b633813fc60c'],
      'Exemplars.TimeUnix': ['2023-11-14 22:13:50.000000000'],
      job_id: 'point-job',
      TimeUnix: '2023-11-14 22:14:20.000000000',
    });
    const [histogram] = await rowsOf('otel_metrics_histogram', 'stored');
    expect(histogram).toMatchObject({
      Count: '3',
      Sum: 'nan',
      BucketCounts: ['1', '2', '0'],
      ExplicitBounds: [0.5, 1],
      Min: 0.25,
      Max: 0.75,
    });
    const [exponential] = await rowsOf('otel_metrics_exponential_histogram', 'stored');
    expect(exponential).toMatchObject({
      Scale: 3,
      ZeroCount: '1',
      PositiveOffset: -2,
      PositiveBucketCounts: ['2', '3'],
    });
    const [summary] = await rowsOf('otel_metrics_summary', 'stored');
    expect(summary).toMatchObject({
      'ValueAtQuantiles.Quantile': [0, 0.5, 1],
      'ValueAtQuantiles.Value': [1, 2, 5],
    });
  });

  it('stores a retried write once, also when it is split into several inserts', async () => {
    const writer = clickhouseMetricsWriter(store, { maxRowsPerInsert: 3 });
    const batch = batchOf('retried', 7);
    await writer.write([batch]);
    await writer.write([batch]);
    const tokened = batchOf('tokened', 2);
    await writer.write([tokened], { dedupToken: 'otlp_metrics:0:10-12' });
    await writer.write([tokened], { dedupToken: 'otlp_metrics:0:10-12' });
    for (const table of Object.values(metricTables)) {
      expect(await rowsOf(table, 'retried')).toHaveLength(7);
      expect(await rowsOf(table, 'tokened')).toHaveLength(2);
    }
  });
});

describe('GET /v1/otel-metrics and /v1/jobs/{id}/otel-metrics on the embedded engine', () => {
  const range = 'from=2023-11-14T00:00:00Z&to=2023-11-15T00:00:00Z';
  type Page = { items: StoredMetricPoint[]; next_cursor: string | null };
  let app: ReturnType<typeof queryApp>;
  const get = async (path: string): Promise<Page> => {
    const res = await app.request(path);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };

  beforeAll(async () => {
    app = queryApp({ source: storeTraceSource(store), jobs: jobStore(store), projectOf: () => 'read' });
    await clickhouseMetricsWriter(store).consume(batchOf('read', 3));
  });

  it('answers each metric type with its own fields', async () => {
    const { items } = await get(`/v1/otel-metrics?${range}&limit=500`);
    expect(items).toHaveLength(15);
    const byType = (type: string) => items.find((p) => p.type === type)!;
    expect(byType('sum')).toMatchObject({
      name: 'requests',
      serviceName: 'chat',
      value: expect.any(Number),
      aggregationTemporality: 'cumulative',
      isMonotonic: true,
      jobId: 'point-job',
      time: '2023-11-14T22:14:20.000000000Z',
      exemplars: [
        { value: 3, traceId: '5b8efff798038103d269b633813fc60c', filteredAttributes: { user: 'u1' } },
      ],
    });
    expect(byType('histogram')).toMatchObject({
      name: 'gen_ai.client.operation.duration',
      count: 3,
      bucketCounts: [1, 2, 0],
      explicitBounds: [0.5, 1],
      aggregationTemporality: 'delta',
    });
    expect(byType('exponentialHistogram')).toMatchObject({
      scale: 3,
      zeroCount: 1,
      positive: { offset: -2, bucketCounts: [2, 3] },
      negative: { offset: 1, bucketCounts: [] },
    });
    expect(byType('summary')).toMatchObject({
      count: 4,
      quantiles: [
        { quantile: 0, value: 1 },
        { quantile: 0.5, value: 2 },
        { quantile: 1, value: 5 },
      ],
    });
    expect(byType('gauge')).toMatchObject({ value: 2.5, jobId: 'resource-job' });
  });

  it('filters by name, type, service, attribute and job, and per job', async () => {
    const named = await get(`/v1/otel-metrics?${range}&name=gen_ai.client.operation.duration`);
    expect(named.items.map((p) => p.type)).toEqual(['histogram', 'histogram', 'histogram']);
    expect((await get(`/v1/otel-metrics?${range}&type=summary`)).items).toHaveLength(3);
    expect((await get(`/v1/otel-metrics?${range}&service=other`)).items).toHaveLength(0);
    const attribute = await get(`/v1/otel-metrics?${range}&attribute=${encodeURIComponent('route=/r1')}`);
    expect(attribute.items.map((p) => p.attributes.route)).toEqual(['/r1']);
    const both = await get(
      `/v1/otel-metrics?${range}&attribute=${encodeURIComponent('route=/r1')}&attribute=${encodeURIComponent('llmp.job.id=nope')}`,
    );
    expect(both.items).toHaveLength(0);
    expect((await get(`/v1/otel-metrics?${range}&jobId=point-job`)).items).toHaveLength(3);
    const perJob = await get(`/v1/jobs/resource-job/otel-metrics?${range}&limit=500`);
    expect(perJob.items).toHaveLength(12);
    expect(new Set(perJob.items.map((p) => p.jobId))).toEqual(new Set(['resource-job']));
  });

  it('pages through every point once, across the tables', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await get(
        `/v1/otel-metrics?${range}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((p) => `${p.type}:${p.name}:${JSON.stringify(p.attributes)}`));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(15);
    expect(new Set(seen).size).toBe(15);
  });

  it('documents both routes in /openapi.json under the otel-metrics tag', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, { get: { tags: string[]; parameters: Array<{ name: string }> } }>;
    };
    expect(document.paths['/v1/otel-metrics']!.get.tags).toEqual(['otel-metrics']);
    expect(document.paths['/v1/otel-metrics']!.get.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'name',
        'type',
        'service',
        'jobId',
        'attribute',
        'from',
        'to',
        'limit',
        'cursor',
      ]),
    );
    expect(document.paths['/v1/jobs/{id}/otel-metrics']!.get.tags).toEqual(['jobs']);
  });

  it('refuses a misspelt filter and a bad attribute with 400 problem+json', async () => {
    const misspelt = await app.request(`/v1/otel-metrics?nmae=x`);
    expect(misspelt.status).toBe(400);
    expect(misspelt.headers.get('content-type')).toContain('application/problem+json');
    expect((await app.request(`/v1/otel-metrics?attribute=novalue`)).status).toBe(400);
  });
});
