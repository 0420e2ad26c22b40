import { encodeProtobufRequest } from '@llmp/otlp';
import { type ExportError, permanent, retryable, statusFor, toExportError } from '@llmp/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

// Both transports of one real receiver answer an error of the next consumer through the one map,
// statusFor: the same class (retryable or permanent), the same retry delay, on real listeners.
const errors: Array<{ name: string; error: ExportError }> = [
  { name: 'permanent', error: permanent('bad row') },
  { name: 'permanent, too large', error: permanent('batch passes a bound', { tooLarge: true }) },
  { name: 'unavailable', error: retryable('ClickHouse unavailable') },
  { name: 'unavailable with a hint', error: retryable('restarting', { retryAfterMs: 4000 }) },
  { name: 'exhausted', error: retryable('queue full', { reason: 'exhausted', retryAfterMs: 2000 }) },
  { name: 'not an ExportError', error: toExportError(new Error('socket hang up')) },
];

const retryableGrpc = new Set([8, 14]);
const retryableHttp = new Set([429, 502, 503, 504]);
const body = encodeProtobufRequest(requestOf(span('a', 'eee19b7ec3c1b174')));
const sink = memorySink();
let running: RunningReceiver;

beforeAll(async () => {
  running = await runReceiver(sink);
});
afterAll(() => running?.close());

describe('both OTLP transports answer a consumer error the same way', () => {
  it.each(errors)('$name', async ({ error }) => {
    sink.failWith = error;
    const overGrpc = await running.grpcExport(body);
    const overHttp = await running.httpExport(body);
    const expected = statusFor(error);
    expect([overGrpc.status, overHttp.status]).toEqual([expected.grpc, expected.http]);
    expect(retryableGrpc.has(overGrpc.status)).toBe(error.kind === 'retryable');
    expect(retryableHttp.has(overHttp.status)).toBe(error.kind === 'retryable');
    expect(overGrpc.retryAfterMs).toBe(expected.retryAfterMs);
    expect(overHttp.retryAfterMs).toBe(
      expected.retryAfter === undefined ? undefined : Number(expected.retryAfter) * 1000,
    );
    expect([overGrpc.message, overHttp.message]).toEqual([error.message, error.message]);
    expect(sink.spans()).toBe(0);
  });
});
