import * as zlib from 'node:zlib';

/** The body cannot be decompressed within the limit, or its encoding is unknown. */
export class BodyError extends Error {
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.name = 'BodyError';
    this.status = status;
  }
}

/**
 * Decompresses an HTTP body by its Content-Encoding, never producing more than `limit` bytes:
 * zlib stops at `maxOutputLength`, so a decompression bomb is refused without being inflated.
 * @example const raw = inflateBody(body, 'gzip', 20 * 1024 ** 2);
 */
export function inflateBody(body: Uint8Array, encoding: string | undefined, limit: number): Uint8Array {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === '' || name === 'identity') {
    if (body.byteLength > limit) throw new BodyError(413, `body is larger than ${limit} bytes`);
    return body;
  }
  const options = { maxOutputLength: limit };
  try {
    switch (name) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(body, options);
      case 'deflate':
        return zlib.inflateSync(body, options);
      case 'br':
        return zlib.brotliDecompressSync(body, options);
      case 'zstd':
        // zstd arrived in Node 22.15; older runtimes answer 415 like any unknown encoding.
        if (typeof zlib.zstdDecompressSync === 'function') return zlib.zstdDecompressSync(body, options);
        throw new BodyError(415, 'Content-Encoding zstd needs Node >= 22.15 on the server');
      default:
        throw new BodyError(
          415,
          `unsupported Content-Encoding "${encoding}" (use gzip, deflate, zstd or br)`,
        );
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new BodyError(413, `body is larger than ${limit} bytes after ${name} decompression`);
    }
    throw new BodyError(400, `body is not valid ${name} data: ${(error as Error).message}`);
  }
}
