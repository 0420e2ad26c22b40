import type { ClickHouseStore } from './clickhouseStore.ts';
import { rollupQuantiles } from './migrations.ts';
import { searchSettings, usageSpans } from './searchTraces.ts';
import { modelColumn, QueryParams, type SpanFilter, spanFilterSql, spanTypeColumn } from './spanFilter.ts';
import { rollupPlan, rollupSource } from './spanMetricsRollup.ts';
import { spansFinalSettings } from './spansFinalSettings.ts';
import { isoFromNanos } from './storedSpan.ts';
import { attributedJobColumn, attributedVersionColumn, traceLinksSource } from './traceJobAttribution.ts';

/**
 * What metrics can be grouped by, and the column each one reads. Job and version are the
 * span's own, else its trace's link (read from spans joined with traceLinksSource).
 */
export const metricDimensions = {
  job: attributedJobColumn,
  jobVersion: attributedVersionColumn,
  model: modelColumn,
  provider: 'gen_ai_provider',
  service: 'ServiceName',
  spanName: 'SpanName',
  spanType: spanTypeColumn,
} as const;

export type MetricDimension = keyof typeof metricDimensions;

export interface MetricsRequest {
  /** One or two dimensions (none: one row for everything selected). */
  groupBy: MetricDimension[];
  /** Bucket width in seconds; absent: no time buckets. */
  stepSeconds?: number | undefined;
  /** Rows at most (the caller bounds it). */
  limit: number;
  /** False: read spans only, never the rollup (to compare, or to count a re-sent span once). */
  rollup?: boolean | undefined;
}

/** What answered: the hourly rollup (with spans for the hours it lacks), or spans alone. */
export type MetricsSource = 'rollup' | 'spans';

