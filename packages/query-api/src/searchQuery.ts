import type { MetricDimension, SortKey, SortOrder, SpanFilter } from '@llmp/clickhouse';
import { spanTypes } from '@llmp/otlp';
import { z } from 'zod';

const text = z.string().min(1).max(1024).optional();
/** A `from` or `to` query parameter: an ISO 8601 time with an offset. */
export const timeParam = z.iso.datetime({ offset: true });
const time = timeParam.optional();
const milliseconds = z.coerce.number().finite().nonnegative().max(1e12).optional();

// Strict: a misspelt parameter is an error, not a silently wider search.
const filterParams = z.strictObject({
  from: time,
  to: time,
  service: text,
  spanName: text,
  jobId: text,
  jobVersion: text,
  model: text,
  provider: text,
  spanType: z.enum(spanTypes).optional(),
  status: z.enum(['ok', 'error', 'unset']).optional(),
  minDurationMs: milliseconds,
  maxDurationMs: milliseconds,
  sessionId: text,
  userId: text,
});

/** Query string of `GET /v1/traces` and `GET /v1/spans`. */
export const searchParams = filterParams.extend({
  sort: z.enum(['startTime', 'duration']).default('startTime'),
  order: z.enum(['desc', 'asc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2048).optional(),
});

/** The time steps of metrics over time, in seconds. */
export const metricSteps = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
  '6h': 21_600,
  '1d': 86_400,
} as const;
const steps = metricSteps;
/** A `step` query parameter: one of metricSteps. */
export const stepParam = z.enum(Object.keys(steps) as [keyof typeof steps, ...Array<keyof typeof steps>]);
const dimensions = ['job', 'jobVersion', 'model', 'provider', 'service', 'spanName', 'spanType'] as const;

/** Query string of `GET /v1/metrics`. */
export const metricsParams = filterParams.extend({
  groupBy: z
    .string()
    .default('')
    .transform((s) => s.split(',').filter((d) => d !== ''))
    .pipe(
      z
        .array(z.enum(dimensions))
        .max(2, 'group by one or two dimensions')
        .refine((a) => new Set(a).size === a.length, 'a dimension is named twice'),
    ),
  step: stepParam.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/** Query string of `GET /v1/sessions`. */
export const sessionsParams = filterParams.extend({
  by: z.enum(['session', 'user']).default('session'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export type SearchParams = z.infer<typeof searchParams>;
export type MetricsParams = z.infer<typeof metricsParams>;

const attributePrefix = 'attr.';
const maxAttributeFilters = 10;
const defaultWindowNs = 24n * 3600n * 1_000_000_000n;
// Metrics answer at most this many time buckets per group.
const maxBuckets = 10_000;

export type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };

const nanos = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
// What DateTime64(9) holds from the epoch on: later times cannot be stored, so cannot match.
const maxTimeNs = 9_223_372_036_854_775_807n;

/** Reads a query string into the plain params of `schema` and the `attr.<key>=<value>` filters. */
function parseParams<S extends z.ZodType>(
  url: URL,
  schema: S,
): Parsed<{ params: z.infer<S>; attributes: Array<[string, string]> }> {
  const plain: Record<string, string> = {};
  const attributes: Array<[string, string]> = [];
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    if (values.length > 1)
      return { ok: false, detail: `${key} is given ${values.length} times; give it once` };
    const value = values[0]!;
    if (key.startsWith(attributePrefix)) {
      const name = key.slice(attributePrefix.length);
      if (name === '' || name.length > 256)
        return { ok: false, detail: `${key}: the attribute name must be 1 to 256 characters` };
      if (value === '' || value.length > 1024)
        return { ok: false, detail: `${key}: the value must be 1 to 1024 characters` };
      attributes.push([name, value]);
    } else {
      plain[key] = value;
    }
  }
  if (attributes.length > maxAttributeFilters) {
    return { ok: false, detail: `at most ${maxAttributeFilters} attr.<key> filters` };
  }
  const result = schema.safeParse(plain);
  if (!result.success) {
    const detail = result.error.issues
      .map((i) =>
        i.code === 'unrecognized_keys'
          ? `unknown parameter(s) ${i.keys.join(', ')}`
          : `${i.path.join('.')}: ${i.message}`,
      )
      .join('; ');
    return { ok: false, detail };
  }
  return { ok: true, value: { params: result.data, attributes } };
}

/**
 * A time range from `from` and `to` (validated ISO 8601 times): `to` defaults to now, `from` to a
 * day before `to`; with a step, it must not hold more than 10,000 steps.
 * @example timeRange({ from: '2026-01-01T00:00:00Z' }, now, 3600)
 */
export function timeRange(
  { from, to }: { from?: string | undefined; to?: string | undefined },
  now: bigint,
  stepSeconds?: number,
): Parsed<{ fromNs: bigint; toNs: bigint }> {
  const toNs = to ? nanos(to) : now;
  const fromNs = from ? nanos(from) : toNs - defaultWindowNs;
  if (fromNs < 0n || toNs > maxTimeNs) {
    return { ok: false, detail: 'from and to must lie between 1970-01-01 and 2262-04-11' };
  }
  if (fromNs >= toNs) return { ok: false, detail: 'from must be before to' };
  if (stepSeconds !== undefined) {
    const buckets = (toNs - fromNs) / (BigInt(stepSeconds) * 1_000_000_000n);
    if (buckets > BigInt(maxBuckets))
      return {
        ok: false,
        detail: `the step makes ${buckets} buckets over this range; at most ${maxBuckets}`,
      };
  }
  return { ok: true, value: { fromNs, toNs } };
}

function toFilter(
  params: z.infer<typeof filterParams>,
  attributes: Array<[string, string]>,
  now: bigint,
): Parsed<SpanFilter> {
  const range = timeRange(params, now);
  if (!range.ok) return range;
  const { fromNs, toNs } = range.value;
  const ms = (v: number | undefined) => (v === undefined ? undefined : BigInt(Math.round(v * 1e6)));
  const filter: SpanFilter = {
    fromNs,
    toNs,
    service: params.service,
    spanName: params.spanName,
    jobId: params.jobId,
    jobVersion: params.jobVersion,
    model: params.model,
    provider: params.provider,
    spanType: params.spanType,
    status: params.status,
    minDurationNs: ms(params.minDurationMs),
    maxDurationNs: ms(params.maxDurationMs),
    sessionId: params.sessionId,
    userId: params.userId,
    attributes,
  };
  if (
    filter.minDurationNs !== undefined &&
    filter.maxDurationNs !== undefined &&
    filter.minDurationNs > filter.maxDurationNs
  ) {
    return { ok: false, detail: 'minDurationMs must not exceed maxDurationMs' };
  }
  return { ok: true, value: filter };
}

export interface SearchQuery {
  filter: SpanFilter;
  sort: SortKey;
  order: SortOrder;
  limit: number;
  cursor: string | undefined;
  /** The query string without cursor and limit, in a stable order: what a cursor is bound to. */
  identity: string;
}

function identityOf(url: URL): string {
  const entries = [...url.searchParams.entries()].filter(([k]) => k !== 'cursor' && k !== 'limit');
  return JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A search query string, validated: filters, sort, order, page size and cursor.
 * @example parseSearchQuery(new URL('http://x/v1/traces?model=gpt-4o&limit=20'), now)
 */
export function parseSearchQuery(url: URL, now: bigint): Parsed<SearchQuery> {
  const parsed = parseParams(url, searchParams);
  if (!parsed.ok) return parsed;
  const { params, attributes } = parsed.value;
  const filter = toFilter(params, attributes, now);
  if (!filter.ok) return filter;
  return {
    ok: true,
    value: {
      filter: filter.value,
      sort: params.sort,
      order: params.order,
      limit: params.limit,
      cursor: params.cursor,
      identity: identityOf(url),
    },
  };
}

export interface SessionsQuery {
  filter: SpanFilter;
  by: 'session' | 'user';
  limit: number;
}

/**
 * A sessions query string, validated: the search filters, what to group by, how many groups.
 * @example parseSessionsQuery(new URL('http://x/v1/sessions?by=user&service=shop'), now)
 */
export function parseSessionsQuery(url: URL, now: bigint): Parsed<SessionsQuery> {
  const parsed = parseParams(url, sessionsParams);
  if (!parsed.ok) return parsed;
  const { params, attributes } = parsed.value;
  const filter = toFilter(params, attributes, now);
  if (!filter.ok) return filter;
  return { ok: true, value: { filter: filter.value, by: params.by, limit: params.limit } };
}

export interface MetricsQuery {
  filter: SpanFilter;
  groupBy: MetricDimension[];
  step: string | undefined;
  stepSeconds: number | undefined;
  limit: number;
}

/**
 * A metrics query string, validated; the time range must not hold more than 10,000 steps.
 * @example parseMetricsQuery(new URL('http://x/v1/metrics?groupBy=model,provider&step=1h'), now)
 */
export function parseMetricsQuery(url: URL, now: bigint): Parsed<MetricsQuery> {
  const parsed = parseParams(url, metricsParams);
  if (!parsed.ok) return parsed;
  const { params, attributes } = parsed.value;
  const filter = toFilter(params, attributes, now);
  if (!filter.ok) return filter;
  const stepSeconds = params.step ? steps[params.step] : undefined;
  if (stepSeconds !== undefined) {
    const buckets = (filter.value.toNs - filter.value.fromNs) / (BigInt(stepSeconds) * 1_000_000_000n);
    if (buckets > BigInt(maxBuckets)) {
      return {
        ok: false,
        detail: `step ${params.step} makes ${buckets} buckets over this range; at most ${maxBuckets}`,
      };
    }
  }
  return {
    ok: true,
    value: {
      filter: filter.value,
      groupBy: params.groupBy,
      step: params.step,
      stepSeconds,
      limit: params.limit,
    },
  };
}
