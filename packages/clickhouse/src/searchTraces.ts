import type { ClickHouseStore } from './clickhouseStore.ts';
import { durationCandidates } from './durationCandidates.ts';
import { QueryParams, type SpanFilter, spanFilterSql } from './spanFilter.ts';
import { isoFromNanos } from './storedSpan.ts';
import { firstTraceLinks, tracesLinkedTo } from './traceJobAttribution.ts';

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
  t_root_name: string;
  t_service: string;
  start_ns: string;
  dur_ns: string;
  t_spans: string;
  t_errors: string;
  t_input_tokens: string;
  t_output_tokens: string;
  t_cache_read_tokens: string;
  t_cache_write_tokens: string;
  t_reasoning_tokens: string;
  t_cost: number | null;
  t_job_id: string;
  t_job_version: string;
  /** How many jobs and versions its spans name. */
  t_jobs: string;
  t_job_versions: string;
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

/** The first window a newest-first search reads back from its end; each next one is 8 times as long. */
const firstWindowNs = 3_600_000_000_000n;

/**
 * One row per trace having a span that matches `filter` (duration bounds apply to the whole
 * trace), with its root span's name and service, start, duration, span and error counts,
 * tokens, cost and job; sorted by start time or duration with keyset pagination, so pages
 * neither skip nor repeat a trace. A trace with a span in the time range is summarised whole,
 * so its start may precede the range.
 *
 * Reads trace_search (migration 15), never spans FINAL: newest first, it reads back from the
 * end of the range (or the cursor) in windows of 1 h, 8 h, 64 h … and stops at the first
 * window that fills the page, then the whole range (docs/benchmarks.md, "Trace search").
 * @example const page = await searchTraces(store, 'default', filter, { sort: 'startTime', order: 'desc', limit: 50 });
 */
export async function searchTraces(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
): Promise<Page<TraceSummary>> {
  let records: TraceRecord[] | undefined;
  if (page.sort === 'startTime' && page.order === 'desc') {
    for await (const lower of windowStarts(store, projectId, filter, page)) {
      // The window's first traces by their start there, less those starting before it (rare:
      // a trace sent in several requests), asked for again in larger numbers while too many
      // of them do and the window holds more.
      for (let wanted = page.limit + 1; ; wanted *= 4) {
        const window = await searchWindow(store, projectId, filter, page, lower, wanted);
        const earlier = await startedBefore(
          store,
          projectId,
          window.map((r) => r.traceId),
          lower,
        );
        const kept = window.filter((r) => !earlier.has(r.traceId));
        if (kept.length > page.limit) records = kept;
        if (kept.length > page.limit || window.length < wanted) break;
      }
      if (records) break;
    }
  }
  records ??= await searchWindow(store, projectId, filter, page, undefined, page.limit + 1);
  const shown = records.slice(0, page.limit);
  // A trace's job is its first link (traceJobAttribution.ts), as every other read has it. Its
  // links come from the spans naming a job: when they name one job and one version (or none),
  // that is the link, and trace_jobs is read only for the traces naming more.
  const links = await firstTraceLinks(
    store,
    projectId,
    shown.filter((r) => Number(r.t_jobs) > 1 || Number(r.t_job_versions) > 1).map((r) => r.traceId),
  );
  const items = shown.map(
    (r): TraceSummary => ({
      traceId: r.traceId,
      rootName: r.t_root_name,
      serviceName: r.t_service,
      startTime: isoFromNanos(BigInt(r.start_ns)),
      startTimeUnixNano: r.start_ns,
      durationNs: String(r.dur_ns),
      spanCount: Number(r.t_spans),
      errorCount: Number(r.t_errors),
      inputTokens: Number(r.t_input_tokens),
      outputTokens: Number(r.t_output_tokens),
      cacheReadTokens: Number(r.t_cache_read_tokens),
      cacheWriteTokens: Number(r.t_cache_write_tokens),
      reasoningTokens: Number(r.t_reasoning_tokens),
      costUsd: r.t_cost === null ? null : Number(r.t_cost),
      jobId: orNull(links.get(r.traceId)?.jobId ?? r.t_job_id),
      jobVersion: orNull(links.get(r.traceId)?.jobVersion ?? r.t_job_version),
    }),
  );
  const last = records.length > page.limit ? records[page.limit - 1] : undefined;
  if (!last) return { items };
  return {
    items,
    next: { value: page.sort === 'duration' ? last.dur_ns : last.start_ns, traceId: last.traceId },
  };
}

