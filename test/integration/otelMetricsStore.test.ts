import { type ClickHouseStore, clickhouseMetricsWriter, metricTables, migrate } from '@llmp/clickhouse';
import { decodeJsonMetricsRequest, type MetricBatch, screenMetricsRequest } from '@llmp/otlp';
import { jsonMetricsFixture } from '@llmp/otlp/testing';
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
