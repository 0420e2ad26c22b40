import type { ClickHouseStore } from './clickhouseStore.ts';
import { type Page, type PageRequest, searchSettings, windowStarts } from './searchTraces.ts';
import { QueryParams, type SpanFilter, spanFilterSql } from './spanFilter.ts';
import { isoFromNanos } from './storedSpan.ts';
import { firstTraceLinks } from './traceJobAttribution.ts';

/** A span as a search lists it: identity, timing, status and the canonical GenAI fields. */
export interface SpanSummary {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  startTime: string;
  startTimeUnixNano: string;
  /** Nanoseconds as a decimal string, exact past 2^53. */
  durationNs: string;
  status: { code: string; message: string };
  spanType: string | null;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number | null;
  inputPreview: string;
  outputPreview: string;
  jobId: string | null;
  jobVersion: string | null;
  sessionId: string | null;
  userId: string | null;
}

interface SpanRecord {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  start_ns: string;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  span_type: string;
  gen_ai_provider: string;
  gen_ai_request_model: string;
  gen_ai_response_model: string;
  gen_ai_input_tokens: string;
  gen_ai_output_tokens: string;
  gen_ai_cache_read_tokens: string;
  gen_ai_cache_write_tokens: string;
  gen_ai_reasoning_tokens: string;
  gen_ai_cost_usd: number | null;
  gen_ai_input_preview: string;
  gen_ai_output_preview: string;
  job_id: string;
  job_version: string;
  session_id: string;
  user_id: string;
}

const orNull = (s: string) => (s === '' ? null : s);

/**
 * The spans matching `filter`, sorted by start time or duration with keyset pagination on
 * (sort value, trace id, span id), so pages neither skip nor repeat a span.
 * @example const page = await searchSpans(store, 'default', { fromNs, toNs, model: 'gpt-4o' }, { sort: 'duration', order: 'desc', limit: 100 });
 */
export async function searchSpans(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
): Promise<Page<SpanSummary>> {
  let records: SpanRecord[] | undefined;
  if (page.sort === 'startTime' && page.order === 'desc') {
    // A span sorts by its own start: the newest `limit + 1` spans starting at or after `lower`
    // are the page's whenever there are that many, so the search reads back from the end of
    // the range (or the cursor) in windows of 1 h, 8 h, 64 h … as trace search does, and only
    // a sparse filter reads the whole range.
    for await (const lower of windowStarts(store, projectId, filter, page)) {
      const window = await searchRange(store, projectId, filter, page, lower);
      if (window.length > page.limit) {
        records = window;
        break;
      }
    }
  }
  records ??= await searchRange(store, projectId, filter, page, undefined);
  return pageOf(store, projectId, page, records);
}

/**
 * The columns a span stored twice shares in `spans`: its sort key (but the project, fixed by
 * every read). ReplacingMergeTree collapses the copies in a merge; until then a read keeps
 * one of each (`LIMIT 1 BY`), which FINAL did by merging the range's parts at read time.
 */
export const spanCopyKey = 'ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId';