/**
 * Where the windows of a newest-first search start, newest first: back from the end of the
 * range (or the cursor) by 1 h, 8 h, 64 h … while inside the range. When the first window is
 * not enough and the newest trace_search row before the end is older than it (a quiet time:
 * a store idle for hours, `to` in the future), the windows start again from just after that
 * row, found by one read in sort order. Any end gives the same page (a window answers only
 * when full, and the starts-before look-up keeps it exact); this one makes a full window likely.
 * @example for await (const lower of windowStarts(store, 'default', filter, page)) …
 */
export async function* windowStarts(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
): AsyncGenerator<bigint> {
  const after = page.after ? BigInt(page.after.value) + 1n : undefined;
  let top = after !== undefined && after < filter.toNs ? after : filter.toNs;
  let width = firstWindowNs;
  if (top - width <= filter.fromNs) return;
  // Asked while the first window is read (the engine runs both at once), waited for only when
  // that window is not enough; a failure only means no new start.
  const newestRow = store.client
    .query({
      query: `SELECT toString(toUnixTimestamp64Nano(start)) AS newest FROM \`${store.database}\`.trace_search
        WHERE project_id = {projectId:String} AND start < fromUnixTimestamp64Nano({top:Int64}, 'UTC')
        ORDER BY start DESC LIMIT 1`,
      query_params: { projectId, top },
      format: 'JSONEachRow',
      clickhouse_settings: searchSettings,
    })
    .then((r) => r.json<{ newest: string }>())
    .then((rows) => rows[0]?.newest)
    .catch(() => undefined);
  yield top - width;
  const newest = await newestRow;
  if (newest !== undefined && BigInt(newest) + 1n < top - width) top = BigInt(newest) + 1n;
  else width *= 8n;
  for (; top - width > filter.fromNs; width *= 8n) yield top - width;
}

/** A condition on trace_search rows, and whether a row meeting it has a span meeting the filter's. */
interface RowCondition {
  candidate: string;
  exact: string;
  /** A job: the rows that could match only through a link, and the candidate when none does. */
  linkOnly?: { rows: string; candidate: string };
}

/**
 * What trace_search rows say of `filter`'s span conditions: per condition, the rows that may
 * hold a matching span (`candidate`) and those that surely do (`exact`). A row keeps each
 * dimension's values apart, so two conditions met by a row may be met by two different spans:
 * only a single condition is exact; the rest is checked on spans.
 */
