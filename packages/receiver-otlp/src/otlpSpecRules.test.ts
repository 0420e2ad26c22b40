import * as grpc from '@grpc/grpc-js';
import {
  decodeProtobufResponse,
  encodeProtobufRequest,
  type jsonResponse,
  type TraceRequest,
} from '@llmp/otlp';
import { type Authenticate, permanent, retryable } from '@llmp/pipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  memorySink,
  type RunningReceiver,
  requestOf,
  runReceiver,
  span,
  traceId,
} from './testing/receiverHarness.ts';

// One table of OTLP specification rules (opentelemetry-proto docs/specification.md, "OTLP/gRPC"
// and "OTLP/HTTP"), run over both transports of one real receiver with an in-memory sink, asserting
// the exact status and what the sink stored.

const maxSize = 64 * 1024;
const good = requestOf(span('a', 'eee19b7ec3c1b174'), span('b', 'eee19b7ec3c1b175'));
const mixed = requestOf(span('good', 'eee19b7ec3c1b174'), span('bad', '0000000000000000'));
/** Compresses to a few hundred bytes, inflates past maxSize. */
const inflatesPastLimit = (() => {
  const s = span('big', 'eee19b7ec3c1b174');
  s.attributes.push({ key: 'blob', value: { type: 'string', value: 'x'.repeat(maxSize * 2) } });
  return requestOf(s);
})();

const keys: Authenticate = (key, need) => {
  if (key === undefined) return { ok: false, reason: 'unauthenticated', message: 'an API key is required' };
  if (key === 'acme-ingest') return { ok: true, caller: { projectId: 'acme', role: 'ingest' } };
  if (key === 'acme-read' && need !== 'ingest')
    return { ok: true, caller: { projectId: 'acme', role: 'read' } };
  if (key === 'acme-read') return { ok: false, reason: 'forbidden', message: 'this key may not ingest' };
  return { ok: false, reason: 'unauthenticated', message: 'unknown API key' };
};

interface Rule {
  rule: string;
  body: Uint8Array;
  gzip?: boolean;
  key?: string;
  sinkFails?: () => ReturnType<typeof retryable>;
  http: number;
  grpc: grpc.status;
  /** Spans the sink must hold afterwards (project acme). */
  stored: number;
  rejected?: number;
  retryAfterMs?: number;
}

const rules: Rule[] = [
  // "Full Success": an empty request is valid and answered with an empty response.
  {
    rule: 'empty request is a full success',
    body: new Uint8Array(0),
    key: 'acme-ingest',
    http: 200,
    grpc: grpc.status.OK,
    stored: 0,
  },
  {
    rule: 'valid request is stored whole',
    body: encodeProtobufRequest(good),
    key: 'acme-ingest',
    http: 200,
    grpc: grpc.status.OK,
    stored: 2,
  },
  // "Partial Success": invalid spans are rejected with a count and message, valid ones kept.
  {
    rule: 'invalid span ids rejected one by one',
    body: encodeProtobufRequest(mixed),
    key: 'acme-ingest',
    http: 200,
    grpc: grpc.status.OK,
    stored: 1,
    rejected: 1,
  },
  // "Failures": malformed data is not retryable: 400 / INVALID_ARGUMENT.
  {
    rule: 'malformed protobuf',
    body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
    key: 'acme-ingest',
    http: 400,
    grpc: grpc.status.INVALID_ARGUMENT,
    stored: 0,
  },
  // Compression: gzip (HTTP Content-Encoding, gRPC grpc-encoding).
  {
    rule: 'gzip-compressed request',
    body: encodeProtobufRequest(good),
    gzip: true,
    key: 'acme-ingest',
    http: 200,
    grpc: grpc.status.OK,
    stored: 2,
  },
  // The size limit applies after decompression: 413, or RESOURCE_EXHAUSTED from grpc-js.
  {
    rule: 'inflates past the size limit',
    body: encodeProtobufRequest(inflatesPastLimit),
    gzip: true,
    key: 'acme-ingest',
    http: 413,
    grpc: grpc.status.RESOURCE_EXHAUSTED,
    stored: 0,
  },
  // "Failures" / "Throttling": retryable answers carry a retry delay.
  {
    rule: 'store unavailable',
    body: encodeProtobufRequest(good),
    key: 'acme-ingest',
    sinkFails: () => retryable('down', { retryAfterMs: 3000 }),
    http: 503,
    grpc: grpc.status.UNAVAILABLE,
    stored: 0,
    retryAfterMs: 3000,
  },
  {
    rule: 'pipeline full',
    body: encodeProtobufRequest(good),
    key: 'acme-ingest',
    sinkFails: () => retryable('full', { reason: 'exhausted', retryAfterMs: 2000 }),
    http: 429,
    grpc: grpc.status.RESOURCE_EXHAUSTED,
    stored: 0,
    retryAfterMs: 2000,
  },
  {
    rule: 'store refuses the data for good',
    body: encodeProtobufRequest(good),
    key: 'acme-ingest',
    sinkFails: () => permanent('bad row'),
    http: 400,
    grpc: grpc.status.INVALID_ARGUMENT,
    stored: 0,
  },
  // Auth: no key or unknown key → 401 / UNAUTHENTICATED; a key without the ingest role → 403 / PERMISSION_DENIED.
  {
    rule: 'no API key',
    body: encodeProtobufRequest(good),
    http: 401,
    grpc: grpc.status.UNAUTHENTICATED,
    stored: 0,
  },
  {
    rule: 'unknown API key',
    body: encodeProtobufRequest(good),
    key: 'nope',
    http: 401,
    grpc: grpc.status.UNAUTHENTICATED,
    stored: 0,
  },
  {
    rule: 'key without the ingest role',
    body: encodeProtobufRequest(good),
    key: 'acme-read',
    http: 403,
    grpc: grpc.status.PERMISSION_DENIED,
    stored: 0,
  },
];

