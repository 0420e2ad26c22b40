import { describe, expect, it } from 'vitest';
import { payloadBuffers } from './payloadBuffers.ts';

describe('payloadBuffers', () => {
  it('hands back the buffers given, up to `keep` of at most `maxBytes`, else a size for the spans', () => {
    const buffers = payloadBuffers({ keep: 2, maxBytes: 1024, bytesPerSpan: 100 });
    expect(buffers.take(10_000)).toBe(1_000_000);
    // Never less than 64 KiB: small batches share one size.
    expect(buffers.take(1)).toBe(64 * 1024);
    const [a, b, c, big] = [Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(2048)];
    buffers.give(big);
    buffers.give(a);
    buffers.give(b);
    buffers.give(c);
    const taken = [buffers.take(1), buffers.take(1), buffers.take(1)];
    expect(taken).toEqual([b, a, 64 * 1024]);
    expect(taken[0]).toBe(b);
    expect(taken[1]).toBe(a);
  });
});