function rowConditions(
  db: string,
  project: string,
  filter: SpanFilter,
  params: QueryParams,
  lower: string | undefined,
): RowCondition[] {
  const conditions: RowCondition[] = [];
  const holds = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    const has = `has(${column}, ${params.bind('String', value)})`;
    conditions.push({ candidate: has, exact: has });
  };
  holds('services', filter.service);
  holds('span_names', filter.spanName);
  holds('models', filter.model);
  holds('providers', filter.provider);
  holds('span_types', filter.spanType);
  holds('statuses', filter.status === undefined ? undefined : statusNames[filter.status]);
  holds('sessions', filter.sessionId);
  holds('users', filter.userId);
  if (filter.jobId !== undefined || filter.jobVersion !== undefined) {
    // A span naming the job is attributed to it; one naming none is when its trace's first
    // link is to the job, which only spans and trace_jobs tell (traceJobAttribution.ts).
    const own: string[] = [];
    let linked: string;
    // In a window, a link from before it is a span before it: its trace starts earlier and is
    // left out of the window anyway, so only the window's links are read into the set.
    const since = lower ? ` AND Start >= ${lower}` : '';
    if (filter.jobId !== undefined) {
      const job = params.bind('String', filter.jobId);
      own.push(`has(jobs, ${job})`);
      linked = `${tracesLinkedTo(db, project, job)}${since}`;
    } else {
      linked = `SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = ${project} AND job_version = ${params.bind('String', filter.jobVersion!)}${since}`;
    }
    if (filter.jobVersion !== undefined)
      own.push(`has(job_versions, ${params.bind('String', filter.jobVersion)})`);
    const named = own.join(' AND ');
    conditions.push({
      candidate: `(${named} OR (unnamed AND TraceId IN (${linked})))`,
      exact: own.length === 1 ? named : '0',
      linkOnly: { rows: `(unnamed AND NOT (${named}))`, candidate: named },
    });
  }
  return conditions;
}

const statusNames = { ok: 'Ok', error: 'Error', unset: 'Unset' } as const;

/**
 * Asks in one round trip which of the tagged conditions some trace_search row meets (a
 * `LIMIT 1` question each, so each reads by its own index); tags are constants of this file.
 */
async function ask(
  store: ClickHouseStore,
  params: QueryParams,
  parts: Array<[string, string]>,
): Promise<Set<string>> {
  if (parts.length === 0) return new Set();
  const questions = parts.map(
    ([tag, where]) =>
      `(SELECT '${tag}' AS tag FROM \`${store.database}\`.trace_search WHERE ${where} LIMIT 1)`,
  );
  const result = await store.client.query({
    query: `SELECT DISTINCT tag FROM (${questions.join(' UNION ALL ')})`,
    query_params: { ...params.values },
    format: 'JSONEachRow',
    clickhouse_settings: searchSettings,
  });
  return new Set((await result.json<{ tag: string }>()).map((r) => r.tag));
}

/**
 * Which of `traceIds` have a trace_search row starting before `lowerNs`: traces that start
 * before a window although they have rows in it. A look-up by trace id (the bloom filter of
 * migration 20 passes over the granules without them), not a read of every trace's extent.
 */
async function startedBefore(
  store: ClickHouseStore,
  projectId: string,
  traceIds: string[],
  lowerNs: bigint,
): Promise<Set<string>> {
  if (traceIds.length === 0) return new Set();
  const result = await store.client.query({
    query: `SELECT DISTINCT TraceId FROM \`${store.database}\`.trace_search
      WHERE project_id = {projectId:String} AND TraceId IN {traceIds:Array(String)}
        AND start < fromUnixTimestamp64Nano({lower:Int64}, 'UTC')`,
    query_params: { projectId, traceIds, lower: lowerNs },
    format: 'JSONEachRow',
    clickhouse_settings: searchSettings,
  });
  return new Set((await result.json<{ TraceId: string }>()).map((r) => r.TraceId));
}

/**
 * The first `wanted` traces of the page by their rows starting at or after `lowerNs` (all rows
 * when undefined); the caller drops those with a row before `lowerNs` (startedBefore): every
 * other trace has all its rows here, so it is summarised exactly.
 */
