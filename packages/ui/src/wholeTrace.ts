import type { ApiClient } from './apiClient.ts';
import type { TraceResponse } from './apiTypes.ts';

/**
 * Every span of a trace: `GET /v1/traces/{id}` answers at most 10 000 spans a part, with
 * `next_cursor` while more follow.
 * @example const trace = await wholeTrace(client, traceId, controller.signal);
 */
export async function wholeTrace(
  client: ApiClient,
  traceId: string,
  signal?: AbortSignal,
): Promise<TraceResponse> {
  const first = await client.get<TraceResponse>(`/v1/traces/${traceId}`, signal);
  const spans = [...first.spans];
  let cursor = first.next_cursor;
  while (cursor) {
    const part = await client.get<TraceResponse>(
      `/v1/traces/${traceId}?cursor=${encodeURIComponent(cursor)}`,
      signal,
    );
    spans.push(...part.spans);
    cursor = part.next_cursor;
  }
  return { traceId: first.traceId, spans };
}
