import type { ClickHouseStore } from './clickhouseStore.ts';
import { rollupColumns, rollupEndNs, rollupSelect, rollupStartNs } from './migrations.ts';
import { dimensionFilterSql, isDimensionFilter, type QueryParams, type SpanFilter } from './spanFilter.ts';
import { traceLinksSource, tracesLinkedTo } from './traceJobAttribution.ts';

const hourNs = 3_600_000_000_000n;
// Past this many hours with deletions in a range, reading them from spans costs about what
// reading the whole range does.
const maxStaleHours = 48;

/**
 * Why span_metrics_hourly answers a metrics request exactly, and where it does not.
 *
 * Exact: the rollup keeps every column the metrics group or filter by (service, span name,
 * job and job version as the span carries them), counts, token sums and cost per hour, filled
 * on every insert into spans. A span naming no job belongs to its trace's link, which may be
 * stored hours later: grouped or filtered by job, the rollup answers for the spans naming a
 * job and the spans naming none are read from spans, joined with their trace's link
 * (traceJobAttribution.ts). A filter on anything else (duration, session, user,
 * attributes) or a step below an hour is read from spans. The hours the range only partly
 * covers at each end are read from spans and merged in as states of the same quantile
 * function, so any range can use the rollup.
 *
 * Deletion: DELETE /v1/traces/{id} records the hours of the trace in span_metrics_stale_hours
 * before it deletes (deleteTrace); those hours are read from spans from then on.
 *
 * Differences from the raw read (also in the README, Metrics rollup):
 * - a span stored twice collapses in spans read with FINAL, but is counted once per copy by
 *   the rollup and by the partial and stale hours (read as stored, see rollupSource). An
 *   ingester batch delivered again is not stored twice (the insert's deduplication token also
 *   applies to the view, deduplicate_blocks_in_dependent_materialized_views); a span a sender
 *   sends again in a new request after a lost acknowledgement is;
 * - quantiles are t-digest estimates (quantilesTDigest) instead of a reservoir sample.
 */
export interface RollupPlan {
  /** Whole hours [fromNs, toNs) read from the rollup, except `stale`. */
  fromNs: bigint;
  toNs: bigint;
  /** Hours in the range with deleted spans, Unix seconds. */
  stale: number[];
}

const ceilHour = (ns: bigint) => ((ns + hourNs - 1n) / hourNs) * hourNs;
const floorHour = (ns: bigint) => (ns / hourNs) * hourNs;

/**
 * The whole hours of a metrics request the rollup can answer, or undefined when it should be
 * read from spans alone.
 * @example const plan = await rollupPlan(store, 'default', filter, 3600);
 */
export async function rollupPlan(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  stepSeconds: number | undefined,
): Promise<RollupPlan | undefined> {
  if (!isDimensionFilter(filter)) return undefined;
  if (stepSeconds !== undefined && stepSeconds % 3600 !== 0) return undefined;
  if (filter.fromNs < rollupStartNs || filter.toNs > rollupEndNs) return undefined;
  const fromNs = ceilHour(filter.fromNs);
  const toNs = floorHour(filter.toNs);
  if (fromNs >= toNs) return undefined;
  const result = await store.client.query({
    query: `SELECT DISTINCT toUnixTimestamp(bucket) AS hour FROM \`${store.database}\`.span_metrics_stale_hours
      WHERE project_id = {projectId:String}
        AND bucket >= toDateTime({from:Int64}, 'UTC') AND bucket < toDateTime({to:Int64}, 'UTC')
      ORDER BY hour LIMIT {limit:UInt32}`,
    query_params: {
      projectId,
      from: String(fromNs / 1_000_000_000n),
      to: String(toNs / 1_000_000_000n),
      limit: maxStaleHours + 1,
    },
    format: 'JSONEachRow',
  });
  const stale = (await result.json<{ hour: number }>()).map((r) => Number(r.hour));
  if (stale.length > maxStaleHours) return undefined;
  return { fromNs, toNs, stale };
}

/**
 * A source with the rows of span_metrics_hourly for the spans of `filter`: the rollup's
 * whole hours (without the stale ones) and, from spans, the partial hours at both ends and the
 * stale hours. Those are read without FINAL, as the rollup counts (stored rows): FINAL costs
 * about as much for one hour as for the whole range (measured at 2 M spans: 170-300 ms for a
 * one-hour edge, 220-400 ms for 3 days; without FINAL 8 ms).
 */
