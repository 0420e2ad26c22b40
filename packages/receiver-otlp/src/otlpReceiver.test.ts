import { createServer, type Server } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import {
  decodeProtobufResponse,
  decodeRpcStatus,
  encodeProtobufRequest,
  type Span,
  type TraceBatch,
  type TraceRequest,
} from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { permanent, retryable } from '@llmp/pipeline';
import { nopSettings, sinkConsumer } from '@llmp/pipeline/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { traceServiceDefinition } from './grpcTraceService.ts';
import { type OtlpReceiver, otlpReceiverFactory } from './otlpReceiver.ts';
import { otlpReceiverConfig } from './otlpReceiverConfig.ts';

const settings = nopSettings('otlp');

const span = (name: string, spanId: string): Span =>
  testSpan({
    spanId,
    flags: 1,
    name,
    kind: 3,
    startTimeUnixNano: 1700000000123456789n,
    endTimeUnixNano: 1700000000223456789n,
  });

const requestOf = (...spans: Span[]): TraceRequest => testRequest(spans, { scopeName: 's' });

/** The exporter's stand-in: stores each batch, or throws `failWith`. */
function memorySink() {
  const sink = sinkConsumer<TraceBatch>();
  return Object.assign(sink, { batches: sink.received });
}

const TraceServiceClient = grpc.makeGenericClientConstructor(traceServiceDefinition, 'TraceService');

interface ExportResult {
  error: grpc.ServiceError | null;
  response?: Buffer;
}

function exportCall(client: grpc.Client, body: Uint8Array): Promise<ExportResult> {
  return new Promise((resolve) => {
    (client as unknown as Record<string, (...args: unknown[]) => unknown>).Export!(
      Buffer.from(body),
      (error: grpc.ServiceError | null, response?: Buffer) => resolve({ error, response }),
    );
  });
}

const config = otlpReceiverConfig.parse({
  grpc: { endpoint: '127.0.0.1:0' },
  http: { endpoint: '127.0.0.1:0' },
});

