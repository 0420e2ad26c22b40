import { type ClickHouseStore, classifyClickHouseError, isoFromNanos, usageSpans } from '@llmp/clickhouse';

export interface JobRunMetrics {
  /** A run is a trace linked to the job. */
  runs: number;
  /** Runs with at least one span in error. */
  failed_runs: number;
  spans: number;
  error_spans: number;
  /** Run latency (first span start to last span end), milliseconds. */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  tokens: { input: number; output: number };
  /** Null when no span carried a cost. */
  cost_usd: number | null;
  /** Outputs checked against the version's output_model by the jobs processor. */
  validation: { checked: number; passed: number; pass_rate: number | null };
}

export interface JobMetrics extends JobRunMetrics {
  job_id: string;
  /** Per job version (of each run's link), when asked for. */
  versions?: Array<JobRunMetrics & { version: string }>;
  /** The range asked for (ISO 8601, nanoseconds): only runs that started in [from, to) count. */
  from?: string;
  to?: string;
  /** The step asked for (as given, e.g. `1h`); with it, `buckets`. */
  step?: string;
  /** Per time bucket of the runs' starts, oldest first; buckets without runs are left out. */
  buckets?: Array<JobRunMetrics & { time: string }>;
}

export interface JobMetricsOptions {
  /** Also per job version. */
  byVersion?: boolean;
  /** Read spans FINAL instead of trace_job_usage (to compare; a re-sent span counts once). */
  fromSpans?: boolean;
  /** Only runs that started in [fromNs, toNs), Unix nanoseconds; a run starts with its first span of the job. */
  range?: { fromNs: bigint; toNs: bigint };
  /** Also per time bucket of the runs' starts, aligned to multiples of the step since the epoch. */
  step?: { name: string; seconds: number };
}

interface Row {
  key: string;
  runs: string;
  failed_runs: string;
  spans: string;
  error_spans: string;
  q: Array<number | string>;
  input_tokens: string;
  output_tokens: string;
  cost: number | null;
  checked: string;
  passed: string;
}

function metricsOf(r: Row): JobRunMetrics {
  const runs = Number(r.runs);
  const ms = (i: number) => (runs === 0 || r.q[i] === undefined ? null : Number(r.q[i]) / 1e6);
  return {
    runs,
    failed_runs: Number(r.failed_runs),
    spans: Number(r.spans),
    error_spans: Number(r.error_spans),
    latency_ms: { p50: ms(0), p95: ms(1), p99: ms(2) },
    tokens: { input: Number(r.input_tokens), output: Number(r.output_tokens) },
    cost_usd: r.cost === null ? null : Number(r.cost),
    validation: {
      checked: Number(r.checked),
      passed: Number(r.passed),
      pass_rate: Number(r.checked) === 0 ? null : Number(r.passed) / Number(r.checked),
    },
  };
}

// The spans of a linked trace the job is given: those naming it, and those naming no job in a
// trace whose first link is to it (traceJobAttribution.ts), with their version (own, else the link's).
const attributed = (alias: string) =>
  `(${alias}.job_id = {jobId:String} OR (${alias}.job_id = '' AND l.first_job = {jobId:String}))`;
const versionOf = (alias: string) =>
  `if({byVersion:UInt8} = 1, if(${alias}.job_id = '', l.link_version, ${alias}.job_version), '')`;

// One row per run (and version), from trace_job_usage: what the job's spans of a run add up to.
const runsFromSummary = (db: string) => `
      SELECT t.TraceId AS trace, ${versionOf('t')} AS version, min(t.start) AS run_start,
        sum(t.spans) AS spans, sum(t.errors) AS errors,
        max(t.end_ns) - toUnixTimestamp64Nano(min(t.start)) AS duration_ns,
        sum(t.input_tokens) AS input_tokens, sum(t.output_tokens) AS output_tokens,
        if(sum(t.costed) = 0, NULL, sum(t.cost_usd)) AS cost,
        sum(t.checked) AS checked, sum(t.passed) AS passed
      FROM ${db}.trace_job_usage AS t INNER JOIN linked AS l ON t.TraceId = l.TraceId
      WHERE t.project_id = {projectId:String} AND t.TraceId IN (SELECT TraceId FROM linked) AND ${attributed('t')}
      GROUP BY trace, version`;

// The same from spans FINAL, from a day before the first linked span: enough for the spans of
// a run that started before the span naming the job, while partitions long before are skipped.
const runsFromSpans = (db: string) => `
      SELECT s.TraceId AS trace, ${versionOf('s')} AS version, min(s.Timestamp) AS run_start, count() AS spans,
        countIf(s.StatusCode = 'Error') AS errors,
        max(toUnixTimestamp64Nano(s.Timestamp) + toInt64(s.Duration)) - min(toUnixTimestamp64Nano(s.Timestamp))
          AS duration_ns,
        sumIf(s.gen_ai_input_tokens, s.${usageSpans}) AS input_tokens,
        sumIf(s.gen_ai_output_tokens, s.${usageSpans}) AS output_tokens,
        sumOrNull(if(s.${usageSpans}, s.gen_ai_cost_usd, NULL)) AS cost,
        countIf(s.SpanAttributes['llmp.validation.output'] != '') AS checked,
        countIf(s.SpanAttributes['llmp.validation.output'] = 'pass') AS passed
      FROM ${db}.spans AS s FINAL INNER JOIN linked AS l ON s.TraceId = l.TraceId
      WHERE s.project_id = {projectId:String}
        AND s.Timestamp >= (SELECT min(start) FROM linked) - INTERVAL 1 DAY AND ${attributed('s')}
      GROUP BY trace, version`;

