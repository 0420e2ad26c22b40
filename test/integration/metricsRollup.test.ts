import {
  type ClickHouseStore,
  deleteTrace,
  type MetricDimension,
  type MetricsRequest,
  type MetricsRow,
  migrate,
  migrations,
  QueryParams,
  type SpanFilter,
  spanFilterSql,
  spanMetrics,
  storeTraceSource,
} from '@llmp/clickhouse';
import { type JobMetrics, jobMetrics } from '@llmp/jobs';
import { traceBatch } from '@llmp/otlp';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genAiIngest } from '../support/genAiIngest.ts';
import { insertSpans } from '../support/insertSpans.ts';
import { dataSetRequests, dataSetStartMs, searchDataSet } from '../support/searchDataSet.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const ms = 1_000_000n;
const hour = 3_600_000n * ms;
const start = BigInt(dataSetStartMs) * ms;
// 300 traces, one every 2 minutes: 10 hours of spans from 2025-06-02T00:00Z.
const data = searchDataSet(300);
const dimensions: MetricDimension[] = [
  'job',
  'jobVersion',
  'model',
  'provider',
  'service',
  'spanName',
  'spanType',
];

/** Spans the data set lacks: a response model only, embedding, cache and reasoning tokens, a sent cost, no span type. */
function extraRows(projectId: string) {
  const row = (i: number, columns: Record<string, unknown>) => ({
    project_id: projectId,
    Timestamp: new Date(dataSetStartMs + 3_000_000 + i * 1_500_000)
      .toISOString()
      .replace('T', ' ')
      .replace('Z', ''),
    TraceId: (0xe0000 + i).toString(16).padStart(32, '0'),
    SpanId: (0xe0000 + i).toString(16).padStart(16, '0'),
    ServiceName: 'svc-extra',
    SpanName: 'extra',
    Duration: 1_000_000 * (i + 1),
    StatusCode: i % 3 === 0 ? 'Error' : 'Ok',
    ...columns,
  });
  // A trace whose job only its root names, stored last: its children (in other hours) are the
  // job's through trace_jobs, which the rollup does not know.
  const linked = (i: number, columns: Record<string, unknown>) => ({
    ...row(i, columns),
    TraceId: 'f'.repeat(32),
    SpanName: 'linked',
  });
  const rootOnly = [
    linked(13, { span_type: 'llm', gen_ai_request_model: 'o3', gen_ai_input_tokens: 11 }),
    linked(17, { span_type: 'llm', gen_ai_request_model: 'o3', gen_ai_input_tokens: 13 }),
    linked(21, { span_type: 'tool' }),
    linked(12, { span_type: 'agent', job_id: 'job-x', job_version: '4' }),
  ];
  return [
    ...Array.from({ length: 12 }, (_, i) =>
      row(
        i,
        [
          {
            span_type: 'llm',
            gen_ai_response_model: 'gpt-4o-2024-08-06',
            gen_ai_input_tokens: 7,
            gen_ai_cost_usd: 0.125,
          },
          {
            span_type: 'embedding',
            gen_ai_request_model: 'text-embedding-3-small',
            gen_ai_input_tokens: 50,
            gen_ai_cost_usd: 0.5,
          },
          {
            span_type: 'llm',
            gen_ai_request_model: 'o3',
            gen_ai_cache_read_tokens: 40,
            gen_ai_cache_write_tokens: 9,
            gen_ai_reasoning_tokens: 300,
          },
          { span_type: '', job_id: 'job-x', job_version: '3' },
        ][i % 4]!,
      ),
    ),
    ...rootOnly,
  ];
}

async function fill(store: ClickHouseStore, projectId: string) {
  const genai = genAiIngest(store);
  for (const request of dataSetRequests(data)) await genai.consume(traceBatch({ projectId, request }));
  await insertSpans(store, extraRows(projectId));
}

const whole = { fromNs: start, toNs: start + 24n * hour };
// Partial hours at both ends: read from spans and merged into the rollup's states.
const ragged = { fromNs: start + 17n * 60_000n * ms + 123n, toNs: start + 9n * hour + 41n * 60_000n * ms };

/** The answer from the rollup and from spans alone agree (expectSameMetrics). */
async function expectRollupAgrees(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  request: Omit<MetricsRequest, 'limit'>,
) {
  const rollup = await spanMetrics(store, projectId, filter, { ...request, limit: 10_000 });
  const raw = await spanMetrics(store, projectId, filter, { ...request, limit: 10_000, rollup: false });
  expect([rollup.source, raw.source]).toEqual(['rollup', 'spans']);
  expectSameMetrics(rollup.rows, raw.rows, await durationsByGroup(store, projectId, filter, request));
}

