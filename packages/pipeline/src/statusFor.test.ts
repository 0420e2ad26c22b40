import { describe, expect, it } from 'vitest';
import { type ExportError, permanent, retryable, toExportError } from './exportError.ts';
import { GrpcCode, statusFor, type TransportStatus } from './statusFor.ts';

// OTLP specification, "OTLP/gRPC" and "OTLP/HTTP" → "Failures" and "Throttling": retryable answers
// are UNAVAILABLE / RESOURCE_EXHAUSTED (with RetryInfo) and 429 / 503 (with Retry-After); permanent
// ones INVALID_ARGUMENT and 400, or 413 for a request too large to ever fit.
const table: Array<{ error: ExportError; status: TransportStatus }> = [
  {
    error: permanent('span 3 has an empty trace id'),
    status: { grpc: GrpcCode.INVALID_ARGUMENT, http: 400 },
  },
  {
    error: permanent('decoded request of 80 MiB passes maxDecodedBytes', { tooLarge: true }),
    status: { grpc: GrpcCode.INVALID_ARGUMENT, http: 413 },
  },
  {
    error: retryable('ClickHouse unavailable'),
    status: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryAfterMs: 1000, retryAfter: '1' },
  },
  {
    error: retryable('restarting', { retryAfterMs: 2500 }),
    status: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryAfterMs: 2500, retryAfter: '3' },
  },
  {
    error: retryable('batch queue full', { reason: 'exhausted' }),
    status: { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 429, retryAfterMs: 1000, retryAfter: '1' },
  },
  {
    error: retryable('throttled', { reason: 'exhausted', retryAfterMs: 200 }),
    status: { grpc: GrpcCode.RESOURCE_EXHAUSTED, http: 429, retryAfterMs: 200, retryAfter: '1' },
  },
  {
    error: toExportError(new Error('socket hang up')),
    status: { grpc: GrpcCode.UNAVAILABLE, http: 503, retryAfterMs: 1000, retryAfter: '1' },
  },
];

describe('statusFor', () => {
  it.each(table)('$error.kind "$error.message" → $status.grpc / $status.http', ({ error, status }) => {
    expect(statusFor(error)).toEqual(status);
  });

  it('uses the gRPC code numbers of google.rpc.Code', () => {
    expect(GrpcCode).toEqual({ INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 });
  });

  it('gives every retryable answer a retry delay and no permanent one', () => {
    for (const { error } of table) {
      const status = statusFor(error);
      expect(status.retryAfterMs !== undefined).toBe(error.kind === 'retryable');
      expect([429, 502, 503, 504].includes(status.http)).toBe(error.kind === 'retryable');
    }
  });
});
