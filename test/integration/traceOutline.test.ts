import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  storeTraceSource,
} from '@llmp/clickhouse';
import { genAiProcessorConfig, genAiProcessorFactory } from '@llmp/genai';
import { type KeyValue, type Span, traceBatch } from '@llmp/otlp';
import { stringAttr, testSpan } from '@llmp/otlp/testing';
import { queryApp } from '@llmp/query-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobsApi, jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// A trace's outline and single spans (what the UI's trace page reads) over the embedded store.
const dir = tempDir('trace-outline');
let store: ClickHouseStore;
let api: JobsApi;
const second = 1_000_000_000n;
const t0 = 1_700_000_000n * second;
const traceId = 'ab'.repeat(16);
const int = (key: string, value: number): KeyValue => ({ key, value: { type: 'int', value: BigInt(value) } });

const spans: Span[] = [
  testSpan({
    traceId,
    spanId: 'a000000000000001',
    name: 'POST /answer',
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 + 3n * second,
    attributes: [stringAttr('http.route', '/answer')],
  }),
  testSpan({
    traceId,
    spanId: 'a000000000000002',
    parentSpanId: 'a000000000000001',
    name: 'chat gpt-4o',
    startTimeUnixNano: t0 + second,
    endTimeUnixNano: t0 + 2n * second,
    status: { code: 2, message: 'rate limited' },
    attributes: [
      stringAttr('gen_ai.operation.name', 'chat'),
      stringAttr('gen_ai.request.model', 'gpt-4o'),
      int('gen_ai.usage.input_tokens', 120),
      int('gen_ai.usage.output_tokens', 30),
    ],
  }),
  ...Array.from({ length: 5 }, (_, i) =>
    testSpan({
      traceId,
      spanId: `b00000000000000${i}`,
      parentSpanId: 'a000000000000001',
      name: `step ${i}`,
      startTimeUnixNano: t0 + 2n * second + BigInt(i),
      endTimeUnixNano: t0 + 2n * second + BigInt(i) + 1000n,
    }),
  ),
];

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  api = jobsApi(queryApp({ source: storeTraceSource(store) }));
  const logger = pino({ level: 'silent' });
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  const genai = genAiProcessorFactory.create(
    { id: 'genai', logger },
    genAiProcessorConfig.parse({}),
    exporter,
  );
  await genai.consume(
    traceBatch({
      projectId: 'default',
      request: {
        resourceSpans: [
          {
            resource: { attributes: [stringAttr('service.name', 'answers')], droppedAttributesCount: 0 },
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
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('GET /v1/traces/{traceId}/outline', () => {
  it("gives every span's tree place, timing, status and usage, oldest first, without attributes", async () => {
    const { status, body } = await api.get(`/v1/traces/${traceId.toUpperCase()}/outline`);
    expect(status).toBe(200);
    expect(body.traceId).toBe(traceId);
    expect(body.truncated).toBe(false);
    expect(body.spans).toHaveLength(7);
    expect(body.spans[0]).toEqual({
      spanId: 'a000000000000001',
      parentSpanId: '',
      name: 'POST /answer',
      serviceName: 'answers',
      startTimeUnixNano: t0.toString(),
      durationNs: (3n * second).toString(),
      status: { code: 'UNSET' },
      spanType: 'other',
      genAi: { inputTokens: 0, outputTokens: 0, costUsd: null },
    });
    expect(body.spans[1]).toMatchObject({
      spanId: 'a000000000000002',
      parentSpanId: 'a000000000000001',
      status: { code: 'ERROR' },
      spanType: 'llm',
      genAi: { inputTokens: 120, outputTokens: 30 },
    });
    // The same fields as the whole trace gives them.
    const whole = (await api.get(`/v1/traces/${traceId}`)).body.spans as Array<Record<string, unknown>>;
    for (const [i, outline] of (body.spans as Array<Record<string, unknown>>).entries()) {
      expect(outline).toMatchObject({
        spanId: whole[i]!.spanId,
        startTimeUnixNano: whole[i]!.startTimeUnixNano,
        durationNs: whole[i]!.durationNs,
        spanType: whole[i]!.spanType,
      });
    }
  });

  it('stops at the limit and says the trace has more', async () => {
    const { body } = await api.get(`/v1/traces/${traceId}/outline?limit=3`);
    expect(body.spans.map((s: { spanId: string }) => s.spanId)).toEqual([
      'a000000000000001',
      'a000000000000002',
      'b000000000000000',
    ]);
    expect(body.truncated).toBe(true);
    expect((await api.get(`/v1/traces/${traceId}/outline?limit=7`)).body.truncated).toBe(false);
  });

  it('answers 404 for an unknown trace and 400 for a bad id or limit', async () => {
    expect((await api.get(`/v1/traces/${'cd'.repeat(16)}/outline`)).status).toBe(404);
    expect((await api.get('/v1/traces/xyz/outline')).status).toBe(400);
    expect((await api.get(`/v1/traces/${traceId}/outline?limit=0`)).status).toBe(400);
    expect((await api.get(`/v1/traces/${traceId}/outline?limit=100001`)).status).toBe(400);
    expect((await api.get(`/v1/traces/${traceId}/outline?limt=5`)).status).toBe(400);
  });
});

describe('GET /v1/traces/{traceId}/spans/{spanId}', () => {
  it('gives one span whole, as the trace gives it', async () => {
    const { status, body } = await api.get(`/v1/traces/${traceId}/spans/A000000000000002`);
    expect(status).toBe(200);
    const whole = (await api.get(`/v1/traces/${traceId}`)).body.spans as Array<{ spanId: string }>;
    expect(body).toEqual(whole.find((s) => s.spanId === 'a000000000000002'));
    expect(body.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o' });
  });

  it('answers 404 for a span not in the trace and 400 for a bad span id', async () => {
    expect((await api.get(`/v1/traces/${traceId}/spans/ffffffffffffffff`)).status).toBe(404);
    expect((await api.get(`/v1/traces/${'cd'.repeat(16)}/spans/a000000000000002`)).status).toBe(404);
    expect((await api.get(`/v1/traces/${traceId}/spans/a0000002`)).status).toBe(400);
  });
});