const keyOf = (r: MetricsRow) => JSON.stringify([r.time, r.group]);

interface StoredDuration {
  ns: string;
  Duration: string;
  job: string;
  jobVersion: string;
  model: string;
  provider: string;
  service: string;
  spanName: string;
  spanType: string;
}

/** The durations of each group of a request, read one by one from spans FINAL. */
async function durationsByGroup(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  { groupBy, stepSeconds }: Omit<MetricsRequest, 'limit'>,
): Promise<Map<string, number[]>> {
  const params = new QueryParams();
  const where = spanFilterSql(projectId, filter, params, { database: store.database }).join(' AND ');
  const result = await store.client.query({
    // A span's job: its own, else its trace's first link.
    query: `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, Duration,
        if(job_id != '', job_id, link_job) AS job, if(job_id != '', job_version, link_version) AS jobVersion,
        if(gen_ai_request_model != '', gen_ai_request_model, gen_ai_response_model) AS model,
        gen_ai_provider AS provider, ServiceName AS service, SpanName AS spanName,
        if(span_type = '', 'other', span_type) AS spanType
      FROM ${store.database}.spans FINAL LEFT ANY JOIN (
        SELECT TraceId, argMin(job_id, Start) AS link_job, argMin(job_version, Start) AS link_version
        FROM ${store.database}.trace_jobs WHERE project_id = ${params.bind('String', projectId)} GROUP BY TraceId
      ) AS l USING (TraceId)
      WHERE ${where}`,
    query_params: params.values,
    format: 'JSONEachRow',
  });
  const groups = new Map<string, number[]>();
  for (const row of await result.json<StoredDuration>()) {
    const step = BigInt(stepSeconds ?? 0) * 1_000_000_000n;
    const time = stepSeconds
      ? new Date(Number(((BigInt(row.ns) / step) * step) / ms))
          .toISOString()
          .replace(/\.000Z$/, '.000000000Z')
      : undefined;
    const key = JSON.stringify([time, Object.fromEntries(groupBy.map((d) => [d, row[d]]))]);
    groups.set(key, [...(groups.get(key) ?? []), Number(row.Duration)]);
  }
  return groups;
}

/**
 * Same groups, counts, errors and tokens exactly, cost to 1e-9; each quantile of the rollup
 * within the stored durations of its group ranked one position or 1 % of the group around it
 * (a t-digest estimate; the raw read interpolates a reservoir sample, exact below 8192 values).
 */
function expectSameMetrics(rollup: MetricsRow[], raw: MetricsRow[], durations: Map<string, number[]>) {
  expect(rollup.map(keyOf)).toEqual(raw.map(keyOf));
  expect(raw.length).toBeGreaterThan(0);
  rollup.forEach((r, i) => {
    const { durationNs, costUsd, ...exact } = r;
    const { durationNs: _, costUsd: rawCost, ...rawExact } = raw[i]!;
    expect(exact).toEqual(rawExact);
    expect(costUsd).toBeCloseTo(rawCost, 9);
    const sorted = durations.get(keyOf(r))!.sort((a, b) => a - b);
    expect(sorted.length).toBe(r.count);
    const slack = Math.max(1, Math.ceil(0.01 * sorted.length));
    for (const [q, key] of [
      [0.5, 'p50'],
      [0.9, 'p90'],
      [0.99, 'p99'],
    ] as const) {
      const pos = q * (sorted.length - 1);
      const low = sorted[Math.max(0, Math.floor(pos) - slack)]!;
      const high = sorted[Math.min(sorted.length - 1, Math.ceil(pos) + slack)]!;
      // t-digest keeps Float32 means: a relative 1e-6 for the rounding.
      expect(durationNs[key]).toBeGreaterThanOrEqual(low * (1 - 1e-6));
      expect(durationNs[key]).toBeLessThanOrEqual(high * (1 + 1e-6));
    }
  });
}

/** GET /v1/jobs/{id}/metrics of job-x, whole and per version: trace_job_usage as spans FINAL. */
async function expectJobMetricsAgree(store: ClickHouseStore, projectId: string) {
  for (const byVersion of [false, true]) {
    const summary = await jobMetrics(store, projectId, 'job-x', { byVersion });
    const spans = await jobMetrics(store, projectId, 'job-x', { byVersion, fromSpans: true });
    expect(summary.runs).toBeGreaterThan(0);
    const withoutCost = (m: JobMetrics) =>
      JSON.parse(JSON.stringify(m, (k, v) => (k === 'cost_usd' ? 0 : v)));
    expect(withoutCost(summary)).toEqual(withoutCost(spans));
    expect(summary.cost_usd).toBeCloseTo(spans.cost_usd!, 9);
  }
}