export function rollupSource(
  database: string,
  projectId: string,
  filter: SpanFilter,
  plan: RollupPlan,
  params: QueryParams,
  { byJob = false }: { byJob?: boolean } = {},
): string {
  const db = `\`${database}\``;
  const project = params.bind('String', projectId);
  const time = (ns: bigint) => `fromUnixTimestamp64Nano(${params.bind('Int64', ns)}, 'UTC')`;
  const range = (from: bigint, to: bigint) => `(Timestamp >= ${time(from)} AND Timestamp < ${time(to)})`;
  const rawRanges = [range(filter.fromNs, plan.fromNs), range(plan.toNs, filter.toNs)];
  for (const hour of plan.stale) {
    const ns = BigInt(hour) * 1_000_000_000n;
    rawRanges.push(range(ns, ns + hourNs));
  }
  const stale = params.bind('Array(UInt32)', `[${plan.stale.join(',')}]`);
  const rollupWhere = [
    `project_id = ${project}`,
    `bucket >= toDateTime(${params.bind('Int64', plan.fromNs / 1_000_000_000n)}, 'UTC')`,
    `bucket < toDateTime(${params.bind('Int64', plan.toNs / 1_000_000_000n)}, 'UTC')`,
    `toUnixTimestamp(bucket) NOT IN ${stale}`,
    ...dimensionFilterSql(filter, params),
  ];
  const rawWhere = [
    `project_id = ${project}`,
    `(${rawRanges.join(' OR ')})`,
    ...dimensionFilterSql(filter, params),
  ];
  const attributed = byJob || filter.jobId !== undefined || filter.jobVersion !== undefined;
  if (!attributed) {
    return `(
    SELECT ${rollupColumns} FROM ${db}.span_metrics_hourly WHERE ${rollupWhere.join(' AND ')}
    UNION ALL
    ${rollupSelect(`${db}.spans`, rawWhere)}
  )`;
  }
  // The spans naming a job as above, by their own job; those naming none, over the whole range,
  // with their trace's first link as their job: for one job, only in traces ever linked to it.
  const job = filter.jobId === undefined ? undefined : params.bind('String', filter.jobId);
  const version = filter.jobVersion === undefined ? undefined : params.bind('String', filter.jobVersion);
  const named = ["job_id != ''"];
  const linkWhere: string[] = [];
  if (job) {
    named.push(`job_id = ${job}`);
    linkWhere.push(`link_job_id = ${job}`);
  }
  if (version) {
    named.push(`job_version = ${version}`);
    linkWhere.push(`link_job_version = ${version}`);
  }
  const unnamedWhere = [
    `project_id = ${project}`,
    "job_id = ''",
    range(filter.fromNs, filter.toNs),
    ...dimensionFilterSql(filter, params),
  ];
  const traces = job
    ? tracesLinkedTo(db, project, job)
    : `SELECT TraceId FROM ${db}.spans WHERE ${unnamedWhere.join(' AND ')}`;
  if (job) unnamedWhere.push(`TraceId IN (${traces})`);
  const spanColumns = `project_id, Timestamp, ServiceName, SpanName, span_type, gen_ai_provider,
    gen_ai_request_model, gen_ai_response_model, StatusCode, Duration, gen_ai_input_tokens, gen_ai_output_tokens,
    gen_ai_cache_read_tokens, gen_ai_cache_write_tokens, gen_ai_reasoning_tokens, gen_ai_cost_usd`;
  // Two levels: the inner WHERE reads the stored job_id, the outer names the link job_id.
  const unnamed = `(SELECT ${spanColumns}, link_job_id AS job_id, link_job_version AS job_version FROM (
      SELECT ${spanColumns}, link_job_id, link_job_version
      FROM ${db}.spans LEFT ANY JOIN ${traceLinksSource(db, project, traces)} AS l USING (TraceId)
      WHERE ${unnamedWhere.join(' AND ')})
    ${linkWhere.length > 0 ? `WHERE ${linkWhere.join(' AND ')}` : ''})`;
  return `(
    SELECT ${rollupColumns} FROM ${db}.span_metrics_hourly WHERE ${[...rollupWhere, ...named].join(' AND ')}
    UNION ALL
    ${rollupSelect(`${db}.spans`, [...rawWhere, ...named])}
    UNION ALL
    ${rollupSelect(unnamed)}
  )`;
}
