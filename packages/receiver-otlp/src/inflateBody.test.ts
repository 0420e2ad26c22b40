import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyError, inflateBody } from './inflateBody.ts';

const payload = new TextEncoder().encode('{"resourceSpans":[]}'.repeat(100));

function bodyError(run: () => unknown): BodyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BodyError);
    return error as BodyError;
  }
  throw new Error('expected a BodyError');
}

describe('inflateBody', () => {
  it('returns an identity body as it is', () => {
    for (const encoding of [undefined, '', 'identity', ' Identity ']) {
      expect(inflateBody(payload, encoding, payload.byteLength)).toBe(payload);
    }
  });

  it.each([
    ['gzip', zlib.gzipSync],
    ['x-gzip', zlib.gzipSync],
    ['GZIP', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
    ['zstd', zlib.zstdCompressSync],
  ] as const)('decompresses %s', (encoding, compress) => {
    const compressed = compress(payload);
    expect(compressed.byteLength).toBeLessThan(payload.byteLength);
    expect(
      Buffer.from(inflateBody(compressed, encoding, payload.byteLength)).equals(Buffer.from(payload)),
    ).toBe(true);
  });

  it('answers 415 for an unknown encoding', () => {
    const error = bodyError(() => inflateBody(payload, 'compress', 1 << 20));
    expect(error.status).toBe(415);
    expect(error.message).toContain('"compress"');
  });

  it('answers 413 for an identity body over the limit', () => {
    expect(inflateBody(payload, 'identity', payload.byteLength)).toBe(payload);
    expect(bodyError(() => inflateBody(payload, 'identity', payload.byteLength - 1)).status).toBe(413);
    expect(bodyError(() => inflateBody(payload, undefined, 10)).status).toBe(413);
  });

  it('answers 413 when the decompressed body is over the limit', () => {
    const compressed = zlib.gzipSync(payload);
    expect(compressed.byteLength).toBeLessThan(payload.byteLength - 1);
    const error = bodyError(() => inflateBody(compressed, 'gzip', payload.byteLength - 1));
    expect(error.status).toBe(413);
    expect(error.message).toContain('after gzip decompression');
    expect(bodyError(() => inflateBody(zlib.deflateSync(payload), 'deflate', 100)).status).toBe(413);
    expect(bodyError(() => inflateBody(zlib.brotliCompressSync(payload), 'br', 100)).status).toBe(413);
    expect(bodyError(() => inflateBody(zlib.zstdCompressSync(payload), 'zstd', 100)).status).toBe(413);
  });

  it('refuses a gzip bomb quickly, without inflating it', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
    expect(bomb.byteLength).toBeLessThan(100 * 1024);
    const started = performance.now();
    const error = bodyError(() => inflateBody(bomb, 'gzip', 1024 * 1024));
    const elapsedMs = performance.now() - started;
    expect(error.status).toBe(413);
    expect(elapsedMs).toBeLessThan(250);
  });

  it('answers 400 for corrupt or truncated compressed data', () => {
    const notGzip = bodyError(() =>
      inflateBody(new TextEncoder().encode('not gzip at all'), 'gzip', 1 << 20),
    );
    expect(notGzip.status).toBe(400);
    expect(notGzip.message).toContain('not valid gzip');
    const gzip = zlib.gzipSync(payload);
    expect(bodyError(() => inflateBody(gzip.subarray(0, gzip.byteLength - 8), 'gzip', 1 << 20)).status).toBe(
      400,
    );
    const flipped = Buffer.from(gzip);
    flipped[20] = flipped[20]! ^ 0xff;
    expect(bodyError(() => inflateBody(flipped, 'gzip', 1 << 20)).status).toBe(400);
    expect(bodyError(() => inflateBody(payload, 'deflate', 1 << 20)).status).toBe(400);
  });
});