describe('GET /v1/metrics from the hourly rollup', () => {
  const dir = tempDir('rollup');
  let store: ClickHouseStore;

  beforeAll(async () => {
    store = await openTestStore(dir.path);
    await migrate(store);
    await fill(store, 'p1');
    await fill(store, 'other');
  });

  afterAll(async () => {
    await store?.close();
    dir.remove();
  });

  for (const range of [whole, ragged]) {
    const name = range === whole ? 'whole hours' : 'ragged ends';
    for (const groupBy of [...dimensions.map((d) => [d]), ['service', 'model'], []] as MetricDimension[][]) {
      for (const stepSeconds of [undefined, 3600, 21_600]) {
        it(`${name}, by ${groupBy.join('+') || 'nothing'}${stepSeconds ? ` per ${stepSeconds} s` : ''}: as from spans`, async () => {
          await expectRollupAgrees(store, 'p1', range, { groupBy, stepSeconds });
        });
      }
    }
  }

  it('counts every span of the data set once, with exact tokens', async () => {
    const { rows } = await spanMetrics(store, 'p1', whole, { groupBy: [], limit: 10 });
    expect(rows[0]!.count).toBe(data.length + 16);
    const llm = data.filter((s) => s.spanType === 'llm');
    expect(rows[0]!.inputTokens).toBe(llm.reduce((n, s) => n + s.inputTokens, 0) + 3 * 7 + 3 * 50 + 11 + 13);
    expect(rows[0]!.reasoningTokens).toBe(3 * 300);
    expect(rows[0]!.cacheReadTokens).toBe(3 * 40);
  });

  const answerable: Array<[string, Partial<SpanFilter>]> = [
    ['service', { service: 'svc-b' }],
    ['span name', { spanName: 'chat' }],
    ['job', { jobId: 'job-x' }],
    ['job version', { jobId: 'job-x', jobVersion: '3' }],
    ['request model', { model: 'gpt-4o' }],
    ['response model', { model: 'gpt-4o-2024-08-06' }],
    ['provider', { provider: 'anthropic' }],
    ['span type other (stored empty)', { spanType: 'other' }],
    ['status', { status: 'error' }],
  ];
  for (const [what, extra] of answerable) {
    it(`answers a filter on ${what} from the rollup, as from spans`, async () => {
      await expectRollupAgrees(
        store,
        'p1',
        { ...ragged, ...extra },
        { groupBy: ['spanType'], stepSeconds: 3600 },
      );
    });
  }

  const unanswerable: Array<[string, Partial<SpanFilter>, number | undefined]> = [
    ['a minimum duration', { minDurationNs: 0n }, undefined],
    ['a maximum duration', { maxDurationNs: 10n ** 12n }, undefined],
    ['a session', { sessionId: 's-1' }, undefined],
    ['a user', { userId: 'u-1' }, undefined],
    ['an attribute', { attributes: [['tenant', 'acme']] }, undefined],
    ['a step under an hour', {}, 900],
    [
      'a range inside one hour',
      { fromNs: start + 60_000n * ms, toNs: start + 59n * 60_000n * ms },
      undefined,
    ],
    ['a range past 2106', { toNs: 2n ** 62n }, undefined],
  ];
  for (const [what, extra, stepSeconds] of unanswerable) {
    it(`reads spans for ${what}`, async () => {
      const result = await spanMetrics(
        store,
        'p1',
        { ...whole, ...extra },
        { groupBy: ['model'], stepSeconds, limit: 100 },
      );
      expect(result.source).toBe('spans');
      expect(result.rows.length).toBeGreaterThan(0);
    });
  }

  it('says in the API answer which source answered', async () => {
    const app = queryApp({ source: storeTraceSource(store), projectOf: () => 'p1' });
    const ask = async (extra: Record<string, string>) => {
      const query = new URLSearchParams({
        from: '2025-06-02T00:00:00Z',
        to: '2025-06-03T00:00:00Z',
        groupBy: 'model',
        ...extra,
      });
      return (await (await app.request(`/v1/metrics?${query}`)).json()) as {
        source: string;
        rows: MetricsRow[];
      };
    };
    const fast = await ask({});
    const exact = await ask({ minDurationMs: '0' });
    expect([fast.source, exact.source]).toEqual(['rollup', 'spans']);
    expect(fast.rows.map((r) => r.count)).toEqual(exact.rows.map((r) => r.count));
  });

  it('stays correct after a trace is deleted: its hours are read from spans', async () => {
    const before = await spanMetrics(store, 'p1', whole, {
      groupBy: ['service'],
      stepSeconds: 3600,
      limit: 100,
    });
    const victim = data[40]!;
    const spansOfVictim = data.filter((s) => s.traceId === victim.traceId);
    expect(await deleteTrace(store, 'p1', victim.traceId)).toBe(spansOfVictim.length);
    for (const range of [whole, ragged]) {
      await expectRollupAgrees(store, 'p1', range, {
        groupBy: ['service', 'spanName'],
        stepSeconds: 3600,
      });
    }
    const after = await spanMetrics(store, 'p1', whole, {
      groupBy: ['service'],
      stepSeconds: 3600,
      limit: 100,
    });
    const total = (rows: MetricsRow[]) => rows.reduce((n, r) => n + r.count, 0);
    expect(total(before.rows) - total(after.rows)).toBe(spansOfVictim.length);
    // The other project keeps its copy of the trace, read from its rollup.
    const other = await spanMetrics(store, 'other', whole, { groupBy: [], limit: 10 });
    expect([other.source, other.rows[0]!.count]).toEqual(['rollup', data.length + 16]);
  });

  it('job metrics from trace_summary equal those from spans FINAL, also after a deletion', async () => {
    const runs = async () => (await jobMetrics(store, 'p1', 'job-x')).runs;
    const before = await runs();
    expect(before).toBe(new Set(data.filter((s) => s.jobId === 'job-x').map((s) => s.traceId)).size + 4);
    await expectJobMetricsAgree(store, 'p1');
    const victim = data.find((s) => s.jobId === 'job-x' && s.traceId !== data[40]!.traceId)!;
    await deleteTrace(store, 'p1', victim.traceId);
    expect(await runs()).toBe(before - 1);
    await expectJobMetricsAgree(store, 'p1');
  });
});

