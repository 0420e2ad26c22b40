import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { recordingExporter } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('sender-bounds');
let llmp: LlmpProcess;
const maxInFlightRequests = 8;
const maxPendingSpans = 100;

beforeAll(async () => {
  // Small bounds and deadlines so the test stays short; the defaults are in the README's Limits.
  llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    extraYaml: ['processors:', `  batch: { maxPendingSpans: ${maxPendingSpans}, timeout: 50ms }`].join('\n'),
    otlp: {
      maxInFlightRequests,
      http: { readHeaderTimeout: '2s', readTimeout: '3s' },
      grpc: { keepalive: { maxConnectionAge: '2s', maxConnectionAgeGrace: '1s' } },
    },
  });
});
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/**
 * An upload that sends its headers and then one body byte a second, as a sender on a bad link
 * (or a hostile one) does; resolves with what the server answered once it closed the connection.
 */
function tricklingUpload(port: number): { closed: Promise<string>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk.toString();
  });
  socket.on('error', () => {});
  const body = otlpJsonTrace({ spans: 1 }).body;
  socket.write(
    `POST /v1/traces HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
  }, 1000);
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(answer);
    }),
  );
  return { closed, socket };
}

/**
 * A gRPC connection whose streams send their headers and the start of a message announcing
 * 1 000 bytes, then nothing; resolves `closed` once the server has ended every one of them.
 */
function tricklingGrpcStreams(
  port: number,
  streams: number,
): { closed: Promise<void>; session: http2.ClientHttp2Session } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const ends: Promise<void>[] = [];
  for (let i = 0; i < streams; i++) {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => {});
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(1000, 1);
    stream.write(Buffer.concat([prefix, Buffer.alloc(10)]));
    ends.push(new Promise((resolve) => stream.once('close', () => resolve())));
  }
  return { closed: Promise.all(ends).then(() => undefined), session };
}

describe('bounds on what real senders do', () => {
  it('over gRPC: unfinished streams take no slot a normal sender needs, and end at maxConnectionAge plus its grace', async () => {
    const slow = [tricklingGrpcStreams(llmp.grpcPort, 32), tricklingGrpcStreams(llmp.grpcPort, 32)];
    try {
      await Promise.all(slow.map(({ session }) => new Promise((r) => session.ping(r))));
      // The real OpenTelemetry SDK gRPC exporter is served while 64 unfinished streams are open.
      const exporter = recordingExporter(new GrpcExporter({ url: `http://127.0.0.1:${llmp.grpcPort}` }));
      const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
      provider.getTracer('sender-bounds').startSpan('normal grpc sender').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
      // The connection's age (2 s) and grace (1 s) end every unfinished stream.
      await Promise.all(slow.map((s) => s.closed));
    } finally {
      for (const s of slow) s.session.destroy();
    }
  }, 20_000);

  it('cuts off uploads that trickle their body at the read deadline, and never lets them take the slots a normal sender needs', async () => {
    const slow = Array.from({ length: maxInFlightRequests * 2 }, () => tricklingUpload(llmp.httpPort));
    try {
      // Let every trickling upload get its headers in and start its body.
      await new Promise((r) => setTimeout(r, 500));
      // The real OpenTelemetry SDK exporter is served while the slow uploads are still open.
      await sendSpans(llmp.httpPort, (tracer) => tracer.startSpan('normal sender').end());
      expect(slow.every((s) => !s.socket.destroyed)).toBe(true);
      // The read deadline (3 s here) cuts each slow upload: a 408 or a closed connection, never a 200.
      const answers = await Promise.all(slow.map((s) => s.closed));
      for (const answer of answers) expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      for (const s of slow) s.socket.destroy();
    }
  }, 20_000);

  it('refuses a request with more spans than maxPendingSpans for good: 413 over HTTP with the bound in the message', async () => {
    const res = await postJson(llmp.httpPort, otlpJsonTrace({ spans: maxPendingSpans + 1 }).body);
    expect(res.status).toBe(413);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(((await res.json()) as { message: string }).message).toContain('maxPendingSpans');
    // A request within the bound is stored as before.
    expect((await postJson(llmp.httpPort, otlpJsonTrace({ spans: maxPendingSpans }).body)).status).toBe(200);
  });

  it('refuses a request with more spans than maxPendingSpans for good over gRPC: INVALID_ARGUMENT, never retried', async () => {
    const exporter = recordingExporter(new GrpcExporter({ url: `http://127.0.0.1:${llmp.grpcPort}` }));
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'huge-batch' }),
      spanProcessors: [new BatchSpanProcessor({ exporter, maxExportBatchSize: 1000, maxQueueSize: 2000 })],
    });
    const tracer = provider.getTracer('sender-bounds');
    for (let i = 0; i <= maxPendingSpans; i++) tracer.startSpan(`span ${i}`).end();
    // The SDK's flush rejects with the export's error; the recording exporter keeps the result.
    await provider.forceFlush().catch(() => {});
    await provider.shutdown();
    expect(exporter.results).toHaveLength(1);
    const [result] = exporter.results;
    expect(result!.code).toBe(ExportResultCode.FAILED);
    // grpc-js words the status as "<code> <NAME>: <details>".
    expect(result!.error?.message).toMatch(/^3 INVALID_ARGUMENT: .*maxPendingSpans/);
  }, 20_000);

  it('stores span times as sent or refuses the span with a message (partial success), and reads durationNs back exact', async () => {
    const traceId = 'd7'.repeat(16);
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, name: string, start: bigint, end: bigint) => ({
      traceId,
      spanId,
      name,
      kind: 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
    });
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'times' } }] },
          scopeSpans: [
            {
              spans: [
                // A duration past 2^53 ns: a JSON number would round it.
                span('0000000000000001', 'long', 1n, now + 123n),
                span('0000000000000002', 'after 2262', 2n ** 63n, 2n ** 63n + 1n),
                span('0000000000000003', 'ends before it starts', now, now - 1n),
              ],
            },
          ],
        },
      ],
    });
    const res = await postJson(llmp.httpPort, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string };
    };
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(2);
    expect(answer.partialSuccess?.errorMessage).toContain('after 2262');
    expect(answer.partialSuccess?.errorMessage).toContain('ends before it starts');
    await expect
      .poll(async () => (await llmp.api(`/v1/traces/${traceId}`)).status, { timeout: 10_000 })
      .toBe(200);
    const trace = (await (await llmp.api(`/v1/traces/${traceId}`)).json()) as {
      spans: Array<{ name: string; startTimeUnixNano: string; endTimeUnixNano: string; durationNs: unknown }>;
    };
    expect(trace.spans.map((s) => s.name)).toEqual(['long']);
    expect(trace.spans[0]!.startTimeUnixNano).toBe('1');
    expect(trace.spans[0]!.endTimeUnixNano).toBe((now + 123n).toString());
    expect(trace.spans[0]!.durationNs).toBe((now + 122n).toString());
  });
});

