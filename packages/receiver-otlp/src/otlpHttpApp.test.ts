import { gzipSync } from 'node:zlib';
import {
  decodeProtobufRequest,
  decodeProtobufResponse,
  decodeRpcStatus,
  encodeProtobufRequest,
  type Span,
  type TraceBatch,
  type TraceRequest,
} from '@llmp/otlp';
import { stringAttr, testRequest, testSpan, testTraceId } from '@llmp/otlp/testing';
import { permanent, retryable } from '@llmp/pipeline';
import { sinkConsumer } from '@llmp/pipeline/testing';
import { describe, expect, it } from 'vitest';
import { otlpHttpApp } from './otlpHttpApp.ts';

const traceId = testTraceId;

const span = (name: string, spanId: string): Span =>
  testSpan({
    spanId,
    flags: 1,
    name,
    kind: 2,
    startTimeUnixNano: 1700000000123456789n,
    endTimeUnixNano: 1700000000223456789n,
    attributes: [stringAttr('gen_ai.request.model', 'gpt-4o')],
  });

const requestOf = (...spans: Span[]): TraceRequest =>
  testRequest(spans, {
    resource: [stringAttr('service.name', 'checkout')],
    scopeName: 'sdk',
    scopeVersion: '1',
  });

const goodSpan = span('good', 'eee19b7ec3c1b174');
const badSpan = span('bad', '0000000000000000');

/** OTLP/JSON for the same request shape, as an SDK would send it. */
function jsonBody(spans: Array<{ name: string; spanId: string }>): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [
          {
            scope: { name: 'sdk', version: '1' },
            spans: spans.map(({ name, spanId }) => ({
              traceId: traceId.toUpperCase(),
              spanId,
              flags: 1,
              name,
              kind: 'SPAN_KIND_SERVER',
              startTimeUnixNano: '1700000000123456789',
              endTimeUnixNano: '1700000000223456789',
              attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }],
            })),
          },
        ],
      },
    ],
  });
}

/** The exporter's stand-in: stores each batch, or throws `failWith`. */
function memorySink() {
  const sink = sinkConsumer<TraceBatch>();
  return Object.assign(sink, { batches: sink.received });
}

function setup(maxBodySize = 1 << 20) {
  const sink = memorySink();
  const app = otlpHttpApp({ next: sink, maxBodySize });
  const post = (body: Uint8Array | string, headers: Record<string, string>) =>
    app.request('/v1/traces', { method: 'POST', body, headers });
  return { sink, app, post };
}

const protobuf = { 'content-type': 'application/x-protobuf' };
const json = { 'content-type': 'application/json' };

const storedNames = (batches: TraceBatch[]) =>
  batches.flatMap((b) =>
    b.request().resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name))),
  );

