import * as grpc from '@grpc/grpc-js';
import { type AnyValue, encodeProtobufRequest, type KeyValue, type TraceRequest } from '@llmp/otlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  memorySink,
  type RunningReceiver,
  requestOf,
  runReceiver,
  span,
} from './testing/receiverHarness.ts';

// Issue 16, items 3 and 5: what one request may hold once decoded is bounded, with one set of
// bounds for OTLP/protobuf and OTLP/JSON; past one the request is refused whole with 400 /
// INVALID_ARGUMENT naming the bound, counted, and never reaches the pipeline.

const sink = memorySink();
let r: RunningReceiver;
beforeAll(async () => {
  r = await runReceiver(sink);
});
afterAll(() => r.close());

function nested(depth: number, kind: 'array' | 'kvlist'): AnyValue {
  let value: AnyValue = { type: 'bool', value: true };
  for (let i = 0; i < depth; i++)
    value =
      kind === 'array' ? { type: 'array', value: [value] } : { type: 'kvlist', value: [{ key: 'k', value }] };
  return value;
}

function withAttributes(attributes: KeyValue[]): TraceRequest {
  const s = span('chat', 'eee19b7ec3c1b174');
  s.attributes = attributes;
  return requestOf(s);
}

/** OTLP/JSON of an AnyValue, built as text so depth costs no recursion here. */
function jsonValue(value: AnyValue): string {
  if (value.type === 'bool') return `{"boolValue":${value.value}}`;
  if (value.type === 'int') return `{"intValue":"${value.value}"}`;
  if (value.type === 'array') return `{"arrayValue":{"values":[${value.value.map(jsonValue).join(',')}]}}`;
  if (value.type === 'kvlist')
    return `{"kvlistValue":{"values":[${value.value.map((kv) => `{"key":${JSON.stringify(kv.key)},"value":${jsonValue(kv.value)}}`).join(',')}]}}`;
  throw new Error(`no JSON here for ${value.type}`);
}

function jsonOf(attributes: string[]): string {
  const attrs = attributes.join(',');
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat","attributes":[${attrs}]}]}]}]}`;
}

const attribute = (key: string, value: AnyValue) => `{"key":"${key}","value":${jsonValue(value)}}`;

async function refused(reason: string): Promise<number> {
  const metric = await r.registry.getSingleMetric('llmp_receiver_refused_requests_total')!.get();
  return metric.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

/** The request over gRPC, over HTTP as protobuf and over HTTP as JSON. */
async function everyWay(attributes: KeyValue[]): Promise<Answer[]> {
  const bytes = encodeProtobufRequest(withAttributes(attributes));
  const json = jsonOf(attributes.map((kv) => attribute(kv.key, kv.value)));
  return [
    await r.grpcExport(bytes),
    await r.httpExport(bytes),
    await r.httpExport(json, { contentType: 'application/json' }),
  ];
}

describe('otlp receiver value limits', () => {
  it.each(['array', 'kvlist'] as const)(
    'stores %s values 16 deep and refuses 17 deep, in both encodings',
    async (kind) => {
      const stored = sink.spans();
      expect((await everyWay([{ key: 'v', value: nested(16, kind) }])).map((a) => a.status)).toEqual([
        0, 200, 200,
      ]);
      expect(sink.spans()).toBe(stored + 3);
      const before = await refused('limit');
      const answers = await everyWay([{ key: 'v', value: nested(17, kind) }]);
      expect(answers.map((a) => a.status)).toEqual([grpc.status.INVALID_ARGUMENT, 400, 400]);
      for (const answer of answers) expect(answer.message).toMatch(/maxValueDepth/);
      expect(sink.spans()).toBe(stored + 3);
      expect(await refused('limit')).toBe(before + 3);
    },
  );

  it('answers 400 to JSON values 5 000 arrays and 3 000 kvlists deep, never 500', async () => {
    for (const [depth, kind] of [
      [5000, 'array'],
      [3000, 'kvlist'],
    ] as const) {
      const [open, close] =
        kind === 'array'
          ? ['{"arrayValue":{"values":[', ']}}']
          : ['{"kvlistValue":{"values":[{"key":"k","value":', '}]}}'];
      const deep = `${open.repeat(depth)}{"boolValue":true}${close.repeat(depth)}`;
      const answer = await r.httpExport(jsonOf([`{"key":"deep","value":${deep}}`]), {
        contentType: 'application/json',
      });
      expect([answer.status, answer.message]).toEqual([400, expect.stringMatching(/maxValueDepth/)]);
    }
  });

  it('refuses an array or kvlist of more than 10 000 elements and more than 1 024 attributes', async () => {
    const ints = (n: number): AnyValue[] =>
      Array.from({ length: n }, (_, i) => ({ type: 'int', value: BigInt(i) }));
    const ok = await everyWay([{ key: 'a', value: { type: 'array', value: ints(10_000) } }]);
    expect(ok.map((a) => a.status)).toEqual([0, 200, 200]);
    for (const value of [
      { type: 'array', value: ints(10_001) },
      { type: 'kvlist', value: ints(10_001).map((v, i) => ({ key: `k${i}`, value: v })) },
    ] as AnyValue[]) {
      const answers = await everyWay([{ key: 'a', value }]);
      expect(answers.map((a) => a.status)).toEqual([grpc.status.INVALID_ARGUMENT, 400, 400]);
      for (const answer of answers) expect(answer.message).toMatch(/maxValueElements/);
    }
    const many = (n: number): KeyValue[] =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { type: 'bool', value: true } }));
    expect((await everyWay(many(1024))).map((a) => a.status)).toEqual([0, 200, 200]);
    const answers = await everyWay(many(1025));
    expect(answers.map((a) => a.status)).toEqual([grpc.status.INVALID_ARGUMENT, 400, 400]);
    for (const answer of answers) expect(answer.message).toMatch(/maxAttributes/);
  });

  it('refuses invalid UTF-8 over JSON as over protobuf', async () => {
    const stored = sink.spans();
    const json = Buffer.from(
      jsonOf([attribute('s', { type: 'bool', value: true })]).replace('"chat"', '"ch\u0000at"'),
    );
    json[json.indexOf(0)] = 0xff; // a byte that is never UTF-8, inside the span name
    const answer = await r.httpExport(json, { contentType: 'application/json' });
    expect([answer.status, answer.message]).toEqual([400, expect.stringMatching(/UTF-8/)]);
    const lone = jsonOf([attribute('s', { type: 'bool', value: true })]).replace('"chat"', '"ch\\ud800at"');
    expect((await r.httpExport(lone, { contentType: 'application/json' })).status).toBe(400);
    expect(sink.spans()).toBe(stored);
  });
});

