import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  clickhouseLogsWriter,
  migrate,
  storeTraceSource,
} from '@llmp/clickhouse';
import { genAiProcessorConfig, genAiProcessorFactory } from '@llmp/genai';
import { jobStore } from '@llmp/jobs';
import { type KeyValue, type LogRecord, type Span, traceBatch } from '@llmp/otlp';
import { stringAttr, testSpan } from '@llmp/otlp/testing';
import { queryApp } from '@llmp/query-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledFunctions } from '../support/compiledFunctions.ts';
import { type JobsApi, jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Metrics and logs of a job over spans written by the real exporter into the embedded store.
const dir = tempDir('job-insights');
let store: ClickHouseStore;
let api: JobsApi;
const second = 1_000_000_000n;
const t0 = 1_700_000_000n * second;
const str = stringAttr;
const int = (key: string, value: number): KeyValue => ({ key, value: { type: 'int', value: BigInt(value) } });

const span = (traceId: string, spanId: string, from: bigint, to: bigint, more: Partial<Span> = {}): Span =>
  testSpan({
    traceId,
    spanId,
    name: spanId,
    startTimeUnixNano: t0 + from,
    endTimeUnixNano: t0 + to,
    ...more,
  });

const t1 = '1'.repeat(32);
const t2 = '2'.repeat(32);
const t3 = '3'.repeat(32);
// Runs of job "timed": two in the hour of t0 (22:00 UTC), one two hours later; the jobs
// processor's output checks are on the spans as llmp.validation.output (pass | fail).
const [t4, t5, t6] = ['4', '5', '6'].map((c) => c.repeat(32)) as [string, string, string];
const hour = 3600n * second;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  api = jobsApi(queryApp({ source: storeTraceSource(store), jobs: jobStore(store) }));
  await api.post('/v1/jobs', { id: 'insight', name: 'insight' });
  await api.patch('/v1/jobs/insight', { prompt: 'v2' });
  await api.post('/v1/jobs', { id: 'timed', name: 'timed' });
  const spans = [
    // Run 1 (version 1): the root names the job; its LLM child fails and records an exception.
    span(t1, 'a000000000000001', 0n, second, {
      attributes: [str('llmp.job.id', 'insight'), str('llmp.job.version', '1')],
    }),
    span(t1, 'a000000000000002', second / 10n, (second * 6n) / 10n, {
      parentSpanId: 'a000000000000001',
      attributes: [
        str('gen_ai.operation.name', 'chat'),
        int('gen_ai.usage.input_tokens', 100),
        int('gen_ai.usage.output_tokens', 20),
      ],
      status: { code: 2, message: 'rate limited' },
      events: [
        {
          timeUnixNano: t0 + second / 2n,
          name: 'exception',
          attributes: [str('exception.message', 'rate limited')],
          droppedAttributesCount: 0,
        },
      ],
    }),
    // Run 2 (version 2): only a child names the job; the run lasts 3 s.
    span(t2, 'b000000000000001', 0n, 3n * second),
    span(t2, 'b000000000000002', second, 2n * second, {
      parentSpanId: 'b000000000000001',
      attributes: [
        str('llmp.job.id', 'insight'),
        str('llmp.job.version', '2'),
        str('gen_ai.operation.name', 'chat'),
        int('gen_ai.usage.input_tokens', 50),
        int('gen_ai.usage.output_tokens', 10),
      ],
      events: [
        {
          timeUnixNano: t0 + (3n * second) / 2n,
          name: 'retry',
          attributes: [int('attempt', 2)],
          droppedAttributesCount: 0,
        },
      ],
    }),
    // Not linked to the job.
    span(t3, 'c000000000000001', 0n, 5n * second, { status: { code: 2, message: 'x' } }),
    span(t4, 'd000000000000001', 0n, 2n * second, {
      attributes: [str('llmp.job.id', 'timed'), str('llmp.validation.output', 'pass')],
    }),
    span(t4, 'd000000000000002', second, 2n * second, {
      parentSpanId: 'd000000000000001',
      attributes: [
        str('gen_ai.operation.name', 'chat'),
        int('gen_ai.usage.input_tokens', 10),
        int('gen_ai.usage.output_tokens', 5),
      ],
    }),
    span(t5, 'e000000000000001', 10n * second, 11n * second, {
      attributes: [str('llmp.job.id', 'timed'), str('llmp.validation.output', 'fail')],
      status: { code: 2, message: 'bad output' },
    }),
    span(t6, 'f000000000000001', 2n * hour, 2n * hour + 4n * second, {
      attributes: [str('llmp.job.id', 'timed'), str('llmp.validation.output', 'pass')],
    }),
  ];
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger: pino({ level: 'silent' }) },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  // Token and cost columns come from the GenAI processor, as in both real pipelines.
  const genai = genAiProcessorFactory.create(
    { id: 'genai', logger: pino({ level: 'silent' }) },
    genAiProcessorConfig.parse({}),
    exporter,
  );
  await genai.consume(
    traceBatch({
      projectId: 'default',
      request: {
        resourceSpans: [
          {
            resource: { attributes: [str('service.name', 'insights')], droppedAttributesCount: 0 },
            schemaUrl: '',
            scopeSpans: [
              {
                scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
                schemaUrl: '',
                spans,
              },
            ],
          },
        ],
      },
    }),
  );
  // OTLP log records: a GenAI event of run 2's LLM span, a plain record naming the job on a trace
  // not linked to it, and one that concerns nothing of the job.
  const record = (timeUnixNano: bigint, more: Partial<LogRecord>): LogRecord => ({
    timeUnixNano,
    observedTimeUnixNano: timeUnixNano,
    severityNumber: 9,
    severityText: 'INFO',
    body: { type: 'empty' },
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
    ...more,
  });
  await clickhouseLogsWriter(store).consume({
    projectId: 'default',
    logRecordCount: 3,
    request: {
      resourceLogs: [
        {
          resource: { attributes: [str('service.name', 'insights')], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeLogs: [
            {
              scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              logRecords: [
                record(t0 + (5n * second) / 2n, {
                  traceId: t2,
                  spanId: 'b000000000000002',
                  eventName: 'gen_ai.client.inference.operation.details',
                  attributes: [str('gen_ai.input.messages', '[{"role":"user"}]')],
                }),
                record(t0 + 4n * second, {
                  traceId: t3,
                  body: { type: 'string', value: 'batch done' },
                  attributes: [str('llmp.job.id', 'insight')],
                }),
                record(t0 + 5n * second, { traceId: t3, body: { type: 'string', value: 'other work' } }),
              ],
            },
          ],
        },
      ],
    },
  });
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('GET /v1/jobs/{id}/metrics', () => {
  it('counts runs, spans, errors, latency and model-call tokens over the spans of the linked traces', async () => {
    const response = await api.get('/v1/jobs/insight/metrics');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      job_id: 'insight',
      runs: 2,
      failed_runs: 1,
      spans: 4,
      error_spans: 1,
      tokens: { input: 150, output: 30 },
      cost_usd: null,
    });
    expect(response.body.latency_ms.p99).toBe(3000);
    expect([1000, 3000]).toContain(response.body.latency_ms.p50);
    expect(response.body).not.toHaveProperty('versions');
  });

  it('splits by job version on request', async () => {
    const { body } = await api.get('/v1/jobs/insight/metrics?by=version');
    expect(body.runs).toBe(2);
    expect(body.versions).toEqual([
      expect.objectContaining({
        version: '1',
        runs: 1,
        failed_runs: 1,
        spans: 2,
        latency_ms: { p50: 1000, p95: 1000, p99: 1000 },
      }),
      expect.objectContaining({
        version: '2',
        runs: 1,
        failed_runs: 0,
        spans: 2,
        tokens: { input: 50, output: 10 },
      }),
    ]);
  });

  it('answers zeros for a job without runs, 404 for an unknown job, 400 for another split', async () => {
    await api.post('/v1/jobs', { id: 'idle', name: 'idle' });
    expect((await api.get('/v1/jobs/idle/metrics')).body).toMatchObject({
      runs: 0,
      spans: 0,
      latency_ms: { p50: null, p95: null, p99: null },
    });
    expect((await api.get('/v1/jobs/nope/metrics')).status).toBe(404);
    expect((await api.get('/v1/jobs/insight/metrics?by=model')).status).toBe(400);
  });
});

