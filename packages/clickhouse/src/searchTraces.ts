import type { ClickHouseStore } from './clickhouseStore.ts';
import { QueryParams, type SpanFilter, spanFilterSql } from './spanFilter.ts';
import { isoFromNanos } from './storedSpan.ts';
import { firstTraceLinks } from './traceJobAttribution.ts';

export type SortKey = 'startTime' | 'duration';
export type SortOrder = 'asc' | 'desc';

/** Where a page ends: the sort value and id(s) of its last row, to continue strictly after it. */
export interface PagePosition {
  value: string;
  traceId: string;
  spanId?: string;
}

export interface PageRequest {
  sort: SortKey;
  order: SortOrder;
  /** Rows per page (the caller bounds it). */
  limit: number;
  after?: PagePosition | undefined;
}

export interface TraceSummary {
  traceId: string;
  rootName: string;
  serviceName: string;
  startTime: string;
  startTimeUnixNano: string;
  /** Nanoseconds as a decimal string, exact past 2^53. */
  durationNs: string;
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number | null;
  jobId: string | null;
  jobVersion: string | null;
}

export interface Page<T> {
  items: T[];
  /** Present when more rows follow. */
  next?: PagePosition;
}

interface TraceRecord {
  traceId: string;
  root_name: string;
  service: string;
  start_ns: string;
  dur_ns: string;
  span_count: string;
  error_count: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  cost: number | null;
  trace_job_id: string;
  trace_job_version: string;
}

/**
 * Bounds on every search and metrics query: a query over a huge range stops with an error (the
 * API answers 503) instead of holding the store; rows are bounded by each query's LIMIT.
 */
export const searchSettings = { max_execution_time: 30 } as const;

// Tokens and cost add up model calls only: wrapper spans (the AI SDK's ai.generateText, agent
// and chain spans) may repeat their children's usage, which would count it twice.
export const usageSpans = "span_type IN ('llm', 'embedding')";

const orNull = (s: string) => (s === '' ? null : s);

/**
 * One row per trace having a span that matches `filter` (duration bounds apply to the whole
 * trace), with its root span's name and service, start, duration, span and error counts,
 * tokens, cost and job; sorted by start time or duration with keyset pagination, so pages
 * neither skip nor repeat a trace. A trace with a span in the time range is summarised whole,
 * so its start may precede the range.
 * @example const page = await searchTraces(store, 'default', filter, { sort: 'startTime', order: 'desc', limit: 50 });
 */
