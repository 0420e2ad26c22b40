import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest } from './decodeJson.ts';
import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { protoTypes } from './protoTypes.ts';
import { testRequest, testSpan, testTraceId } from './testing/traceFixtures.ts';
import type { AnyValue, KeyValue, Span, TraceRequest } from './traceModel.ts';

const traceId = testTraceId;

// Zero kind and times: the proto3 defaults, which encode to nothing.
const span = (overrides: Partial<Span> = {}): Span =>
  testSpan({ kind: 0, startTimeUnixNano: 0n, endTimeUnixNano: 0n, ...overrides });

const requestOf = (spans: Span[], resource: KeyValue[] = []): TraceRequest =>
  testRequest(spans, { resource });

const roundTrip = (request: TraceRequest) => decodeProtobufRequest(encodeProtobufRequest(request));

/** The attribute values of the first span after a protobuf round trip. */
function roundTripValues(values: AnyValue[]): AnyValue[] {
  const attributes = values.map((value, i) => ({ key: `k${i}`, value }));
  const decoded = roundTrip(requestOf([span({ attributes })]));
  return decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.map((kv) => kv.value);
}

describe('encodeProtobufRequest / decodeProtobufRequest', () => {
  it('round-trips every field of a request', () => {
    const request: TraceRequest = {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { type: 'string', value: 'checkout' } }],
            droppedAttributesCount: 1,
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeSpans: [
            {
              scope: {
                name: 'openai-instrumentation',
                version: '0.4.1',
                attributes: [{ key: 'scope.attr', value: { type: 'bool', value: true } }],
                droppedAttributesCount: 2,
              },
              schemaUrl: 'https://scope.example/schema',
              spans: [
                span({
                  traceState: 'vendor=abc',
                  parentSpanId: '00f067aa0ba902b7',
                  flags: 0x301,
                  name: 'chat gpt-4o',
                  kind: 3,
                  startTimeUnixNano: 1700000000123456789n,
                  endTimeUnixNano: 18446744073709551615n,
                  attributes: [{ key: 'gen_ai.request.model', value: { type: 'string', value: 'gpt-4o' } }],
                  droppedAttributesCount: 3,
                  events: [
                    {
                      timeUnixNano: 1700000000500000000n,
                      name: 'gen_ai.choice',
                      attributes: [{ key: 'index', value: { type: 'int', value: 0n } }],
                      droppedAttributesCount: 4,
                    },
                  ],
                  droppedEventsCount: 5,
                  links: [
                    {
                      traceId: '0af7651916cd43dd8448eb211c80319c',
                      spanId: 'b7ad6b7169203331',
                      traceState: 'k=v',
                      attributes: [{ key: 'link.kind', value: { type: 'string', value: 'follows' } }],
                      droppedAttributesCount: 6,
                      flags: 256,
                    },
                  ],
                  droppedLinksCount: 7,
                  status: { code: 2, message: 'rate limited' },
                }),
              ],
            },
          ],
        },
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeSpans: [],
        },
      ],
    };
    expect(roundTrip(request)).toEqual(request);
  });

  it('round-trips an empty request', () => {
    expect(encodeProtobufRequest({ resourceSpans: [] })).toHaveLength(0);
    expect(decodeProtobufRequest(new Uint8Array(0))).toEqual({ resourceSpans: [] });
  });

  it('keeps string and bool values, including the empty string and false', () => {
    const values: AnyValue[] = [
      { type: 'string', value: 'hello' },
      { type: 'string', value: '' },
      { type: 'string', value: 'üñí©ødé ✓' },
      { type: 'bool', value: true },
      { type: 'bool', value: false },
    ];
    expect(roundTripValues(values)).toEqual(values);
  });

  it('keeps every int64, including negative ones and ones beyond 2^53', () => {
    const ints = [0n, 42n, -1n, -42n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const values: AnyValue[] = ints.map((value) => ({ type: 'int', value }));
    expect(roundTripValues(values)).toEqual(values);
  });

  it('keeps doubles', () => {
    const doubles = [0, 1.5, -0.25, 1e300, Number.MIN_VALUE, Number.POSITIVE_INFINITY, Number.NaN];
    const values: AnyValue[] = doubles.map((value) => ({ type: 'double', value }));
    expect(roundTripValues(values)).toEqual(values);
  });

  it('keeps bytes, including empty bytes', () => {
    const [bytes, empty] = roundTripValues([
      { type: 'bytes', value: new Uint8Array([0, 1, 127, 128, 254, 255]) },
      { type: 'bytes', value: new Uint8Array(0) },
    ]);
    expect(bytes?.type).toBe('bytes');
    expect(Array.from((bytes as { value: Uint8Array }).value)).toEqual([0, 1, 127, 128, 254, 255]);
    expect(empty?.type).toBe('bytes');
    expect((empty as { value: Uint8Array }).value).toHaveLength(0);
  });

  it('keeps arrays, kvlists (nested) and empty values', () => {
    const values: AnyValue[] = [
      {
        type: 'array',
        value: [
          { type: 'string', value: 'a' },
          { type: 'int', value: -3n },
          { type: 'empty' },
          { type: 'array', value: [{ type: 'bool', value: false }] },
        ],
      },
      { type: 'array', value: [] },
      {
        type: 'kvlist',
        value: [
          { key: 'region', value: { type: 'string', value: 'eu' } },
          {
            key: 'nested',
            value: { type: 'kvlist', value: [{ key: 'retries', value: { type: 'int', value: 3n } }] },
          },
          { key: 'none', value: { type: 'empty' } },
        ],
      },
      { type: 'kvlist', value: [] },
      { type: 'empty' },
    ];
    expect(roundTripValues(values)).toEqual(values);
  });

  it('reads a KeyValue without a value as empty', () => {
    const { request } = protoTypes();
    const bytes = request
      .encode(
        request.fromObject({
          resourceSpans: [
            { scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), attributes: [{ key: 'k' }] }] }] },
          ],
        }),
      )
      .finish();
    const decoded = decodeProtobufRequest(bytes).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(decoded.attributes).toEqual([{ key: 'k', value: { type: 'empty' } }]);
    expect(decoded.traceId).toBe('01'.repeat(16));
    expect(decoded.spanId).toBe('');
    expect(decoded.status).toEqual({ code: 0, message: '' });
  });

  it('throws OtlpDecodeError for bytes that are not a request', () => {
    // Field 1 (resource_spans), length-delimited, with a length far beyond the buffer.
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    expect(() => decodeProtobufRequest(garbage)).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufRequest(garbage)).toThrow(/invalid OTLP protobuf payload/);
    expect(() => decodeProtobufRequest(new TextEncoder().encode('{"resourceSpans":[]}'))).toThrow(
      OtlpDecodeError,
    );
  });
});