/** The first `page.limit + 1` spans of the page among those starting at or after `lowerNs` (all when undefined). */
async function searchRange(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
  lowerNs: bigint | undefined,
): Promise<SpanRecord[]> {
  const db = `\`${store.database}\``;
  const params = new QueryParams();
  const where = spanFilterSql(projectId, filter, params, { database: store.database });
  if (lowerNs !== undefined)
    where.push(`Timestamp >= fromUnixTimestamp64Nano(${params.bind('Int64', lowerNs)}, 'UTC')`);
  const sortColumn = page.sort === 'duration' ? 'toInt64(Duration)' : 'toUnixTimestamp64Nano(Timestamp)';
  const direction = page.order === 'asc' ? 'ASC' : 'DESC';
  if (page.after) {
    const op = page.order === 'asc' ? '>' : '<';
    where.push(
      `(${sortColumn}, TraceId, SpanId) ${op} (${params.bind('Int64', page.after.value)}, ${params.bind('String', page.after.traceId)}, ${params.bind('String', page.after.spanId ?? '')})`,
    );
  }
  // Most pages hold no copy: read as stored, the ORDER BY … LIMIT keeps its partial sort (and
  // reads the wide columns of the page's rows only), which LIMIT 1 BY would turn into a sort
  // of every matching row. When two rows of the page are one span, fewer than limit + 1 spans
  // came back: read again keeping one row per copy key.
  const read = async (deduplicate: boolean) => {
    const result = await store.client.query({
      query: `
      SELECT
        TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
        toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, Duration, StatusCode, StatusMessage,
        span_type, gen_ai_provider, gen_ai_request_model, gen_ai_response_model,
        gen_ai_input_tokens, gen_ai_output_tokens, gen_ai_cache_read_tokens, gen_ai_cache_write_tokens,
        gen_ai_reasoning_tokens, gen_ai_cost_usd, gen_ai_input_preview, gen_ai_output_preview,
        job_id, job_version, session_id, user_id
      FROM ${db}.spans
      WHERE ${where.join(' AND ')}
      ORDER BY ${sortColumn} ${direction}, TraceId ${direction}, SpanId ${direction}
      ${deduplicate ? `LIMIT 1 BY ${spanCopyKey}` : ''}
      LIMIT ${params.bind('UInt32', page.limit + 1)}`,
      query_params: params.values,
      format: 'JSONEachRow',
      clickhouse_settings: searchSettings,
    });
    return result.json<SpanRecord>();
  };
  const stored = await read(false);
  const spans = new Set(stored.map((r) => `${r.TraceId}/${r.SpanId}`));
  return spans.size === stored.length ? stored : read(true);
}

async function pageOf(
  store: ClickHouseStore,
  projectId: string,
  page: PageRequest,
  records: SpanRecord[],
): Promise<Page<SpanSummary>> {
  const shown = records.slice(0, page.limit);
  // A span naming no job belongs to its trace's (see traceJobAttribution.ts).
  const links = await firstTraceLinks(store, projectId, [
    ...new Set(shown.filter((r) => r.job_id === '').map((r) => r.TraceId)),
  ]);
  const items = shown.map(
    (r): SpanSummary => ({
      traceId: r.TraceId,
      spanId: r.SpanId,
      parentSpanId: r.ParentSpanId,
      name: r.SpanName,
      kind: r.SpanKind.toUpperCase(),
      serviceName: r.ServiceName,
      startTime: isoFromNanos(BigInt(r.start_ns)),
      startTimeUnixNano: r.start_ns,
      durationNs: String(r.Duration),
      status: { code: r.StatusCode.toUpperCase(), message: r.StatusMessage },
      spanType: orNull(r.span_type),
      provider: orNull(r.gen_ai_provider),
      requestModel: orNull(r.gen_ai_request_model),
      responseModel: orNull(r.gen_ai_response_model),
      inputTokens: Number(r.gen_ai_input_tokens),
      outputTokens: Number(r.gen_ai_output_tokens),
      cacheReadTokens: Number(r.gen_ai_cache_read_tokens),
      cacheWriteTokens: Number(r.gen_ai_cache_write_tokens),
      reasoningTokens: Number(r.gen_ai_reasoning_tokens),
      costUsd: r.gen_ai_cost_usd,
      inputPreview: r.gen_ai_input_preview,
      outputPreview: r.gen_ai_output_preview,
      jobId: orNull(r.job_id || (links.get(r.TraceId)?.jobId ?? '')),
      jobVersion: orNull(r.job_id ? r.job_version : (links.get(r.TraceId)?.jobVersion ?? '')),
      sessionId: orNull(r.session_id),
      userId: orNull(r.user_id),
    }),
  );
  const last = records.length > page.limit ? records[page.limit - 1] : undefined;
  if (!last) return { items };
  return {
    items,
    next: {
      value: page.sort === 'duration' ? last.Duration : last.start_ns,
      traceId: last.TraceId,
      spanId: last.SpanId,
    },
  };
}
