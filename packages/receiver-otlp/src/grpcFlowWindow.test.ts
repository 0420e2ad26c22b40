import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { encodeProtobufRequest } from '@llmp/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { otlpReceiverConfig } from './otlpReceiverConfig.ts';
import { connectHttp2, rawExport } from './testing/rawGrpcExport.ts';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
const closing: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** A receiver with `overrides` and one raw HTTP/2 connection to its gRPC port (its settings in). */
async function connected(overrides: Record<string, unknown> = {}) {
  const sink = memorySink();
  const running: RunningReceiver = await runReceiver(sink, overrides);
  closing.push(() => running.close());
  const session = await connectHttp2(running.receiver.ports().grpc!, []);
  closing.push(() => session.destroy());
  return { sink, session };
}

/** One whole Export call on the session; resolves with its grpc-status. */
async function exportOnce(session: http2.ClientHttp2Session): Promise<string | undefined> {
  const call = rawExport(session, body.length);
  call.stream.end(body);
  return (await call.closed).grpcStatus;
}

/** The server's SETTINGS_INITIAL_WINDOW_SIZE as the client sees it, once it is `size`. */
async function streamWindow(session: http2.ClientHttp2Session, size: number): Promise<number | undefined> {
  while (session.remoteSettings.initialWindowSize !== size) {
    const changed = new Promise((resolve) => session.once('remoteSettings', resolve));
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
    if ((await Promise.race([changed.then(() => true), timeout.then(() => false)])) === false) break;
  }
  return session.remoteSettings.initialWindowSize;
}

describe('otlp receiver: HTTP/2 receive windows of gRPC connections', () => {
  it('widens a connection to 1 MiB per stream and 8 MiB in all at its first call (Node keeps 64 KiB)', async () => {
    const { sink, session } = await connected();
    // Before any call the server speaks with Node's defaults (RFC 9113 §6.9.2: 65 535).
    expect(session.remoteSettings.initialWindowSize).toBe(65_535);
    expect(session.state.remoteWindowSize).toBe(65_535);

    expect(await exportOnce(session)).toBe(String(grpc.status.OK));
    expect(await streamWindow(session, 1024 ** 2)).toBe(1024 ** 2);
    // The connection window: 8 MiB granted, less what the call sent and the server has not yet given back.
    expect(session.state.remoteWindowSize).toBeGreaterThan(8 * 1024 ** 2 - 65_535);
    // Later calls on the same connection keep working (the settings are sent once).
    expect(await exportOnce(session)).toBe(String(grpc.status.OK));
    expect(sink.spans()).toBe(2);
  });

  it('takes the windows from grpc.initialWindowSize and grpc.initialConnWindowSize', async () => {
    const { session } = await connected({
      grpc: { initialWindowSize: '256KiB', initialConnWindowSize: '2MiB' },
    });
    expect(await exportOnce(session)).toBe(String(grpc.status.OK));
    expect(await streamWindow(session, 256 * 1024)).toBe(256 * 1024);
    expect(session.state.remoteWindowSize).toBeGreaterThan(2 * 1024 ** 2 - 65_535);
    expect(session.state.remoteWindowSize).toBeLessThanOrEqual(2 * 1024 ** 2);
  });

  it('refuses a window HTTP/2 cannot carry at start', () => {
    expect(otlpReceiverConfig.safeParse({ grpc: { initialWindowSize: 1000 } }).success).toBe(false);
    expect(otlpReceiverConfig.safeParse({ grpc: { initialConnWindowSize: '4GiB' } }).success).toBe(false);
    expect(otlpReceiverConfig.parse({}).grpc).toMatchObject({
      initialWindowSize: 1024 ** 2,
      initialConnWindowSize: 8 * 1024 ** 2,
    });
  });
});
