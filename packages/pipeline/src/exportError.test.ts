import { describe, expect, it } from 'vitest';
import { ExportError, permanent, retryable, toExportError } from './exportError.ts';

describe('retryable / permanent', () => {
  it('makes a retryable error, unavailable unless told otherwise', () => {
    const cause = new Error('ECONNREFUSED');
    const error = retryable('store unavailable', { cause });
    expect(error).toBeInstanceOf(ExportError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'ExportError',
      kind: 'retryable',
      reason: 'unavailable',
      message: 'store unavailable',
      retryAfterMs: undefined,
    });
    expect(error.cause).toBe(cause);
  });

  it('carries the exhausted reason and the retry hint', () => {
    const error = retryable('queue full', { reason: 'exhausted', retryAfterMs: 1500 });
    expect(error).toMatchObject({ kind: 'retryable', reason: 'exhausted', retryAfterMs: 1500 });
  });

  it('makes a permanent error without a retry reason', () => {
    const cause = new Error('bad row');
    const error = permanent('span 3 has an empty trace id', { cause });
    expect(error).toMatchObject({
      kind: 'permanent',
      reason: undefined,
      message: 'span 3 has an empty trace id',
    });
    expect(error.cause).toBe(cause);
    expect(new ExportError('permanent', 'x', { reason: 'exhausted' }).reason).toBeUndefined();
  });
});

describe('toExportError', () => {
  it('passes an ExportError through unchanged', () => {
    const original = permanent('bad data');
    expect(toExportError(original)).toBe(original);
    const throttled = retryable('slow down', { reason: 'exhausted' });
    expect(toExportError(throttled)).toBe(throttled);
  });

  it('treats any other Error as retryable, keeping its message and cause', () => {
    const cause = new TypeError('fetch failed');
    const error = toExportError(cause);
    expect(error).toMatchObject({ kind: 'retryable', reason: 'unavailable', message: 'fetch failed' });
    expect(error.cause).toBe(cause);
  });

  it('treats thrown non-errors as retryable too', () => {
    expect(toExportError('timeout')).toMatchObject({ kind: 'retryable', message: 'timeout' });
    expect(toExportError(undefined)).toMatchObject({ kind: 'retryable', message: 'undefined' });
    expect(toExportError({ code: 27 }).cause).toEqual({ code: 27 });
  });
});