async function searchWindow(
  store: ClickHouseStore,
  projectId: string,
  filter: SpanFilter,
  page: PageRequest,
  lowerNs: bigint | undefined,
  wanted: number,
): Promise<TraceRecord[]> {
  const db = `\`${store.database}\``;
  const params = new QueryParams();
  const project = params.bind('String', projectId);
  const from = `fromUnixTimestamp64Nano(${params.bind('Int64', filter.fromNs)}, 'UTC')`;
  const to = `fromUnixTimestamp64Nano(${params.bind('Int64', filter.toNs)}, 'UTC')`;
  const lower =
    lowerNs === undefined ? undefined : `fromUnixTimestamp64Nano(${params.bind('Int64', lowerNs)}, 'UTC')`;
  const conditions = rowConditions(db, project, filter, params, lower);
  const attributes = (filter.attributes ?? []).length > 0;
  // Rows that may hold a span of the range meeting every condition; rows before `lower` belong
  // to traces that start before it, which this window leaves out.
  const base = [
    `project_id = ${project}`,
    `start < ${to}`,
    `last >= ${from}`,
    ...(lower ? [`start >= ${lower}`] : []),
  ];
  // A row inside the range meeting the one condition there is surely matched.
  const exact =
    !attributes && conditions.length <= 1
      ? [`start >= ${from}`, `last < ${to}`, ...(conditions[0] ? [conditions[0].exact] : [])].join(' AND ')
      : '0';
  // Checking on spans costs a read of spans (and of trace_jobs for a job) even for no
  // candidate: asked first whether any row needs it (a single filter inside the range: none).
  // A row is unsure when it crosses the range's start, or its end, or (a job) may hold the job
  // only through a link: one question each, so that each reads by its own index (the sort key
  // on start, the minmax of `last`, migration 21) rather than every row of the range.
  const unsureParts = (rows: string): Array<[string, string]> => {
    if (exact === '0') return [];
    const parts = [`start < ${from}`, `last >= ${to}`];
    if (conditions[0] && conditions[0].candidate !== conditions[0].exact)
      parts.push(`NOT (${conditions[0].exact})`);
    return parts.map((part) => ['unsure', `${rows} AND ${part}`]);
  };
  const rowsOf = () => [...base, ...conditions.map((c) => c.candidate)].join(' AND ');
  // A job's candidate reads into a set every trace linked to it (trace_jobs), for rows that
  // name no job. Asked in the same round trip, without the set, whether any row could match
  // only through a link; when none can (every span of the window's traces names its job, or the
  // row names this one), the rows naming the job are the candidates, and the answers to the
  // other questions (asked of those) stand.
  const job = conditions.find((c) => c.linkOnly);
  let tags: Set<string>;
  if (job) {
    const full = job.candidate;
    const others = conditions.filter((c) => c !== job).map((c) => c.candidate);
    job.candidate = job.linkOnly!.candidate;
    tags = await ask(store, params, [
      ['link', [...base, ...others, job.linkOnly!.rows].join(' AND ')],
      ...unsureParts(rowsOf()),
    ]);
    if (tags.has('link')) {
      job.candidate = full;
      tags = await ask(store, params, unsureParts(rowsOf()));
    }
  } else {
    tags = await ask(store, params, unsureParts(rowsOf()));
  }
  const rows = rowsOf();
  const unsure = exact === '0' || tags.has('unsure');
  const spanWhere = spanFilterSql(projectId, filter, params, {
    database: store.database,
    withDuration: false,
  });
  if (lower) spanWhere.push(`Timestamp >= ${lower}`);
  const checked = (traces: string) =>
    `SELECT TraceId FROM ${db}.spans WHERE ${spanWhere.join(' AND ')} AND TraceId IN (${traces})`;
  const sure = `TraceId IN (SELECT TraceId FROM ${db}.trace_search WHERE ${rows} AND ${exact})`;
  const matched =
    exact === '0'
      ? `TraceId IN (${checked(`SELECT TraceId FROM ${db}.trace_search WHERE ${rows}`)})`
      : unsure
        ? `(${sure} OR TraceId IN (${checked(`SELECT TraceId FROM ${db}.trace_search WHERE ${rows} AND NOT (${exact})`)}))`
        : sure;
  // In a window where every candidate is sure, one pass: the window's rows grouped by trace,
  // those with a matching row kept (rather than a set of the matching traces' ids built from
  // the same rows first, which for a filter most traces meet is most of the window).
  const onePass = lower !== undefined && exact !== '0' && !unsure;
  // By duration over the whole range with every candidate sure: only the traces that can be on
  // the page are grouped (durationCandidates.ts), not every matching trace.
  const byDuration = lower === undefined && page.sort === 'duration' && exact !== '0' && !unsure;
  const having: string[] = [];
  if (filter.minDurationNs !== undefined)
    having.push(`dur_ns >= ${params.bind('Int64', filter.minDurationNs)}`);
  if (filter.maxDurationNs !== undefined)
    having.push(`dur_ns <= ${params.bind('Int64', filter.maxDurationNs)}`);
  const sortColumn = page.sort === 'duration' ? 'dur_ns' : 'start_ns';
  const direction = page.order === 'asc' ? 'ASC' : 'DESC';
  if (page.after) {
    having.push(
      `(${sortColumn}, TraceId) ${page.order === 'asc' ? '>' : '<'} (${params.bind('Int64', page.after.value)}, ${params.bind('String', page.after.traceId)})`,
    );
  }
  const where = [`project_id = ${project}`];
  if (byDuration) {
    const matching = `${rows} AND ${exact}`;
    where.push(durationCandidates({ db, project, matching, having, page, wanted, params }));
  } else if (!onePass) where.push(matched);
  if (lower) where.push(`start >= ${lower}`);
  if (onePass || byDuration) having.unshift(`countIf(${rows} AND ${exact}) > 0`);
  // The page's traces first, by their extent alone (two aggregates, where a summary has
  // fifteen): a search over the whole range groups every matching trace, then summarises the
  // page's only, reading their rows by trace id (the bloom filter of migration 20).
  const limit = params.bind('UInt32', wanted);
  const pageFirst = `
      SELECT TraceId, toUnixTimestamp64Nano(min(start)) AS start_ns, max(end_ns) - start_ns AS dur_ns
      FROM ${db}.trace_search
      WHERE ${where.join(' AND ')}
      GROUP BY TraceId
      ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
      ORDER BY ${sortColumn} ${direction}, TraceId ${direction}
      LIMIT ${limit}`;
  const result = await store.client.query({
    query: `
      SELECT
        TraceId AS traceId,
        if(max(has_root), argMinIf(root_name, root_ts, has_root), argMin(first_name, start)) AS t_root_name,
        if(max(has_root), argMinIf(root_service, root_ts, has_root), argMin(first_service, start)) AS t_service,
        toUnixTimestamp64Nano(min(start)) AS start_ns,
        max(end_ns) - start_ns AS dur_ns,
        sum(spans) AS t_spans,
        sum(errors) AS t_errors,
        sum(input_tokens) AS t_input_tokens,
        sum(output_tokens) AS t_output_tokens,
        sum(cache_read_tokens) AS t_cache_read_tokens,
        sum(cache_write_tokens) AS t_cache_write_tokens,
        sum(reasoning_tokens) AS t_reasoning_tokens,
        if(sum(costed) = 0, NULL, sum(cost_usd)) AS t_cost,
        anyIf(jobs[1], notEmpty(jobs)) AS t_job_id,
        anyIf(job_versions[1], notEmpty(jobs)) AS t_job_version,
        uniqExactArray(jobs) AS t_jobs,
        uniqExactArray(job_versions) AS t_job_versions
      FROM ${db}.trace_search
      WHERE project_id = ${project} AND TraceId IN (SELECT TraceId FROM (${pageFirst}))${lower ? ` AND start >= ${lower}` : ''}
      GROUP BY TraceId
      ORDER BY ${sortColumn} ${direction}, TraceId ${direction}
      LIMIT ${limit}`,
    query_params: params.values,
    format: 'JSONEachRow',
    clickhouse_settings: searchSettings,
  });
  return result.json<TraceRecord>();
}