// The real OpenTelemetry JS serializer, as the SDK's OTLP exporters use it. It is a dependency of
// the `test` workspace package, not of packages/otlp, so it is loaded from there.
type HrTimeLike = [number, number];
interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}
/** The SDK's ReadableSpan, as far as the serializer reads it. */
interface ReadableSpanLike {
  name: string;
  kind: number;
  spanContext(): SpanContextLike;
  parentSpanContext?: SpanContextLike;
  startTime: HrTimeLike;
  endTime: HrTimeLike;
  duration: HrTimeLike;
  ended: boolean;
  status: { code: number; message?: string };
  attributes: Record<string, unknown>;
  links: Array<{
    context: SpanContextLike;
    attributes?: Record<string, unknown>;
    droppedAttributesCount?: number;
  }>;
  events: Array<{
    name: string;
    time: HrTimeLike;
    attributes?: Record<string, unknown>;
    droppedAttributesCount?: number;
  }>;
  resource: { attributes: Record<string, unknown>; schemaUrl?: string };
  instrumentationScope: { name: string; version?: string; schemaUrl?: string };
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}
interface TraceSerializer {
  serializeRequest(spans: ReadableSpanLike[]): Uint8Array | undefined;
}
const requireFromTestPackage = createRequire(new URL('../../../test/package.json', import.meta.url));
const transformer = requireFromTestPackage('@opentelemetry/otlp-transformer') as {
  ProtobufTraceSerializer: TraceSerializer;
  JsonTraceSerializer: TraceSerializer;
};