// The runs (a row per run and version) of the job's linked traces; the first link decides the
// spans naming no job.
const runsQuery = (db: string, fromSpans: boolean) => `
    WITH linked AS (
      SELECT TraceId, argMin(job_id, Start) AS first_job, argMin(job_version, Start) AS link_version,
        minIf(Start, job_id = {jobId:String}) AS start
      FROM ${db}.trace_jobs
      WHERE project_id = {projectId:String}
        AND TraceId IN (SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = {projectId:String} AND job_id = {jobId:String})
      GROUP BY TraceId
    )
    SELECT * FROM (${fromSpans ? runsFromSpans(db) : runsFromSummary(db)})
    WHERE {ranged:UInt8} = 0
      OR (run_start >= fromUnixTimestamp64Nano({fromNs:Int64}, 'UTC') AND run_start < fromUnixTimestamp64Nano({toNs:Int64}, 'UTC'))`;

// A bucket's start as Unix nanoseconds (a string: more than a double holds).
const bucketKey =
  "toString(toUnixTimestamp64Nano(toDateTime64(toStartOfInterval(run_start, toIntervalSecond({stepSeconds:UInt32})), 9, 'UTC')))";

/** Metrics of the runs grouped by `key`: their version, their bucket, or '' for all. */
async function runMetrics(
  store: ClickHouseStore,
  projectId: string,
  jobId: string,
  key: 'version' | 'bucket' | 'all',
  { fromSpans = false, range, step }: JobMetricsOptions,
): Promise<Row[]> {
  const db = `\`${store.database}\``;
  const keyExpression = key === 'version' ? 'version' : key === 'bucket' ? bucketKey : "''";
  const query = `
    SELECT ${keyExpression} AS key,
      uniqExact(trace) AS runs, uniqExactIf(trace, errors > 0) AS failed_runs, sum(spans) AS spans, sum(errors) AS error_spans,
      quantilesExact(0.5, 0.95, 0.99)(duration_ns) AS q,
      sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sumOrNull(cost) AS cost,
      sum(checked) AS checked, sum(passed) AS passed
    FROM (${runsQuery(db, fromSpans)})
    GROUP BY key
    ORDER BY key`;
  try {
    const result = await store.client.query({
      query,
      query_params: {
        projectId,
        jobId,
        byVersion: key === 'version' ? 1 : 0,
        ranged: range ? 1 : 0,
        fromNs: range?.fromNs ?? 0n,
        toNs: range?.toNs ?? 0n,
        stepSeconds: step?.seconds ?? 1,
      },
      format: 'JSONEachRow',
    });
    return await result.json<Row>();
  } catch (error) {
    throw classifyClickHouseError(error, 'job metrics query');
  }
}

const empty: Row = {
  key: '',
  runs: '0',
  failed_runs: '0',
  spans: '0',
  error_spans: '0',
  q: [],
  input_tokens: '0',
  output_tokens: '0',
  cost: null,
  checked: '0',
  passed: '0',
};

/**
 * Run metrics of a job: a run is a trace linked to it (trace_jobs), counting the spans the job
 * is given as every read gives them (a span's own llmp.job.id, else its trace's first link), and
 * tokens and cost of model calls only; per version on request (a span's own version, else its
 * link's); only the runs that started in a range, and per time bucket of their starts, on request.
 * Read from trace_job_usage (filled on insert, see migration 11) without reading spans.
 * Unlike `fromSpans: true` (spans FINAL), a span a sender re-sent counts once per copy, and
 * spans of a run more than a day before the span naming the job count too.
 * @example const metrics = await jobMetrics(store, 'default', 'summarise', { byVersion: true });
 */
export async function jobMetrics(
  store: ClickHouseStore,
  projectId: string,
  jobId: string,
  options: JobMetricsOptions = {},
): Promise<JobMetrics> {
  const { byVersion = false, range, step } = options;
  // Totals are not the sum of per-version or per-bucket quantiles: each split is its own query.
  const [total] = await runMetrics(store, projectId, jobId, 'all', options);
  const metrics: JobMetrics = { job_id: jobId, ...metricsOf(total ?? empty) };
  if (byVersion)
    metrics.versions = (await runMetrics(store, projectId, jobId, 'version', options)).map((r) => ({
      version: r.key,
      ...metricsOf(r),
    }));
  if (range) {
    metrics.from = isoFromNanos(range.fromNs);
    metrics.to = isoFromNanos(range.toNs);
  }
  if (step) {
    metrics.step = step.name;
    // Keys are decimal strings: ordered as numbers here.
    const rows = await runMetrics(store, projectId, jobId, 'bucket', options);
    metrics.buckets = rows
      .map((r) => ({ time: BigInt(r.key), r }))
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
      .map(({ time, r }) => ({ time: isoFromNanos(time), ...metricsOf(r) }));
  }
  return metrics;
}