describe('the rollup migration', () => {
  it('back-fills a store that already had spans, a span stored twice counted once', async () => {
    const dir = tempDir('rollup-backfill');
    const store = await openTestStore(dir.path);
    try {
      await migrate(
        store,
        migrations.filter((m) => m.version < 6),
      );
      await fill(store, 'p1');
      // A sender's retry: the same span again in a new insert; spans FINAL holds it once, and so
      // does the back-fill. (01:15, in a whole hour of both ranges: the partial hours are read
      // as stored, see the next test.)
      await insertSpans(store, extraRows('p1').slice(1, 2));
      // Migration 11 back-fills trace_job_usage, which job metrics read, the same way.
      const report = await migrate(store, migrations);
      expect(report.applied.map((m) => m.version)).toEqual(expect.arrayContaining([6, 11]));
      for (const range of [whole, ragged]) {
        await expectRollupAgrees(store, 'p1', range, {
          groupBy: ['model', 'spanType'],
          stepSeconds: 3600,
        });
      }
      await expectJobMetricsAgree(store, 'p1');
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('counts a batch the ingester inserts twice with one token once, through the exporter as it writes', async () => {
    const dir = tempDir('rollup-exporter-dedup');
    const store = await openTestStore(dir.path);
    try {
      await migrate(store);
      const ingest = genAiIngest(store);
      const redelivered = () =>
        traceBatch({
          projectId: 'default',
          request: dataSetRequests(data)[0]!,
          meta: { dedupToken: 'otlp_spans:0:100-101:default' },
        });
      await ingest.consume(redelivered());
      await ingest.consume(redelivered());
      const count = async (rollup: boolean) =>
        (await spanMetrics(store, 'default', whole, { groupBy: [], limit: 1, rollup })).rows[0]!.count;
      const stored = await count(false);
      expect(stored).toBeGreaterThan(0);
      expect(await count(true)).toBe(stored);
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('counts a redelivered batch once, a span a sender sends again twice (documented)', async () => {
    const dir = tempDir('rollup-dedup');
    const store = await openTestStore(dir.path);
    try {
      await migrate(store);
      const rows = extraRows('p1').slice(0, 4);
      const insert = (token: string) =>
        insertSpans(store, rows, {
          deduplicate_blocks_in_dependent_materialized_views: 1,
          insert_deduplication_token: token,
        });
      await insert('otlp_spans:0:10-13');
      await insert('otlp_spans:0:10-13');
      const count = async (rollup: boolean) =>
        (await spanMetrics(store, 'p1', whole, { groupBy: [], limit: 1, rollup })).rows[0]!.count;
      expect([await count(true), await count(false)]).toEqual([4, 4]);
      await insert('otlp_spans:0:20-23');
      expect([await count(true), await count(false)]).toEqual([8, 4]);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