describe('decoding what @opentelemetry/otlp-transformer produces', () => {
  const resource = {
    attributes: { 'service.name': 'checkout', 'service.instance.count': 3 },
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
  const instrumentationScope = {
    name: 'llm-sdk',
    version: '1.2.3',
    schemaUrl: 'https://scope.example/schema',
  };
  const sdkSpan: ReadableSpanLike = {
    name: 'chat gpt-4o',
    kind: 1, // @opentelemetry/api SpanKind.SERVER; OTLP numbers kinds from UNSPECIFIED = 0
    spanContext: () => ({ traceId, spanId: 'eee19b7ec3c1b174', traceFlags: 1, isRemote: false }),
    parentSpanContext: { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
    startTime: [1700000000, 123456789],
    endTime: [1700000001, 5],
    duration: [0, 881543216],
    ended: true,
    status: { code: 2, message: 'rate limited' },
    attributes: {
      'gen_ai.request.model': 'gpt-4o',
      'llm.streaming': true,
      'gen_ai.usage.input_tokens': 1200,
      offset: -42,
      temperature: 0.7,
      payload: new Uint8Array([0, 1, 254, 255]),
      tags: ['a', 'b'],
      meta: { region: 'eu', retries: 3 },
    },
    events: [{ name: 'gen_ai.choice', time: [1700000000, 500000000], attributes: { index: 0 } }],
    links: [
      {
        context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 },
        attributes: { 'link.kind': 'follows' },
      },
    ],
    resource,
    instrumentationScope,
    droppedAttributesCount: 2,
    droppedEventsCount: 1,
    droppedLinksCount: 0,
  };

  const expected: TraceRequest = {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { type: 'string', value: 'checkout' } },
            { key: 'service.instance.count', value: { type: 'int', value: 3n } },
          ],
          droppedAttributesCount: 0,
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [
          {
            scope: { name: 'llm-sdk', version: '1.2.3', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: 'https://scope.example/schema',
            spans: [
              {
                traceId,
                spanId: 'eee19b7ec3c1b174',
                traceState: '',
                parentSpanId: '00f067aa0ba902b7',
                // W3C sampled flag, plus HAS_IS_REMOTE (0x100) and IS_REMOTE (0x200) for the remote parent.
                flags: 0x301,
                name: 'chat gpt-4o',
                kind: 2,
                startTimeUnixNano: 1700000000123456789n,
                endTimeUnixNano: 1700000001000000005n,
                attributes: [
                  { key: 'gen_ai.request.model', value: { type: 'string', value: 'gpt-4o' } },
                  { key: 'llm.streaming', value: { type: 'bool', value: true } },
                  { key: 'gen_ai.usage.input_tokens', value: { type: 'int', value: 1200n } },
                  { key: 'offset', value: { type: 'int', value: -42n } },
                  { key: 'temperature', value: { type: 'double', value: 0.7 } },
                  { key: 'payload', value: { type: 'bytes', value: new Uint8Array([0, 1, 254, 255]) } },
                  {
                    key: 'tags',
                    value: {
                      type: 'array',
                      value: [
                        { type: 'string', value: 'a' },
                        { type: 'string', value: 'b' },
                      ],
                    },
                  },
                  {
                    key: 'meta',
                    value: {
                      type: 'kvlist',
                      value: [
                        { key: 'region', value: { type: 'string', value: 'eu' } },
                        { key: 'retries', value: { type: 'int', value: 3n } },
                      ],
                    },
                  },
                ],
                droppedAttributesCount: 2,
                events: [
                  {
                    timeUnixNano: 1700000000500000000n,
                    name: 'gen_ai.choice',
                    attributes: [{ key: 'index', value: { type: 'int', value: 0n } }],
                    droppedAttributesCount: 0,
                  },
                ],
                droppedEventsCount: 1,
                links: [
                  {
                    traceId: '0af7651916cd43dd8448eb211c80319c',
                    spanId: 'b7ad6b7169203331',
                    traceState: '',
                    attributes: [{ key: 'link.kind', value: { type: 'string', value: 'follows' } }],
                    droppedAttributesCount: 0,
                    flags: 0x100,
                  },
                ],
                droppedLinksCount: 0,
                status: { code: 2, message: 'rate limited' },
              },
            ],
          },
        ],
      },
    ],
  };

  /** Bytes values compared by content: protobufjs hands back Buffers, the model says Uint8Array. */
  function normalised(value: unknown): unknown {
    if (value instanceof Uint8Array) return { bytes: Array.from(value) };
    if (Array.isArray(value)) return value.map(normalised);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalised(item)]));
    }
    return value;
  }

  it('decodes ProtobufTraceSerializer bytes', () => {
    const bytes = transformer.ProtobufTraceSerializer.serializeRequest([sdkSpan]);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const decoded = decodeProtobufRequest(bytes!);
    expect(normalised(decoded)).toEqual(normalised(expected));
  });

  it('decodes JsonTraceSerializer text to the same request', () => {
    const bytes = transformer.JsonTraceSerializer.serializeRequest([sdkSpan]);
    const decoded = decodeJsonRequest(new TextDecoder().decode(bytes));
    expect(normalised(decoded)).toEqual(normalised(expected));
  });

  it('re-encodes what it decoded into bytes the serializer output decodes to', () => {
    const decoded = decodeProtobufRequest(transformer.ProtobufTraceSerializer.serializeRequest([sdkSpan])!);
    expect(normalised(roundTrip(decoded))).toEqual(normalised(expected));
  });
});
