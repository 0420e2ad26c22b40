import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeProtobufRequest } from '@llmp/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { connectHttp2, rawExport } from './testing/rawGrpcExport.ts';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

// Issue 16, item 2/3 over gRPC: the bytes of a message still being read count in
// maxInFlightBytes, as OTLP/HTTP bodies do while they arrive. grpc-js buffers a message until it
// is whole (up to maxRecvMsgSize), so without this 250 streams × 20 MiB could be held unbounded.

const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
const KiB = 1024;
let running: RunningReceiver | undefined;
const sessions: http2.ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await running?.close();
});

const connect = (port: number) => connectHttp2(port, sessions);

/** An Export call announcing a `announced`-byte message and sending only `sent` bytes of it. */
function partialCall(session: http2.ClientHttp2Session, announced: number, sent: number) {
  const { stream, closed } = rawExport(session, announced);
  stream.write(Buffer.alloc(sent, 0x0a));
  return { stream, closed: closed.then(({ grpcStatus }) => grpcStatus) };
}

async function inFlightBytes(registry: RunningReceiver['registry']): Promise<number> {
  const gauge = await registry.getSingleMetric('llmp_receiver_in_flight_bytes')!.get();
  return gauge.values[0]?.value ?? 0;
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('otlp receiver: gRPC message bytes being read count in maxInFlightBytes', () => {
  it('holds the bytes of an unfinished message, refuses a call whose bytes pass the bound with RESOURCE_EXHAUSTED, and gives them back when the call ends', async () => {
    running = await runReceiver(memorySink(), {
      maxInFlightBytes: '1MiB',
      limits: { maxDecodedBytes: '512KiB' },
      grpc: { maxRecvMsgSize: '4MiB' },
    });
    const registry = running.registry;
    const session = await connect(running.receiver.ports().grpc!);
    const first = partialCall(session, 3 * 1024 * KiB, 600 * KiB);
    await until(async () => (await inFlightBytes(registry)) >= 600 * KiB);

    // The second call's bytes do not fit beside the first's: refused while it is still sending.
    const second = partialCall(session, 3 * 1024 * KiB, 600 * KiB);
    expect(await second.closed).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
    const refused = await registry.getSingleMetric('llmp_receiver_refused_requests_total')!.get();
    expect(refused.values.find((v) => v.labels.transport === 'grpc')?.labels.reason).toBe('overloaded');

    // The first call gives up: its bytes are released and a normal sender is served.
    first.stream.close(http2.constants.NGHTTP2_CANCEL);
    await first.closed;
    await until(async () => (await inFlightBytes(registry)) === 0);
    expect((await running.grpcExport(body)).status).toBe(grpc.status.OK);
    expect(await inFlightBytes(registry)).toBe(0);
  }, 15_000);
});
