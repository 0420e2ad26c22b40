import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeProtobufRequest } from '@llmp/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { connectHttp2, type RawExport, rawExport } from './testing/rawGrpcExport.ts';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
let running: RunningReceiver | undefined;
const sessions: http2.ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await running?.close();
});

/**
 * One Export call over a raw HTTP/2 stream that sends the gRPC message prefix and a byte of the
 * message, then one more byte every 200 ms: the sender on a bad link, or a hostile one.
 */
function trickle(session: http2.ClientHttp2Session): Pick<RawExport, 'closed'> {
  const { stream, closed } = rawExport(session, body.length);
  stream.write(body.subarray(0, 1));
  let sent = 1;
  const timer = setInterval(() => {
    if (!stream.closed && sent < body.length - 1) stream.write(body.subarray(sent, ++sent));
  }, 200);
  return { closed: closed.finally(() => clearInterval(timer)) };
}

const connect = (port: number) => connectHttp2(port, sessions);

describe('otlp receiver: gRPC calls that trickle their message', () => {
  it('answers a call whose message is not in by grpc.readTimeout DEADLINE_EXCEEDED, resets its stream, counts it, and serves other senders meanwhile', async () => {
    const sink = memorySink();
    running = await runReceiver(sink, { maxInFlightRequests: 4, grpc: { readTimeout: '1s' } });
    const port = running.receiver.ports().grpc!;
    const trickling: Array<Pick<RawExport, 'closed'>> = [];
    for (let c = 0; c < 4; c++) {
      const session = await connect(port);
      for (let s = 0; s < 10; s++) trickling.push(trickle(session));
    }
    // Forty streams half sent: a normal sender is answered all the same.
    expect((await running.grpcExport(body)).status).toBe(grpc.status.OK);
    const ends = await Promise.all(trickling.map((t) => t.closed));
    for (const end of ends) {
      expect(end.grpcStatus).toBe(String(grpc.status.DEADLINE_EXCEEDED));
      expect(end.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    }
    const refused = await running.registry.getSingleMetric('llmp_receiver_refused_requests_total')!.get();
    const aborted = refused.values.find(
      (v) => v.labels.transport === 'grpc' && v.labels.reason === 'aborted',
    );
    expect(aborted?.value).toBe(trickling.length);
    expect(sink.spans()).toBe(1);
  }, 15_000);
});
