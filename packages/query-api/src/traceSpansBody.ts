import type { StoredSpan } from '@llmp/clickhouse';

/** Spans serialised per chunk: ~400 KB of JSON for LLM spans, a few ms of the event loop. */
const spansPerChunk = 256;

/**
 * The JSON body of `GET /v1/traces/{traceId}` (`{ traceId, spans, next_cursor? }`, the same text
 * JSON.stringify gives) as a stream written a few hundred spans at a time: a part of 10 000 LLM
 * spans is ~15 MB, which built whole is one string plus its UTF-8 copy, and holds the event loop
 * (other requests, the receivers) for its whole serialisation.
 * @example return c.body(traceSpansBody({ traceId, spans }), 200, { 'content-type': 'application/json' });
 */
export function traceSpansBody({
  traceId,
  spans,
  nextCursor,
}: {
  traceId: string;
  spans: readonly StoredSpan[];
  nextCursor?: string | undefined;
}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next > spans.length) return;
      let text = next === 0 ? `{"traceId":${JSON.stringify(traceId)},"spans":[` : '';
      const end = Math.min(next + spansPerChunk, spans.length);
      for (let i = next; i < end; i++) text += (i === 0 ? '' : ',') + JSON.stringify(spans[i]);
      next = end;
      if (next === spans.length) {
        text += nextCursor === undefined ? ']}' : `],"next_cursor":${JSON.stringify(nextCursor)}}`;
        next = spans.length + 1;
      }
      controller.enqueue(encoder.encode(text));
      if (next > spans.length) controller.close();
    },
  });
}
