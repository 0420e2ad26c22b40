import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeProtobufRequest } from '@llmp/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
let running: RunningReceiver | undefined;
const sessions: http2.ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await running?.close();
});

/**
 * A sender that trickles: each stream sends the request headers and the start of a gRPC message
 * announcing 1 000 bytes, then nothing more, for as long as the server lets it.
 */
function trickle(
  port: number,
  streams: number,
): { session: http2.ClientHttp2Session; closed: Promise<void>[] } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  sessions.push(session);
  const closed: Promise<void>[] = [];
  for (let i = 0; i < streams; i++) {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(1000, 1);
    stream.write(Buffer.concat([prefix, Buffer.alloc(10)]));
    closed.push(new Promise((resolve) => stream.once('close', () => resolve())));
  }
  return { session, closed };
}

describe('otlp receiver over gRPC with senders that never finish a message (issue 16 item 2)', () => {
  it('answers other senders while 256 unfinished streams are open: they hold no in-flight slot', async () => {
    const sink = memorySink();
    running = await runReceiver(sink, { maxInFlightRequests: 4 });
    const trickling = [
      trickle(running.receiver.ports().grpc!, 128),
      trickle(running.receiver.ports().grpc!, 128),
    ];
    await Promise.all(trickling.map(({ session }) => new Promise((r) => session.ping(r))));
    for (let i = 0; i < 8; i++) expect((await running.grpcExport(body)).status).toBe(grpc.status.OK);
    expect(sink.spans()).toBe(8);
  });

  it('caps the streams one connection may hold open (grpc.maxConcurrentStreams)', async () => {
    running = await runReceiver(memorySink(), { grpc: { maxConcurrentStreams: 8 } });
    const { closed } = trickle(running.receiver.ports().grpc!, 12);
    // Streams past the cap are refused by HTTP/2 (REFUSED_STREAM) at once; the first 8 stay open.
    await Promise.all(closed.slice(8));
    const open = await Promise.race([
      Promise.any(closed.slice(0, 8)).then(() => 'a capped stream closed'),
      new Promise((r) => setTimeout(() => r('open'), 300)),
    ]);
    expect(open).toBe('open');
  });

  it('closes unfinished streams once their connection passes maxConnectionAge plus its grace', async () => {
    running = await runReceiver(memorySink(), {
      grpc: { keepalive: { maxConnectionAge: '300ms', maxConnectionAgeGrace: '300ms' } },
    });
    const { closed } = trickle(running.receiver.ports().grpc!, 16);
    // Every trickling stream is ended by the server; without the bound this never resolves.
    await Promise.all(closed);
    // A sender on a fresh connection is answered as usual.
    expect((await running.grpcExport(body)).status).toBe(grpc.status.OK);
  });
});
