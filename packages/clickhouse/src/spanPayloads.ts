import { genAiOf, type ResourceSpans, type TraceBatch } from '@llmp/otlp';
import { spanRowBinary } from './spanRowBinary.ts';

interface Part {
  bytes: Buffer;
  rows: number;
}

/**
 * The RowBinary payloads of the embedded store's span INSERTs, written part by part ahead of the
 * INSERT. RowBinary is rows end to end, and a batch processor's merge keeps the ResourceSpans
 * objects of the requests it joins, so a request's part can be written as the request reaches
 * the batch (`prepare`), while the batch waits for the others, and the INSERT's payload is the
 * parts joined: with 4 senders the RowBinary of the first three requests is done before the last
 * one arrives instead of after it, while the engine idles (issue 21, docs/benchmarks.md,
 * "idlecycle"). A part not prepared is written at the INSERT. A prepared part is what its spans
 * were when prepared: a batch processor calls `prepare` only on the stage right after it (see
 * `Consumer.prepare`), so nothing changes them in between. Prepared parts live as long as their
 * ResourceSpans (a WeakMap): a request refused or dropped leaves nothing behind.
 * @example const payloads = spanPayloads(); payloads.prepare(batch); … const { bytes, rows } = payloads.payload(merged, room);
 */
export function spanPayloads({ bytesPerSpan = 256 }: { bytesPerSpan?: number } = {}) {
  const ready = new WeakMap<ResourceSpans, Part>();
  const write = (batch: TraceBatch, rs: ResourceSpans, room?: number | Buffer) =>
    spanRowBinary(batch.projectId, { resourceSpans: [rs] }, (span) => genAiOf(batch, span), room);
  return {
    /** Writes the rows of a request that joined a batch; never throws (a request that does not decode is the batch's to refuse). */
    prepare(batch: TraceBatch): void {
      try {
        for (const rs of batch.request().resourceSpans) {
          const spans = rs.scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
          const { bytes, rows } = write(batch, rs, spans * bytesPerSpan);
          ready.set(rs, { bytes, rows });
        }
      } catch {
        // Left to the INSERT, which writes what was not prepared or refuses the batch.
      }
    },
    /**
     * The payload of one INSERT: the prepared parts joined, the others written now, into `room`
     * (a spare buffer, or the size to allocate) when it holds them; `buffer` is where they are,
     * to hand back once the INSERT is over. Without a prepared part, the whole batch is written
     * at once.
     */
    payload(batch: TraceBatch, room?: number | Buffer): { bytes: Buffer; rows: number; buffer: Buffer } {
      const request = batch.request();
      if (!request.resourceSpans.some((rs) => ready.has(rs))) {
        return spanRowBinary(batch.projectId, request, (span) => genAiOf(batch, span), room);
      }
      const parts: Buffer[] = [];
      let rows = 0;
      let length = 0;
      for (const rs of request.resourceSpans) {
        const part = ready.get(rs) ?? write(batch, rs);
        ready.delete(rs);
        parts.push(part.bytes);
        rows += part.rows;
        length += part.bytes.length;
      }
      // Joined into the spare buffer when it is large enough, so buffers keep being reused.
      const buffer = Buffer.isBuffer(room) && room.length >= length ? room : Buffer.allocUnsafe(length);
      let at = 0;
      for (const part of parts) at += part.copy(buffer, at);
      return { bytes: buffer.subarray(0, length), rows, buffer };
    },
  };
}