export async function searchTraces(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
): Promise<Page<TraceSummary>> {
  const db = `\`${store.database}\``;
  const params = new QueryParams();
  const matching = spanFilterSql(projectId, filter, params, {
    database: store.database,
    withDuration: false,
  });
  const project = params.bind('String', projectId);
  const matched = `SELECT TraceId FROM ${db}.spans WHERE ${matching.join(' AND ')}`;
  // A matching trace is summarised whole, also its spans outside the time range; trace_id_ts
  // bounds the read to the partitions its spans are in, in one look-up.
  const extent = `(SELECT (min(Start), max(End)) FROM ${db}.trace_id_ts WHERE project_id = ${project} AND TraceId IN (${matched}))`;
  const having: string[] = [];
  const durationBound = filter.minDurationNs !== undefined || filter.maxDurationNs !== undefined;
  if (filter.minDurationNs !== undefined)
    having.push(`dur_ns >= ${params.bind('Int64', filter.minDurationNs)}`);
  if (filter.maxDurationNs !== undefined)
    having.push(`dur_ns <= ${params.bind('Int64', filter.maxDurationNs)}`);
  const sortColumn = page.sort === 'duration' ? 'dur_ns' : 'start_ns';
  const direction = page.order === 'asc' ? 'ASC' : 'DESC';
  const afterPage = (sortValue: string) =>
    page.after
      ? `(${sortValue}, TraceId) ${page.order === 'asc' ? '>' : '<'} (${params.bind('Int64', page.after.value)}, ${params.bind('String', page.after.traceId)})`
      : undefined;
  const afterSummary = afterPage(sortColumn);
  if (afterSummary) having.push(afterSummary);
  // Sorted by start with no bound on the trace's duration, a page's traces are known from two
  // columns of their spans (a trace's start is its earliest span's): only those are summarised,
  // not every matching trace (docs/benchmarks.md, _Search: summarise the page_). Read without
  // FINAL: a span stored twice has the same start, unless a sender changed it within the same
  // second (the sort key's precision), which could move that one trace across a page edge.
  const traceStart = 'min(toUnixTimestamp64Nano(Timestamp))';
  let summarised = matched;
  if (page.sort === 'startTime' && !durationBound) {
    const afterStart = afterPage(traceStart);
    summarised = `
      SELECT TraceId FROM ${db}.spans
      WHERE project_id = ${project} AND TraceId IN (${matched})
        AND Timestamp >= matched_range.1 AND Timestamp <= matched_range.2
      GROUP BY TraceId
      ${afterStart ? `HAVING ${afterStart}` : ''}
      ORDER BY ${traceStart} ${direction}, TraceId ${direction}
      LIMIT ${params.bind('UInt32', page.limit + 1)}`;
  }
  const result = await store.client.query({
    query: `
      WITH ${extent} AS matched_range
      SELECT
        TraceId AS traceId,
        if(countIf(ParentSpanId = '') > 0, argMinIf(SpanName, Timestamp, ParentSpanId = ''), argMin(SpanName, Timestamp)) AS root_name,
        if(countIf(ParentSpanId = '') > 0, argMinIf(ServiceName, Timestamp, ParentSpanId = ''), argMin(ServiceName, Timestamp)) AS service,
        ${traceStart} AS start_ns,
        max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) - start_ns AS dur_ns,
        count() AS span_count,
        countIf(StatusCode = 'Error') AS error_count,
        sumIf(gen_ai_input_tokens, ${usageSpans}) AS input_tokens,
        sumIf(gen_ai_output_tokens, ${usageSpans}) AS output_tokens,
        sumIf(gen_ai_cache_read_tokens, ${usageSpans}) AS cache_read_tokens,
        sumIf(gen_ai_cache_write_tokens, ${usageSpans}) AS cache_write_tokens,
        sumIf(gen_ai_reasoning_tokens, ${usageSpans}) AS reasoning_tokens,
        if(countIf(gen_ai_cost_usd IS NOT NULL AND ${usageSpans}) = 0, NULL,
           sumIf(assumeNotNull(gen_ai_cost_usd), gen_ai_cost_usd IS NOT NULL AND ${usageSpans})) AS cost,
        anyIf(job_id, job_id != '') AS trace_job_id,
        anyIf(job_version, job_id != '') AS trace_job_version
      FROM ${db}.spans FINAL
      WHERE project_id = ${project}
        AND TraceId IN (${summarised})
        AND Timestamp >= matched_range.1 AND Timestamp <= matched_range.2
      GROUP BY TraceId
      ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
      ORDER BY ${sortColumn} ${direction}, TraceId ${direction}
      LIMIT ${params.bind('UInt32', page.limit + 1)}`,
    query_params: params.values,
    format: 'JSONEachRow',
    // matched_range is used inside the page's subquery: a server profile may not pass WITH down.
    clickhouse_settings: { ...searchSettings, enable_global_with_statement: 1 },
  });
  const records = await result.json<TraceRecord>();
  const shown = records.slice(0, page.limit);
  // A trace's job is its first link (traceJobAttribution.ts), as every other read has it.
  const links = await firstTraceLinks(
    store,
    projectId,
    shown.map((r) => r.traceId),
  );
  const items = shown.map(
    (r): TraceSummary => ({
      traceId: r.traceId,
      rootName: r.root_name,
      serviceName: r.service,
      startTime: isoFromNanos(BigInt(r.start_ns)),
      startTimeUnixNano: r.start_ns,
      durationNs: String(r.dur_ns),
      spanCount: Number(r.span_count),
      errorCount: Number(r.error_count),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cacheReadTokens: Number(r.cache_read_tokens),
      cacheWriteTokens: Number(r.cache_write_tokens),
      reasoningTokens: Number(r.reasoning_tokens),
      costUsd: r.cost === null ? null : Number(r.cost),
      jobId: orNull(links.get(r.traceId)?.jobId ?? r.trace_job_id),
      jobVersion: orNull(links.get(r.traceId)?.jobVersion ?? r.trace_job_version),
    }),
  );
  const last = records.length > page.limit ? records[page.limit - 1] : undefined;
  if (!last) return { items };
  return {
    items,
    next: { value: page.sort === 'duration' ? last.dur_ns : last.start_ns, traceId: last.traceId },
  };
}
