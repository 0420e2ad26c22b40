import * as grpc from '@grpc/grpc-js';
import { encodeProtobufRequest } from '@llmp/otlp';
import { afterEach, describe, expect, it } from 'vitest';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
let running: RunningReceiver | undefined;
afterEach(() => running?.close());

async function refusedTotal(r: RunningReceiver, transport: string): Promise<number> {
  const metric = await r.registry.getSingleMetric('llmp_receiver_refused_requests_total')!.get();
  return metric.values
    .filter((v) => v.labels.transport === transport && v.labels.reason === 'overloaded')
    .reduce((n, v) => n + v.value, 0);
}

describe('otlp receiver at its in-flight bound', () => {
  it('answers 429 / RESOURCE_EXHAUSTED with a retry delay on both transports, counts it, and recovers', async () => {
    const sink = memorySink();
    running = await runReceiver(sink, { maxInFlightRequests: 2 });
    sink.hold();
    // Two requests sit in the pipeline (one per transport), holding both slots.
    const first = running.grpcExport(body);
    const second = running.httpExport(body);
    const inFlight = async () =>
      (await running!.registry.getSingleMetric('llmp_receiver_in_flight_requests')!.get()).values[0]?.value;
    await expect.poll(inFlight).toBe(2);
    const grpcRefused = await running.grpcExport(body);
    const httpRefused = await running.httpExport(body);
    expect([grpcRefused.status, grpcRefused.retryAfterMs]).toEqual([grpc.status.RESOURCE_EXHAUSTED, 1000]);
    expect([httpRefused.status, httpRefused.retryAfterMs]).toEqual([429, 1000]);
    expect(await refusedTotal(running, 'grpc')).toBe(1);
    expect(await refusedTotal(running, 'http')).toBe(1);
    sink.release();
    expect((await first).status).toBe(grpc.status.OK);
    expect((await second).status).toBe(200);
    // The slots are free again; the refused requests were never handed on.
    expect((await running.httpExport(body)).status).toBe(200);
    expect(sink.spans()).toBe(3);
  });

  it('refuses a body that would pass the in-flight byte bound while it is read', async () => {
    const sink = memorySink();
    running = await runReceiver(sink, { maxInFlightBytes: 1024 });
    const big = requestOf(span('big', 'eee19b7ec3c1b174'));
    big.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'x'.repeat(4096);
    const answer = await running.httpExport(encodeProtobufRequest(big));
    expect(answer.status).toBe(429);
    const grpcAnswer = await running.grpcExport(encodeProtobufRequest(big));
    expect(grpcAnswer.status).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(sink.spans()).toBe(0);
    expect((await running.httpExport(body)).status).toBe(200);
  });
});