export interface MetricsRow {
  group: Partial<Record<MetricDimension, string>>;
  /** Bucket start, when a step was asked for. */
  time?: string;
  count: number;
  errorCount: number;
  errorRate: number;
  durationNs: { p50: number; p90: number; p99: number };
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

interface MetricsRecord {
  [dimension: `d${number}`]: string;
  bucket_ns?: string;
  count: string;
  errors: string;
  q: number[];
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  cost: number;
}

// The aggregates of each source: spans itself, or rows shaped like span_metrics_hourly.
const rawAggregates = `count() AS count,
        countIf(StatusCode = 'Error') AS errors,
        quantiles(0.5, 0.9, 0.99)(Duration) AS q,
        sumIf(gen_ai_input_tokens, ${usageSpans}) AS input_tokens,
        sumIf(gen_ai_output_tokens, ${usageSpans}) AS output_tokens,
        sumIf(gen_ai_cache_read_tokens, ${usageSpans}) AS cache_read_tokens,
        sumIf(gen_ai_cache_write_tokens, ${usageSpans}) AS cache_write_tokens,
        sumIf(gen_ai_reasoning_tokens, ${usageSpans}) AS reasoning_tokens,
        sumIf(assumeNotNull(gen_ai_cost_usd), gen_ai_cost_usd IS NOT NULL AND ${usageSpans}) AS cost`;
const rollupAggregates = `sum(spans) AS count,
        sumIf(spans, StatusCode = 'Error') AS errors,
        ${rollupQuantiles.merge}(duration) AS q,
        sumIf(input_tokens, ${usageSpans}) AS input_tokens,
        sumIf(output_tokens, ${usageSpans}) AS output_tokens,
        sumIf(cache_read_tokens, ${usageSpans}) AS cache_read_tokens,
        sumIf(cache_write_tokens, ${usageSpans}) AS cache_write_tokens,
        sumIf(reasoning_tokens, ${usageSpans}) AS reasoning_tokens,
        sumIf(cost_usd, ${usageSpans}) AS cost`;

/**
 * Aggregates over the spans matching `filter`, per group and optionally per time bucket:
 * count, errors and error rate, duration p50/p90/p99, tokens by kind and cost (tokens and cost
 * from llm and embedding spans only, see usageSpans). `truncated` says rows were left out.
 * Read from the hourly rollup when it answers the request (spanMetricsRollup.ts), else from
 * spans; `rollup: false` reads spans only.
 * @example const { rows } = await spanMetrics(store, 'default', filter, { groupBy: ['model'], stepSeconds: 3600, limit: 1000 });
 */
export async function spanMetrics(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  request: MetricsRequest,
): Promise<{ rows: MetricsRow[]; truncated: boolean; source: MetricsSource }> {
  const params = new QueryParams();
  const byJob = request.groupBy.some((d) => d === 'job' || d === 'jobVersion');
  const plan =
    request.rollup === false ? undefined : await rollupPlan(store, projectId, filter, request.stepSeconds);
  // Dimension names come from the fixed map above, never from the request text.
  const dimensions = request.groupBy.map((d, i) => ({
    name: d,
    alias: `d${i}`,
    // Rows of the rollup's shape carry the attributed job in job_id (rollupSource).
    column: plan && d === 'job' ? 'job_id' : plan && d === 'jobVersion' ? 'job_version' : metricDimensions[d],
  }));
  const keys = dimensions.map((d) => `${d.column} AS ${d.alias}`);
  const groupBy = dimensions.map((d) => d.alias);
  if (request.stepSeconds !== undefined) {
    // The rollup's hour start, or the span's start: the same bucket for a step of whole hours.
    const time = plan ? 'bucket' : 'Timestamp';
    keys.unshift(
      `toString(toUnixTimestamp64Nano(toDateTime64(toStartOfInterval(${time}, toIntervalSecond(${params.bind('UInt32', request.stepSeconds)})), 9, 'UTC'))) AS bucket_ns`,
    );
    groupBy.unshift('bucket_ns');
  }
  const db = `\`${store.database}\``;
  // The links of the traces with spans naming no job among those read (none when all do).
  const unnamed = () =>
    `SELECT TraceId FROM ${db}.spans WHERE ${[...spanFilterSql(projectId, { ...filter, jobId: undefined, jobVersion: undefined }, params, { database: store.database }), "job_id = ''"].join(' AND ')}`;
  const links =
    byJob && !plan
      ? `LEFT ANY JOIN ${traceLinksSource(db, params.bind('String', projectId), unnamed())} AS l USING (TraceId)`
      : '';
  const from = plan
    ? `FROM ${rollupSource(store.database, projectId, filter, plan, params, { byJob })}`
    : `FROM ${db}.spans FINAL ${links}
       WHERE ${spanFilterSql(projectId, filter, params, { database: store.database }).join(' AND ')}`;
  const result = await store.client.query({
    query: `
      SELECT
        ${keys.map((k) => `${k},`).join(' ')}
        ${plan ? rollupAggregates : rawAggregates}
      ${from}
      ${groupBy.length > 0 ? `GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : ''}
      LIMIT ${params.bind('UInt32', request.limit + 1)}`,
    query_params: params.values,
    format: 'JSONEachRow',
    clickhouse_settings: { ...searchSettings, ...spansFinalSettings },
  });
  const records = await result.json<MetricsRecord>();
  const rows = records.slice(0, request.limit).map((r): MetricsRow => {
    const count = Number(r.count);
    const errors = Number(r.errors);
    const group: MetricsRow['group'] = {};
    for (const d of dimensions) group[d.name] = r[d.alias as `d${number}`] ?? '';
    return {
      group,
      ...(r.bucket_ns !== undefined ? { time: isoFromNanos(BigInt(r.bucket_ns)) } : {}),
      count,
      errorCount: errors,
      errorRate: count === 0 ? 0 : errors / count,
      durationNs: { p50: Number(r.q[0]), p90: Number(r.q[1]), p99: Number(r.q[2]) },
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cacheReadTokens: Number(r.cache_read_tokens),
      cacheWriteTokens: Number(r.cache_write_tokens),
      reasoningTokens: Number(r.reasoning_tokens),
      costUsd: Number(r.cost),
    };
  });
  return { rows, truncated: records.length > request.limit, source: plan ? 'rollup' : 'spans' };
}
