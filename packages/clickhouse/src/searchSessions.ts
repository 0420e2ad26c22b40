import type { ClickHouseStore } from './clickhouseStore.ts';
import { searchSettings, usageSpans } from './searchTraces.ts';
import { QueryParams, type SpanFilter, spanFilterSql } from './spanFilter.ts';
import { spansFinalSettings } from './spansFinalSettings.ts';
import { isoFromNanos } from './storedSpan.ts';

/** What traces are grouped by: the normalised session or end-user id of their spans. */
export type SessionKey = 'session' | 'user';

const keyColumns: Record<SessionKey, string> = { session: 'session_id', user: 'user_id' };

/** A session (or user) and what its traces add up to. */
export interface SessionSummary {
  id: string;
  traces: number;
  spans: number;
  errorCount: number;
  /** First and last span start of its traces. */
  firstSeen: string;
  lastSeen: string;
  /** Users of a session, sessions of a user (distinct non-empty ids). */
  related: number;
  inputTokens: number;
  outputTokens: number;
  /** Null when no span of its traces carried a cost. */
  costUsd: number | null;
}

interface SessionRecord {
  id: string;
  traces: string;
  spans: string;
  errors: string;
  first_ns: string;
  last_ns: string;
  related: string;
  input_tokens: string;
  output_tokens: string;
  cost: number | null;
}

/**
 * Traces grouped by session or user: each group holds the traces having a span in `filter`
 * that names it (a span without the id, e.g. an LLM call below a root naming the session,
 * counts with its trace), with counts, tokens and cost of those traces' spans in the time
 * range; most recently seen first, at most `limit` groups (`truncated` says more exist).
 * @example const { items } = await searchSessions(store, 'default', filter, { by: 'session', limit: 100 });
 */
export async function searchSessions(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  { by, limit }: { by: SessionKey; limit: number },
): Promise<{ items: SessionSummary[]; truncated: boolean }> {
  const db = `\`${store.database}\``;
  const params = new QueryParams();
  // Column names from the fixed map above, never from the request text.
  const key = keyColumns[by];
  const other = keyColumns[by === 'session' ? 'user' : 'session'];
  const matching = spanFilterSql(projectId, filter, params, { database: store.database });
  const range = spanFilterSql(projectId, { fromNs: filter.fromNs, toNs: filter.toNs }, params, {
    database: store.database,
  });
  const result = await store.client.query({
    query: `
      WITH grouped AS (
        SELECT TraceId, any(${key}) AS id
        FROM ${db}.spans
        WHERE ${[...matching, `${key} != ''`].join(' AND ')}
        GROUP BY TraceId
      )
      SELECT g.id AS id,
        uniqExact(s.TraceId) AS traces,
        count() AS spans,
        countIf(s.StatusCode = 'Error') AS errors,
        toString(min(toUnixTimestamp64Nano(s.Timestamp))) AS first_ns,
        toString(max(toUnixTimestamp64Nano(s.Timestamp))) AS last_ns,
        uniqExactIf(s.${other}, s.${other} != '') AS related,
        sumIf(s.gen_ai_input_tokens, ${usageSpans}) AS input_tokens,
        sumIf(s.gen_ai_output_tokens, ${usageSpans}) AS output_tokens,
        if(countIf(s.gen_ai_cost_usd IS NOT NULL AND ${usageSpans}) = 0, NULL,
           sumIf(assumeNotNull(s.gen_ai_cost_usd), s.gen_ai_cost_usd IS NOT NULL AND ${usageSpans})) AS cost
      FROM ${db}.spans AS s FINAL
      INNER JOIN grouped AS g ON s.TraceId = g.TraceId
      WHERE ${range.join(' AND ')} AND s.TraceId IN (SELECT TraceId FROM grouped)
      GROUP BY id
      ORDER BY last_ns DESC, id
      LIMIT ${params.bind('UInt32', limit + 1)}`,
    query_params: params.values,
    format: 'JSONEachRow',
    clickhouse_settings: { ...searchSettings, ...spansFinalSettings },
  });
  const records = await result.json<SessionRecord>();
  return {
    truncated: records.length > limit,
    items: records.slice(0, limit).map((r) => ({
      id: r.id,
      traces: Number(r.traces),
      spans: Number(r.spans),
      errorCount: Number(r.errors),
      firstSeen: isoFromNanos(BigInt(r.first_ns)),
      lastSeen: isoFromNanos(BigInt(r.last_ns)),
      related: Number(r.related),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costUsd: r.cost === null ? null : Number(r.cost),
    })),
  };
}