describe('otlp receiver decoded-size bound', () => {
  const many = (n: number): KeyValue[] =>
    Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { type: 'int', value: BigInt(i) } }));
  const body = encodeProtobufRequest(withAttributes(many(1000)));
  // The same span over OTLP/JSON: 1000 attributes, each an object holding an object.
  const jsonBody = JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'many',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000001000000000',
                attributes: Array.from({ length: 1000 }, (_, i) => ({
                  key: `k${i}`,
                  value: { intValue: `${i}` },
                })),
              },
            ],
          },
        ],
      },
    ],
  });
  const json = { contentType: 'application/json' };

  it('reserves a protobuf request’s decoded size in the in-flight bytes until it is exported', async () => {
    const held = memorySink();
    const running = await runReceiver(held);
    try {
      held.hold();
      const answer = running.httpExport(body);
      const inFlight = async () =>
        (await running.registry.getSingleMetric('llmp_receiver_in_flight_bytes')!.get()).values[0]?.value ??
        0;
      // 1000 attributes: over 2000 messages at 80 B each, besides the body.
      await expect.poll(inFlight).toBeGreaterThan(body.byteLength + 2000 * 80);
      held.release();
      expect((await answer).status).toBe(200);
      await expect.poll(inFlight).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('reserves an OTLP/JSON request’s decoded size in the in-flight bytes before it is parsed', async () => {
    const held = memorySink();
    const running = await runReceiver(held);
    try {
      held.hold();
      const answer = running.httpExport(jsonBody, json);
      const inFlight = async () =>
        (await running.registry.getSingleMetric('llmp_receiver_in_flight_bytes')!.get()).values[0]?.value ??
        0;
      await expect.poll(inFlight).toBeGreaterThan(jsonBody.length + 2000 * 80);
      held.release();
      expect((await answer).status).toBe(200);
      await expect.poll(inFlight).toBe(0);
    } finally {
      await running.close();
    }
  });

  it('refuses an OTLP/JSON request estimated past maxDecodedBytes with 400 naming it, before parsing it', async () => {
    const running = await runReceiver(memorySink(), { limits: { maxDecodedBytes: 64 * 1024 } });
    try {
      const answer = await running.httpExport(jsonBody, json);
      expect(answer.status).toBe(400);
      expect(answer.message).toMatch(/maxDecodedBytes/);
    } finally {
      await running.close();
    }
  });

  it('refuses a request estimated past maxDecodedBytes with 400 naming it, on both transports', async () => {
    const running = await runReceiver(memorySink(), { limits: { maxDecodedBytes: 64 * 1024 } });
    try {
      const answers = [await running.grpcExport(body), await running.httpExport(body)];
      expect(answers.map((a) => a.status)).toEqual([grpc.status.INVALID_ARGUMENT, 400]);
      for (const answer of answers) expect(answer.message).toMatch(/maxDecodedBytes/);
    } finally {
      await running.close();
    }
  });

  it('refuses for good, not "retry later", a request whose decoded size the in-flight bytes can never hold', async () => {
    const running = await runReceiver(memorySink(), { maxInFlightBytes: 100 * 1024 });
    try {
      const answer = await running.grpcExport(body);
      expect([answer.status, answer.message]).toEqual([
        grpc.status.INVALID_ARGUMENT,
        expect.stringMatching(/maxDecodedBytes/),
      ]);
    } finally {
      await running.close();
    }
  });
});
