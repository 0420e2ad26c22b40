import { describe, expect, it } from 'vitest';
import { protoTypes } from './protoTypes.ts';
import { decodeRpcStatus, encodeRpcStatus, RpcCode } from './rpcStatus.ts';

describe('encodeRpcStatus / decodeRpcStatus', () => {
  it('round-trips a status without details', () => {
    const bytes = encodeRpcStatus({ code: RpcCode.INVALID_ARGUMENT, message: 'resourceSpans[0]: bad' });
    expect(decodeRpcStatus(bytes)).toEqual({ code: 3, message: 'resourceSpans[0]: bad' });
    expect(decodeRpcStatus(bytes)).not.toHaveProperty('retryAfterMs');
  });

  it('round-trips a status with RetryInfo', () => {
    const bytes = encodeRpcStatus({ code: RpcCode.UNAVAILABLE, message: 'queue full', retryAfterMs: 1500 });
    expect(decodeRpcStatus(bytes)).toEqual({ code: 14, message: 'queue full', retryAfterMs: 1500 });
    expect(decodeRpcStatus(encodeRpcStatus({ code: 8, message: 'slow down', retryAfterMs: 0 }))).toEqual({
      code: 8,
      message: 'slow down',
      retryAfterMs: 0,
    });
    expect(
      decodeRpcStatus(encodeRpcStatus({ code: 14, message: '', retryAfterMs: 65_250 })).retryAfterMs,
    ).toBe(65_250);
  });

  it('writes RetryInfo as a google.protobuf.Any with seconds and nanos', () => {
    const { status, retryInfo } = protoTypes();
    const bytes = encodeRpcStatus({ code: RpcCode.RESOURCE_EXHAUSTED, message: 'busy', retryAfterMs: 2250 });
    // Other implementations find the detail by its type URL, so it must be on the wire.
    expect(Buffer.from(bytes).includes('type.googleapis.com/google.rpc.RetryInfo')).toBe(true);
    const decoded = status.toObject(status.decode(bytes), { longs: Number }) as {
      code: number;
      details: Array<{ type_url: string; value: Uint8Array }>;
    };
    expect(decoded.code).toBe(8);
    expect(decoded.details).toHaveLength(1);
    expect(decoded.details[0]!.type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const info = retryInfo.toObject(retryInfo.decode(decoded.details[0]!.value), { longs: Number });
    expect(info).toEqual({ retryDelay: { seconds: 2, nanos: 250_000_000 } });
  });

  it('ignores details that are not RetryInfo', () => {
    const { status } = protoTypes();
    const bytes = status
      .encode(
        status.fromObject({
          code: 13,
          message: 'internal',
          details: [
            { type_url: 'type.googleapis.com/google.rpc.DebugInfo', value: new Uint8Array([10, 1, 120]) },
          ],
        }),
      )
      .finish();
    expect(decodeRpcStatus(bytes)).toEqual({ code: 13, message: 'internal' });
  });

  it('uses the gRPC status numbers', () => {
    expect(RpcCode).toEqual({
      OK: 0,
      INVALID_ARGUMENT: 3,
      PERMISSION_DENIED: 7,
      RESOURCE_EXHAUSTED: 8,
      INTERNAL: 13,
      UNAVAILABLE: 14,
      UNAUTHENTICATED: 16,
    });
  });
});
