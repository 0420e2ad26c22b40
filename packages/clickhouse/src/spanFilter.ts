import { QueryParams } from './queryParams.ts';
import { attributedJobSql } from './traceJobAttribution.ts';

// Its home is queryParams.ts; the search and metric statements import it from here too.
export { QueryParams };

/**
 * What a search or a metric query selects spans by. Every value reaches ClickHouse as a query
 * parameter; only column names chosen here appear in the SQL text.
 */
export interface SpanFilter {
  /** Spans that start in [fromNs, toNs), Unix nanoseconds. */
  fromNs: bigint;
  toNs: bigint;
  service?: string | undefined;
  spanName?: string | undefined;
  /** The job a span is attributed to: its own, else its trace's link (traceJobAttribution.ts). */
  jobId?: string | undefined;
  jobVersion?: string | undefined;
  /** Matches the request or the response model. */
  model?: string | undefined;
  provider?: string | undefined;
  spanType?: string | undefined;
  status?: 'ok' | 'error' | 'unset' | undefined;
  minDurationNs?: bigint | undefined;
  maxDurationNs?: bigint | undefined;
  sessionId?: string | undefined;
  userId?: string | undefined;
  /** Span attributes that must equal these values (as stored text). */
  attributes?: ReadonlyArray<readonly [string, string]> | undefined;
}

const statusNames = { ok: 'Ok', error: 'Error', unset: 'Unset' } as const;

/**
 * The span type a span is grouped and filtered by. Rows written before the genai processor
 * existed have an empty span_type where it now writes `other`.
 */
export const spanTypeColumn = "if(span_type = '', 'other', span_type)";

/** The model a span is grouped and filtered by: the request model, else the response model. */
export const modelColumn = "if(gen_ai_request_model != '', gen_ai_request_model, gen_ai_response_model)";

/** Adds `column = value` to `where` for a value that is set. */
const equalTo =
  (where: string[], params: QueryParams) =>
  (column: string, value: string | undefined): void => {
    if (value !== undefined) where.push(`${column} = ${params.bind('String', value)}`);
  };

/**
 * Whether `filter` names only what span_metrics_hourly keeps per row (see dimensionFilterSql),
 * or a job, which the rollup answers with spans for the spans naming none (rollupSource).
 */
export function isDimensionFilter(filter: SpanFilter): boolean {
  return (
    filter.minDurationNs === undefined &&
    filter.maxDurationNs === undefined &&
    filter.sessionId === undefined &&
    filter.userId === undefined &&
    (filter.attributes ?? []).length === 0
  );
}

/**
 * The conditions of a filter on the columns `spans` and the rollup span_metrics_hourly share
 * by name: service, span name, provider, span type, model, status (a job is attributed per
 * trace, see spanFilterSql).
 */
export function dimensionFilterSql(filter: SpanFilter, params: QueryParams): string[] {
  const where: string[] = [];
  const equal = equalTo(where, params);
  equal('ServiceName', filter.service);
  equal('SpanName', filter.spanName);
  equal('gen_ai_provider', filter.provider);
  equal(spanTypeColumn, filter.spanType);
  if (filter.model !== undefined) {
    const model = params.bind('String', filter.model);
    where.push(`(gen_ai_request_model = ${model} OR gen_ai_response_model = ${model})`);
  }
  if (filter.status !== undefined)
    where.push(`StatusCode = ${params.bind('String', statusNames[filter.status])}`);
  return where;
}

/**
 * The WHERE conditions of a filter over `spans` in `database`, project-scoped, values bound in
 * `params`. A job or job version selects the spans attributed to it (their own, else their
 * trace's link in trace_jobs). `withDuration: false` leaves the duration bounds out (trace
 * search applies them per trace).
 * @example const where = spanFilterSql('default', filter, params, { database: 'llmp' }).join(' AND ');
 */
export function spanFilterSql(
  projectId: string,
  filter: SpanFilter,
  params: QueryParams,
  { database, withDuration = true }: { database: string; withDuration?: boolean },
): string[] {
  const project = params.bind('String', projectId);
  const where = [
    `project_id = ${project}`,
    `Timestamp >= fromUnixTimestamp64Nano(${params.bind('Int64', filter.fromNs)}, 'UTC')`,
    `Timestamp < fromUnixTimestamp64Nano(${params.bind('Int64', filter.toNs)}, 'UTC')`,
    ...dimensionFilterSql(filter, params),
  ];
  if (filter.jobId !== undefined || filter.jobVersion !== undefined) {
    where.push(attributedJobSql(`\`${database}\``, project, filter, params));
  }
  const equal = equalTo(where, params);
  equal('session_id', filter.sessionId);
  equal('user_id', filter.userId);
  if (withDuration && filter.minDurationNs !== undefined) {
    where.push(`Duration >= ${params.bind('UInt64', filter.minDurationNs)}`);
  }
  if (withDuration && filter.maxDurationNs !== undefined) {
    where.push(`Duration <= ${params.bind('UInt64', filter.maxDurationNs)}`);
  }
  for (const [key, value] of filter.attributes ?? []) {
    where.push(`SpanAttributes[${params.bind('String', key)}] = ${params.bind('String', value)}`);
  }
  return where;
}
