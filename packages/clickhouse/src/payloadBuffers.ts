/**
 * Buffers for RowBinary payloads, handed back once an insert is over and written into again: a
 * new buffer per insert sized for the largest spans (2 KiB each) was 13x too big for small
 * spans, and each was new memory to fault in and collect; one sized for small spans regrew
 * (copying) for large ones (issue 21). Keeps at most `keep` buffers of at most `maxBytes` each.
 * @example const buffers = payloadBuffers(); const room = buffers.take(spans); … buffers.give(payload.buffer);
 */
export function payloadBuffers({
  keep = 4,
  maxBytes = 64 * 1024 * 1024,
  bytesPerSpan = 256,
}: {
  keep?: number;
  maxBytes?: number;
  bytesPerSpan?: number;
} = {}) {
  const spare: Buffer[] = [];
  return {
    /** A buffer to write a payload into, or the bytes to start one with when none is spare. */
    take(spanCount: number): Buffer | number {
      return spare.pop() ?? Math.max(spanCount * bytesPerSpan, 64 * 1024);
    },
    /** Hands back a buffer nothing reads any more (the payload's INSERT is over). */
    give(buffer: Buffer): void {
      if (buffer.length <= maxBytes && spare.length < keep) spare.push(buffer);
    },
  };
}