/**
 * A gRPC Export call over a raw HTTP/2 stream that sends the message's length prefix and then one
 * byte of the message a second; resolves with the grpc-status it was answered once the stream closed.
 */
function tricklingCall(session: http2.ClientHttp2Session): Promise<string | undefined> {
  const stream = session.request({
    ':method': 'POST',
    ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  let status: string | undefined;
  const record = (headers: http2.IncomingHttpHeaders) => {
    status ??= headers['grpc-status'] as string | undefined;
  };
  stream.on('response', record);
  stream.on('trailers', record);
  stream.on('error', () => {});
  stream.resume();
  stream.write(Buffer.from([0, 0, 0, 1, 0]));
  const timer = setInterval(() => {
    if (!stream.closed) stream.write(Buffer.from([0x0a]));
  }, 1000);
  return new Promise((resolve) =>
    stream.on('close', () => {
      clearInterval(timer);
      resolve(status);
    }),
  );
}

describe('the gRPC read deadline (llmp start with receivers.otlp.grpc.readTimeout: 2s)', () => {
  let deadlined: LlmpProcess;
  beforeAll(async () => {
    // No keepalive bound here: only the read deadline can end the trickling calls.
    deadlined = await startLlmp({ dataDir: `${dir.path}/deadline`, otlp: { grpc: { readTimeout: '2s' } } });
  });
  afterAll(() => deadlined?.stop('SIGKILL'));

  it('ends gRPC calls that trickle their message with DEADLINE_EXCEEDED, while the SDK gRPC exporter is answered OK', async () => {
    const sessions = Array.from({ length: 4 }, () => {
      const session = http2.connect(`http://127.0.0.1:${deadlined.grpcPort}`);
      session.on('error', () => {});
      return session;
    });
    try {
      const calls = sessions.flatMap((session) => Array.from({ length: 32 }, () => tricklingCall(session)));
      await Promise.all(sessions.map((session) => new Promise((r) => session.ping(r))));
      const exporter = recordingExporter(new GrpcExporter({ url: `http://127.0.0.1:${deadlined.grpcPort}` }));
      const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
      provider.getTracer('sender-bounds').startSpan('normal grpc sender').end();
      await provider.forceFlush();
      await provider.shutdown();
      expect(exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
      // Every trickling call is answered DEADLINE_EXCEEDED (4), none OK.
      expect(new Set(await Promise.all(calls))).toEqual(new Set(['4']));
    } finally {
      for (const session of sessions) session.destroy();
    }
  }, 20_000);
});
