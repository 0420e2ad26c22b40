import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { decodeRpcStatus, encodeProtobufRequest } from '@llmp/otlp';
import { framingEdits, mutatedBytes, testRequest, testSpan } from '@llmp/otlp/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 16, items 1, 3 and 5, against a real `llmp start`: a request is decoded or refused alone,
// before the batch processor merges it with other senders' spans, so for any bytes a bad request
// never changes a good request's answer or what is stored of it.

const dir = tempDir('bad-neighbours');
let llmp: LlmpProcess;
const identity = (buffer: Buffer) => buffer;
const Client = grpc.makeGenericClientConstructor(
  {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'TraceService',
);
let client: InstanceType<typeof Client>;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
  client = new Client(`127.0.0.1:${llmp.grpcPort}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/** The gRPC status code of one Export (0 when OK). */
function grpcExport(body: Uint8Array): Promise<number> {
  return new Promise((resolve) =>
    (client as unknown as Record<string, (...args: unknown[]) => void>).Export!(
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000 },
      (error: grpc.ServiceError | null) => resolve(error ? error.code : 0),
    ),
  );
}

async function httpExport(body: Uint8Array | string, contentType = 'application/x-protobuf') {
  const res = await fetch(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status === 200) return { status: 200, message: '' };
  const message = (res.headers.get('content-type') ?? '').includes('json')
    ? String((JSON.parse(bytes.toString()) as { message?: unknown }).message ?? '')
    : decodeRpcStatus(bytes).message;
  return { status: res.status, message };
}

function goodRequest(traceId: string): Uint8Array {
  return encodeProtobufRequest(
    testRequest(
      ['a', 'b', 'c'].map((name, i) => testSpan({ traceId, spanId: `${i + 1}`.padStart(16, '0'), name })),
    ),
  );
}

/** A request whose one span is behind a length prefix written in 6 bytes (valid varint, not a valid length). */
function paddedLengthPrefix(): Uint8Array {
  const bytes = goodRequest(randomBytes(16).toString('hex'));
  // request.resource_spans (0x0a) length: re-written with 5 redundant continuation bytes.
  let end = 1;
  while (bytes[end]! >= 0x80) end++;
  const length = Array.from(bytes.subarray(1, end + 1));
  length[length.length - 1]! |= 0x80;
  const padded = [...length, ...Array(6 - length.length - 1).fill(0x80), 0x00];
  return Uint8Array.from([0x0a, ...padded, ...bytes.subarray(end + 1)]);
}

async function storedSpans(traceId: string): Promise<number> {
  const res = await llmp.api(`/v1/traces/${traceId}`);
  return res.status === 200 ? ((await res.json()) as { spans: unknown[] }).spans.length : 0;
}

describe('bad requests beside good ones (llmp start)', () => {
  it('never changes a good request’s answer or its stored spans, whatever bytes arrive beside it (gRPC and HTTP)', async () => {
    const template = goodRequest('0af7651916cd43dd8448eb211c80319c');
    const bad = fc.sample(
      fc.oneof(mutatedBytes(template, 3), framingEdits(template), fc.uint8Array({ maxLength: 64 })),
      { numRuns: 240, seed: 20261205 },
    );
    const good: string[] = [];
    for (let round = 0; round < 12; round++) {
      const traceIds = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
      good.push(...traceIds);
      const neighbours = bad.slice(round * 20, round * 20 + 20);
      const [viaGrpc, viaHttp, ...others] = await Promise.all([
        grpcExport(goodRequest(traceIds[0]!)),
        httpExport(goodRequest(traceIds[1]!)),
        grpcExport(paddedLengthPrefix()),
        httpExport(paddedLengthPrefix()),
        ...neighbours.map((body, i) =>
          i % 2 === 0 ? grpcExport(body) : httpExport(body).then((a) => a.status),
        ),
      ]);
      expect([viaGrpc, (viaHttp as { status: number }).status]).toEqual([grpc.status.OK, 200]);
      // The padded prefix is refused for itself: INVALID_ARGUMENT / 400.
      expect([others[0], (others[1] as { status: number }).status]).toEqual([
        grpc.status.INVALID_ARGUMENT,
        400,
      ]);
      // Every other neighbour is answered for itself too: success or a permanent refusal, never a 5xx.
      for (const answer of others.slice(2))
        expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT, 200, 400]).toContain(answer);
    }
    for (const traceId of good) await expect.poll(() => storedSpans(traceId), { timeout: 10_000 }).toBe(3);
  });

  it('answers 400 to values too deep or too long, counts them, and keeps running', async () => {
    const deep = `${'{"arrayValue":{"values":['.repeat(5000)}{"boolValue":true}${']}}'.repeat(5000)}`;
    const json = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${randomBytes(16).toString('hex')}","spanId":"eee19b7ec3c1b174","name":"x","attributes":[{"key":"v","value":${deep}}]}]}]}]}`;
    const answer = await httpExport(json, 'application/json');
    expect([answer.status, answer.message]).toEqual([400, expect.stringMatching(/maxValueDepth/)]);
    // 13 MB of protobuf: one attribute holding an array of 3.3 million ints.
    const field = (tag: number, inner: Buffer) => {
      const length: number[] = [];
      let n = inner.length;
      for (; n >= 0x80; n = Math.floor(n / 0x80)) length.push((n & 0x7f) | 0x80);
      return Buffer.concat([Buffer.from([tag, ...length, n]), inner]);
    };
    const elements = Buffer.alloc(3_300_000 * 4);
    for (let i = 0; i < elements.length; i += 4) elements.set([0x0a, 0x02, 0x18, 0x01], i); // values { int_value: 1 }
    const attribute = field(
      0x4a,
      Buffer.concat([field(0x0a, Buffer.from('v')), field(0x12, field(0x2a, elements))]),
    );
    const spanBytes = Buffer.concat([field(0x0a, randomBytes(16)), field(0x12, randomBytes(8)), attribute]);
    const body = field(0x0a, field(0x12, field(0x12, spanBytes)));
    const answers = await Promise.all([grpcExport(body), httpExport(body)]);
    expect([answers[0], answers[1]!.status]).toEqual([grpc.status.INVALID_ARGUMENT, 400]);
    expect(answers[1]!.message).toMatch(/maxValueElements/);
    const metrics = await (await llmp.api('/metrics')).text();
    const limited = metrics
      .split('\n')
      .filter(
        (line) => line.startsWith('llmp_receiver_refused_requests_total{') && line.includes('reason="limit"'),
      )
      .reduce((n, line) => n + Number(line.split(' ').pop()), 0);
    expect(limited).toBe(3);
    expect((await llmp.api('/healthz')).status).toBe(200);
  });
});