describe('otlp receiver over real sockets', () => {
  const sink = memorySink();
  let receiver: OtlpReceiver;
  let client: grpc.Client;

  beforeAll(async () => {
    receiver = otlpReceiverFactory.create(settings, config, sink);
    await receiver.start();
    const { grpc: grpcPort } = receiver.ports();
    client = new TraceServiceClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await receiver?.shutdown();
  });

  beforeEach(() => {
    sink.batches.length = 0;
    sink.failWith = undefined;
  });

  it('binds both listeners to free ports', () => {
    const ports = receiver.ports();
    expect(ports.grpc).toBeGreaterThan(0);
    expect(ports.http).toBeGreaterThan(0);
    expect(ports.grpc).not.toBe(ports.http);
  });

  it('gRPC Export stores the spans and answers an empty response', async () => {
    const request = requestOf(span('a', 'eee19b7ec3c1b174'), span('b', 'eee19b7ec3c1b175'));
    const { error, response } = await exportCall(client, encodeProtobufRequest(request));
    expect(error).toBeNull();
    expect(decodeProtobufResponse(response!)).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.projectId).toBe('default');
    expect(sink.batches[0]!.request()).toEqual(request);
  });

  it('gRPC Export reports rejected spans as a partial success', async () => {
    const request = requestOf(span('good', 'eee19b7ec3c1b174'), span('bad', '00'));
    const { error, response } = await exportCall(client, encodeProtobufRequest(request));
    expect(error).toBeNull();
    const outcome = decodeProtobufResponse(response!);
    expect(outcome.rejectedSpans).toBe(1);
    expect(outcome.errorMessage).toContain('span "bad"');
    expect(sink.batches.map((b) => b.spanCount)).toEqual([1]);
  });

  it('gRPC Export answers INVALID_ARGUMENT for bytes that are not a request', async () => {
    const { error } = await exportCall(client, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain('invalid OTLP protobuf payload');
    expect(sink.batches).toHaveLength(0);
  });

  it('gRPC Export answers UNAVAILABLE with RetryInfo when the sink is unavailable', async () => {
    sink.failWith = retryable('ClickHouse unavailable', { retryAfterMs: 2000 });
    const { error } = await exportCall(
      client,
      encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174'))),
    );
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).toBe('ClickHouse unavailable');
    const [details] = error!.metadata.get('grpc-status-details-bin');
    expect(details).toBeInstanceOf(Buffer);
    expect(decodeRpcStatus(details as Buffer)).toEqual({
      code: grpc.status.UNAVAILABLE,
      message: 'ClickHouse unavailable',
      retryAfterMs: 2000,
    });
  });

  it('gRPC Export answers RESOURCE_EXHAUSTED when the pipeline is full', async () => {
    sink.failWith = retryable('batch queue full', { reason: 'exhausted' });
    const { error } = await exportCall(
      client,
      encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174'))),
    );
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const [details] = error!.metadata.get('grpc-status-details-bin');
    expect(decodeRpcStatus(details as Buffer).retryAfterMs).toBe(1000);
  });

  it('gRPC Export answers INVALID_ARGUMENT when the sink refuses the data for good', async () => {
    sink.failWith = permanent('cannot parse row');
    const { error } = await exportCall(
      client,
      encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174'))),
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toBe('cannot parse row');
  });

  it('serves OTLP/HTTP on its own port', async () => {
    const res = await fetch(`http://127.0.0.1:${receiver.ports().http}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeProtobufRequest(requestOf(span('http', 'eee19b7ec3c1b174'))),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(sink.batches.map((b) => b.spanCount)).toEqual([1]);
  });
});

describe('otlp receiver lifecycle', () => {
  it('shuts down safely without start, and only once', async () => {
    const receiver = otlpReceiverFactory.create(settings, config, memorySink());
    const first = receiver.shutdown();
    expect(receiver.shutdown()).toBe(first);
    await expect(first).resolves.toBeUndefined();
  });

  it('closes its listeners on shutdown, idempotently', async () => {
    const receiver = otlpReceiverFactory.create(settings, config, memorySink());
    await receiver.start();
    const { http } = receiver.ports();
    await Promise.all([receiver.shutdown(), receiver.shutdown()]);
    await receiver.shutdown();
    await expect(
      fetch(`http://127.0.0.1:${http}/v1/traces`, {
        method: 'POST',
        body: 'x',
        signal: AbortSignal.timeout(2000),
      }),
    ).rejects.toThrow();
  });

  it('fails to start when its HTTP port is taken, and shutdown then frees the gRPC port', async () => {
    const listen = (server: Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
      });
    const close = (server: Server) => new Promise((resolve) => server.close(resolve));
    const blocker = createServer();
    const taken = await listen(blocker, 0);
    try {
      const receiver = otlpReceiverFactory.create(
        settings,
        otlpReceiverConfig.parse({
          grpc: { endpoint: '127.0.0.1:0' },
          http: { endpoint: `127.0.0.1:${taken}` },
        }),
        memorySink(),
      );
      await expect(receiver.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const grpcPort = receiver.ports().grpc!;
      expect(grpcPort).toBeGreaterThan(0);
      await receiver.shutdown();
      const probe = createServer();
      await expect(listen(probe, grpcPort)).resolves.toBe(grpcPort);
      await close(probe);
    } finally {
      await close(blocker);
    }
  });

  it('starts only the enabled transports', async () => {
    const receiver = otlpReceiverFactory.create(
      settings,
      otlpReceiverConfig.parse({ grpc: { enabled: false }, http: { endpoint: '127.0.0.1:0' } }),
      memorySink(),
    );
    await receiver.start();
    try {
      expect(receiver.ports().grpc).toBeUndefined();
      expect(receiver.ports().http).toBeGreaterThan(0);
    } finally {
      await receiver.shutdown();
    }
  });
});