const sink = memorySink();
let running: RunningReceiver;

beforeAll(async () => {
  running = await runReceiver(
    sink,
    { grpc: { maxRecvMsgSize: maxSize }, http: { maxBodySize: maxSize } },
    keys,
  );
});
afterAll(() => running?.close());
beforeEach(() => {
  sink.batches.length = 0;
  sink.failWith = undefined;
});

function rejectedOf(answer: Answer): number {
  if (answer.body instanceof Uint8Array) return decodeProtobufResponse(answer.body).rejectedSpans;
  return 0;
}

describe.each(['grpc', 'http'] as const)('OTLP rules over %s', (transport) => {
  it.each(rules)('$rule', async (r) => {
    if (r.sinkFails) sink.failWith = r.sinkFails();
    const options = { ...(r.gzip ? { gzip: true } : {}), ...(r.key ? { key: r.key } : {}) };
    const answer =
      transport === 'grpc'
        ? await running.grpcExport(r.body, options)
        : await running.httpExport(r.body, options);
    expect(answer.status, answer.message).toBe(transport === 'grpc' ? r.grpc : r.http);
    expect(sink.spans()).toBe(r.stored);
    if (r.stored > 0) expect(sink.batches.every((b) => b.projectId === 'acme')).toBe(true);
    if (answer.status === 200 || answer.status === grpc.status.OK)
      expect(rejectedOf(answer)).toBe(r.rejected ?? 0);
    if (r.retryAfterMs !== undefined) expect(answer.retryAfterMs).toBe(r.retryAfterMs);
    // Every failure carries a message naming what is wrong.
    if (answer.status !== 200 && answer.status !== grpc.status.OK) expect(answer.message).not.toBe('');
  });
});

describe('OTLP/HTTP only rules', () => {
  it('answers a protobuf failure in protobuf and a JSON failure in JSON ("Failures": same Content-Type)', async () => {
    const proto = await running.httpExport(new Uint8Array([0x0a, 0xff]), { key: 'acme-ingest' });
    expect([proto.status, proto.contentType]).toEqual([400, 'application/x-protobuf']);
    const json = await running.httpExport('{"resourceSpans": 7}', {
      key: 'acme-ingest',
      contentType: 'application/json',
    });
    expect([json.status, json.contentType]).toEqual([400, 'application/json']);
    expect(json.message).toContain('resourceSpans');
    const denied = await running.httpExport('{}', { contentType: 'application/json' });
    expect([denied.status, denied.contentType]).toEqual([401, 'application/json']);
  });

  it('answers an empty JSON request with {} in JSON', async () => {
    const answer = await running.httpExport('{}', { key: 'acme-ingest', contentType: 'application/json' });
    expect([answer.status, answer.contentType, answer.body]).toEqual([200, 'application/json', {}]);
    expect(sink.spans()).toBe(0);
  });

  it('reports a JSON partial success in JSON with rejectedSpans as a string', async () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: 'eee19b7ec3c1b174', name: 'ok' },
                { traceId, spanId: 'zz', name: 'bad' },
              ],
            },
          ],
        },
      ],
    });
    const answer = await running.httpExport(body, { key: 'acme-ingest', contentType: 'application/json' });
    // A span id that is not 16 hex characters cannot be stored: that span is rejected, the other kept.
    expect(answer.status).toBe(200);
    expect((answer.body as ReturnType<typeof jsonResponse>).partialSuccess).toMatchObject({
      rejectedSpans: '1',
    });
    expect(sink.spans()).toBe(1);
  });

  it('takes OTLP/JSON the way the Collector does: hex ids in either case, int64 as string or number, enums as ints or names, snake_case', async () => {
    const camel = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  traceId: traceId.toUpperCase(),
                  spanId: 'EEE19B7EC3C1B174',
                  name: 'lenient',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: '1700000000123',
                  endTimeUnixNano: 1700000000223,
                  attributes: [{ key: 'n', value: { intValue: 42 } }],
                  status: { code: 'STATUS_CODE_ERROR' },
                },
              ],
            },
          ],
        },
      ],
    };
    const snake = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'checkout' } }] },
          scope_spans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  trace_id: traceId,
                  span_id: 'eee19b7ec3c1b174',
                  name: 'lenient',
                  kind: 3,
                  start_time_unix_nano: '1700000000123',
                  end_time_unix_nano: '1700000000223',
                  attributes: [{ key: 'n', value: { int_value: '42' } }],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    };
    for (const body of [camel, snake]) {
      const answer = await running.httpExport(JSON.stringify(body), {
        key: 'acme-ingest',
        contentType: 'application/json',
      });
      expect(answer.status).toBe(200);
    }
    const [a, b] = sink.batches.map((batch) => batch.request()) as [TraceRequest, TraceRequest];
    expect(a).toEqual(b);
    const stored = a.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(stored).toMatchObject({
      traceId,
      spanId: 'eee19b7ec3c1b174',
      kind: 3,
      startTimeUnixNano: 1700000000123n,
      endTimeUnixNano: 1700000000223n,
      status: { code: 2 },
    });
    expect(stored.attributes[0]!.value).toEqual({ type: 'int', value: 42n });
  });

  it('answers 405 with Allow: POST and 415 for another content type, storing nothing', async () => {
    const port = running.receiver.ports().http;
    const get = await fetch(`http://127.0.0.1:${port}/v1/traces`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const text = await running.httpExport('hello', { key: 'acme-ingest', contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(sink.spans()).toBe(0);
  });
});