describe('otlpHttpApp POST /v1/traces', () => {
  it('stores an OTLP/protobuf request and answers an empty protobuf response', async () => {
    const { sink, post } = setup();
    const request = requestOf(goodSpan);
    const body = encodeProtobufRequest(request);
    const res = await post(body, protobuf);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const answer = new Uint8Array(await res.arrayBuffer());
    expect(answer).toHaveLength(0);
    expect(decodeProtobufResponse(answer)).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(sink.batches).toHaveLength(1);
    const [batch] = sink.batches;
    expect(batch!.projectId).toBe('default');
    expect(batch!.spanCount).toBe(1);
    expect(batch!.request()).toEqual(request);
    // The received bytes are handed on as they came when no span was rejected.
    expect(Buffer.from(batch!.bytes()).equals(Buffer.from(body))).toBe(true);
  });

  it('accepts application/protobuf too', async () => {
    const { sink, post } = setup();
    const res = await post(encodeProtobufRequest(requestOf(goodSpan)), {
      'content-type': 'application/protobuf',
    });
    expect(res.status).toBe(200);
    expect(sink.batches).toHaveLength(1);
  });

  it('stores an OTLP/JSON request and answers {} in JSON', async () => {
    const { sink, post } = setup();
    const res = await post(jsonBody([{ name: 'good', spanId: 'eee19b7ec3c1b174' }]), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.request()).toEqual(requestOf(goodSpan));
  });

  it('takes a gzip-compressed body', async () => {
    const { sink, post } = setup();
    const res = await post(gzipSync(encodeProtobufRequest(requestOf(goodSpan))), {
      ...protobuf,
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(storedNames(sink.batches)).toEqual(['good']);
    const jsonRes = await post(gzipSync(jsonBody([{ name: 'zipped', spanId: 'eee19b7ec3c1b175' }])), {
      ...json,
      'content-encoding': 'gzip',
    });
    expect(jsonRes.status).toBe(200);
    expect(storedNames(sink.batches)).toEqual(['good', 'zipped']);
  });

  it('answers 415 for a content type it does not speak', async () => {
    const { sink, post } = setup();
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toContain('text/plain');
    expect(sink.batches).toHaveLength(0);
  });

  it('answers 415 for an unknown content encoding', async () => {
    const { post } = setup();
    const res = await post(encodeProtobufRequest(requestOf(goodSpan)), {
      ...protobuf,
      'content-encoding': 'lzma',
    });
    expect(res.status).toBe(415);
    expect(decodeRpcStatus(new Uint8Array(await res.arrayBuffer())).message).toContain('lzma');
  });

  it('answers 405 with Allow: POST for other methods', async () => {
    const { app } = setup();
    const res = await app.request('/v1/traces', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as { code: number }).code).toBe(3);
    expect((await app.request('/v1/traces', { method: 'PUT', body: 'x' })).status).toBe(405);
  });

  it('answers 404 elsewhere', async () => {
    const { app } = setup();
    expect((await app.request('/v1/metrics', { method: 'POST', body: 'x', headers: protobuf })).status).toBe(
      404,
    );
  });

  it('answers 400 with a protobuf google.rpc.Status for a malformed protobuf body', async () => {
    const { sink, post } = setup();
    const res = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), protobuf);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const status = decodeRpcStatus(new Uint8Array(await res.arrayBuffer()));
    expect(status.code).toBe(3);
    expect(status.message).toContain('invalid OTLP protobuf payload');
    expect(sink.batches).toHaveLength(0);
  });

  it('answers 400 with a JSON {code, message} for malformed JSON', async () => {
    const { sink, post } = setup();
    const res = await post('{"resourceSpans":[', json);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/^invalid JSON/);
    const wrongType = await post('{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":true}]}]}]}', json);
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { message: string }).message).toContain(
      'resourceSpans[0].scopeSpans[0].spans[0].kind',
    );
    expect(sink.batches).toHaveLength(0);
  });

  it('answers 400 for corrupt gzip', async () => {
    const { post } = setup();
    const res = await post('not gzip', { ...json, 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(3);
  });

  it('answers 413 for a body over maxBodySize, declared or not', async () => {
    const { sink, post } = setup(64);
    const big = encodeProtobufRequest(requestOf(goodSpan));
    expect(big.byteLength).toBeGreaterThan(64);
    const declared = await post(big, { ...protobuf, 'content-length': String(big.byteLength) });
    expect(declared.status).toBe(413);
    const undeclared = await post(big, protobuf);
    expect(undeclared.status).toBe(413);
    expect(decodeRpcStatus(new Uint8Array(await undeclared.arrayBuffer())).code).toBe(3);
    const zipped = await post(gzipSync(Buffer.alloc(10_000)), { ...protobuf, 'content-encoding': 'gzip' });
    expect(zipped.status).toBe(413);
    expect(sink.batches).toHaveLength(0);
  });

  it('stores only the valid spans and reports the rejected one in protobuf', async () => {
    const { sink, post } = setup();
    const res = await post(encodeProtobufRequest(requestOf(goodSpan, badSpan)), protobuf);
    expect(res.status).toBe(200);
    const outcome = decodeProtobufResponse(new Uint8Array(await res.arrayBuffer()));
    expect(outcome.rejectedSpans).toBe(1);
    expect(outcome.errorMessage).toContain('span "bad": invalid span id');
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.spanCount).toBe(1);
    expect(storedNames(sink.batches)).toEqual(['good']);
    // What goes on is the screened request, not the received bytes.
    expect(decodeProtobufRequest(sink.batches[0]!.bytes())).toEqual(requestOf(goodSpan));
  });

  it('stores only the valid spans and reports the rejected one in JSON', async () => {
    const { sink, post } = setup();
    const res = await post(
      jsonBody([
        { name: 'good', spanId: 'eee19b7ec3c1b174' },
        { name: 'bad', spanId: 'abc' },
      ]),
      json,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain('span "bad"');
    expect(storedNames(sink.batches)).toEqual(['good']);
  });

  it('answers 200 with every span rejected, without calling the sink', async () => {
    const { sink, post } = setup();
    const res = await post(encodeProtobufRequest(requestOf(badSpan)), protobuf);
    expect(res.status).toBe(200);
    expect(decodeProtobufResponse(new Uint8Array(await res.arrayBuffer())).rejectedSpans).toBe(1);
    expect(sink.batches).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the sink is unavailable', async () => {
    const { sink, post } = setup();
    sink.failWith = retryable('ClickHouse unavailable');
    const res = await post(encodeProtobufRequest(requestOf(goodSpan)), protobuf);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(decodeRpcStatus(new Uint8Array(await res.arrayBuffer()))).toEqual({
      code: 14,
      message: 'ClickHouse unavailable',
      retryAfterMs: 1000,
    });
  });

  it('rounds the retry hint up to whole seconds', async () => {
    const { sink, post } = setup();
    sink.failWith = retryable('restarting', { retryAfterMs: 2500 });
    const res = await post(jsonBody([{ name: 'good', spanId: 'eee19b7ec3c1b174' }]), json);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ code: 14, message: 'restarting' });
  });

  it('answers 503 when the sink throws something that is not an ExportError', async () => {
    const { sink, post } = setup();
    sink.failWith = new Error('socket hang up');
    const res = await post(encodeProtobufRequest(requestOf(goodSpan)), protobuf);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('answers 429 with Retry-After when the pipeline is full', async () => {
    const { sink, post } = setup();
    sink.failWith = retryable('batch queue full', { reason: 'exhausted', retryAfterMs: 1000 });
    const res = await post(encodeProtobufRequest(requestOf(goodSpan)), protobuf);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    const status = decodeRpcStatus(new Uint8Array(await res.arrayBuffer()));
    expect(status).toEqual({ code: 8, message: 'batch queue full', retryAfterMs: 1000 });
  });

  it('answers 400 without Retry-After when the sink refuses the data for good', async () => {
    const { sink, post } = setup();
    sink.failWith = permanent('cannot parse row');
    const res = await post(jsonBody([{ name: 'good', spanId: 'eee19b7ec3c1b174' }]), json);
    expect(res.status).toBe(400);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({ code: 3, message: 'cannot parse row' });
  });

  it("files the spans under the project of the caller's key, whatever header carries it", async () => {
    const sink = memorySink();
    const app = otlpHttpApp({
      next: sink,
      maxBodySize: 1 << 20,
      authenticate: (key) =>
        key
          ? { ok: true, caller: { projectId: `p-${key}`, role: 'ingest' } }
          : { ok: false, reason: 'unauthenticated', message: 'no key' },
    });
    const body = encodeProtobufRequest(requestOf(goodSpan));
    const bearer = await app.request('/v1/traces', {
      method: 'POST',
      body,
      headers: { ...protobuf, authorization: 'Bearer acme' },
    });
    const header = await app.request('/v1/traces', {
      method: 'POST',
      body,
      headers: { ...protobuf, 'x-llmp-api-key': 'globex' },
    });
    const none = await app.request('/v1/traces', { method: 'POST', body, headers: protobuf });
    expect([bearer.status, header.status, none.status]).toEqual([200, 200, 401]);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(decodeRpcStatus(new Uint8Array(await none.arrayBuffer())).code).toBe(16);
    expect(sink.batches.map((b) => b.projectId)).toEqual(['p-acme', 'p-globex']);
  });
});