describe('GET /v1/jobs/{id}/metrics over time', () => {
  // t0 is 2023-11-14T22:13:20Z: runs t4 and t5 start in the 22:00 hour, t6 in the 00:00 hour.
  const range = 'from=2023-11-14T22:00:00Z&to=2023-11-15T01:00:00Z';

  it('answers runs, errors, latency, tokens, cost and validation pass rate per time bucket of the runs', async () => {
    const { status, body } = await api.get(`/v1/jobs/timed/metrics?step=1h&${range}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      job_id: 'timed',
      step: '1h',
      from: '2023-11-14T22:00:00.000000000Z',
      to: '2023-11-15T01:00:00.000000000Z',
      runs: 3,
      failed_runs: 1,
      validation: { checked: 3, passed: 2, pass_rate: 2 / 3 },
    });
    // Buckets with runs only, oldest first, at the run's start (its first span of the job).
    expect(body.buckets).toEqual([
      {
        time: '2023-11-14T22:00:00.000000000Z',
        runs: 2,
        failed_runs: 1,
        spans: 3,
        error_spans: 1,
        latency_ms: { p50: expect.any(Number), p95: 2000, p99: 2000 },
        tokens: { input: 10, output: 5 },
        cost_usd: null,
        validation: { checked: 2, passed: 1, pass_rate: 0.5 },
      },
      {
        time: '2023-11-15T00:00:00.000000000Z',
        runs: 1,
        failed_runs: 0,
        spans: 1,
        error_spans: 0,
        latency_ms: { p50: 4000, p95: 4000, p99: 4000 },
        tokens: { input: 0, output: 0 },
        cost_usd: null,
        validation: { checked: 1, passed: 1, pass_rate: 1 },
      },
    ]);
    expect([1000, 2000]).toContain(body.buckets[0].latency_ms.p50);
  });

  it('counts only the runs that started in the range, in totals and per version too', async () => {
    const { body } = await api.get(
      '/v1/jobs/timed/metrics?by=version&step=15m&from=2023-11-15T00:00:00Z&to=2023-11-15T01:00:00Z',
    );
    expect(body).toMatchObject({ runs: 1, failed_runs: 0, validation: { checked: 1, passed: 1 } });
    expect(body.versions).toEqual([expect.objectContaining({ runs: 1 })]);
    expect(body.buckets.map((b: { time: string; runs: number }) => [b.time, b.runs])).toEqual([
      ['2023-11-15T00:00:00.000000000Z', 1],
    ]);
    // A range without a step narrows the totals and adds no buckets.
    const early = (await api.get('/v1/jobs/timed/metrics?from=2023-11-14T22:00:00Z&to=2023-11-14T23:00:00Z'))
      .body;
    expect(early).toMatchObject({ runs: 2, validation: { checked: 2, passed: 1, pass_rate: 0.5 } });
    expect(early).not.toHaveProperty('buckets');
  });

  it('answers 400 for an unknown step, a bad time, more than 10,000 buckets or an unknown parameter', async () => {
    for (const query of [
      'step=2h',
      'step=1h&from=yesterday',
      'step=1m&from=2000-01-01T00:00:00Z&to=2023-01-01T00:00:00Z',
      'from=2023-11-15T00:00:00Z&to=2023-11-14T00:00:00Z',
      'steps=1h',
    ]) {
      const { status, body } = await api.get(`/v1/jobs/timed/metrics?${query}`);
      expect(status, query).toBe(400);
      expect(body.title, query).toBe('Invalid query');
    }
  });
});

describe('GET /v1/jobs/{id}/logs', () => {
  it('lists job events, span events and exceptions of its traces, newest first, page by page', async () => {
    const all = (await api.get('/v1/jobs/insight/logs')).body.items;
    expect(all.map((e: { source: string; name: string }) => `${e.source}:${e.name}`)).toEqual([
      'job_event:updated',
      'job_event:created',
      'log_record:INFO',
      'log_record:gen_ai.client.inference.operation.details',
      'span_event:retry',
      'exception:exception',
    ]);
    // A record naming the job on a trace it is not linked to, and one of a linked trace.
    expect(all[2]).toMatchObject({
      traceId: t3,
      attributes: { 'llmp.job.id': 'insight', body: 'batch done' },
    });
    expect(all[3]).toMatchObject({
      traceId: t2,
      spanId: 'b000000000000002',
      attributes: { 'gen_ai.input.messages': '[{"role":"user"}]' },
    });
    expect(all[4]).toMatchObject({ traceId: t2, spanId: 'b000000000000002', attributes: { attempt: '2' } });
    expect(all[5]).toMatchObject({ traceId: t1, attributes: { 'exception.message': 'rate limited' } });
    expect(all[5].timeUnixNano).toBe((t0 + second / 2n).toString());
    expect(all[0].attributes).toEqual({ prompt: { from: '', to: 'v2' } });

    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const { body } = await api.get(`/v1/jobs/insight/logs?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.items, JSON.stringify(body)).toHaveLength(1);
      paged.push(...body.items);
      cursor = body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expect((await api.get('/v1/jobs/nope/logs')).status).toBe(404);
    expect((await api.get('/v1/jobs/insight/logs?cursor=x')).status).toBe(400);
  });
});

describe('GET /v1/jobs/{id}/traces', () => {
  it('pages the linked traces, newest link first', async () => {
    const first = (await api.get('/v1/jobs/insight/traces?limit=1')).body;
    expect(first.items).toEqual([expect.objectContaining({ traceId: t2, jobVersions: ['2'] })]);
    const rest = (await api.get(`/v1/jobs/insight/traces?limit=1&cursor=${first.next_cursor}`)).body;
    expect(rest).toEqual({
      items: [expect.objectContaining({ traceId: t1, jobVersions: ['1'] })],
      next_cursor: null,
    });
    expect((await api.get('/v1/jobs/insight/traces?limit=500')).status).toBe(400);
  });
});

describe('trace links', () => {
  it('are read without having the engine compile code for them', async () => {
    // The engine compiles an aggregate the fourth time it sees it, inside that query: a
    // one-off ~40 ms on a point read of a few rows, which opts out.
    const jobs = jobStore(store);
    const before = await compiledFunctions(store);
    for (let i = 0; i < 6; i++)
      expect(await jobs.traceLinks('default', t1)).toEqual([
        { jobId: 'insight', jobVersion: '1', jobType: expect.any(String) },
      ]);
    expect(await compiledFunctions(store)).toBe(before);
  });
});