describe('doubles that JSON has no number for (llmp start)', () => {
  it('keeps NaN and ±Infinity, sent over OTLP/JSON or OTLP/protobuf, as the proto3 JSON strings', async () => {
    const viaJson = randomBytes(16).toString('hex');
    const viaProtobuf = randomBytes(16).toString('hex');
    const json = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${viaJson}","spanId":"eee19b7ec3c1b174","name":"x","attributes":[
      {"key":"nan","value":{"doubleValue":"NaN"}},{"key":"inf","value":{"doubleValue":"Infinity"}},
      {"key":"ninf","value":{"doubleValue":"-Infinity"}},
      {"key":"arr","value":{"arrayValue":{"values":[{"doubleValue":"NaN"},{"doubleValue":1.5}]}}}]}]}]}]}`;
    expect((await httpExport(json, 'application/json')).status).toBe(200);
    const double = (value: number) => ({ type: 'double' as const, value });
    const span = testSpan({
      traceId: viaProtobuf,
      spanId: 'eee19b7ec3c1b174',
      name: 'x',
      attributes: [
        { key: 'nan', value: double(Number.NaN) },
        { key: 'inf', value: double(Number.POSITIVE_INFINITY) },
        { key: 'ninf', value: double(Number.NEGATIVE_INFINITY) },
        { key: 'arr', value: { type: 'array', value: [double(Number.NaN), double(1.5)] } },
      ],
    });
    expect(await grpcExport(encodeProtobufRequest(testRequest([span])))).toBe(grpc.status.OK);
    for (const traceId of [viaJson, viaProtobuf]) {
      await expect.poll(() => storedSpans(traceId), { timeout: 10_000 }).toBe(1);
      const { spans } = (await (await llmp.api(`/v1/traces/${traceId}`)).json()) as {
        spans: Array<{ attributes: Record<string, unknown> }>;
      };
      expect(spans[0]!.attributes).toMatchObject({
        nan: 'NaN',
        inf: 'Infinity',
        ninf: '-Infinity',
        arr: ['NaN', 1.5],
      });
    }
  });
});
