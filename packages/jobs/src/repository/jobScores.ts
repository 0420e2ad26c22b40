import { type ClickHouseStore, classifyClickHouseError, isoFromNanos } from '@llmp/clickhouse';
import type { Page } from '../service/jobSchema.ts';
import { newestFirstPage } from './newestFirstPage.ts';
import type { JobResult, PageRequest } from './storeResult.ts';

/** One evaluation result (`gen_ai.evaluation.result`) given to a job. */
export interface JobScore {
  time: string;
  timeUnixNano: string;
  traceId: string;
  spanId: string | null;
  name: string;
  score: number | null;
  label: string;
  explanation: string;
  evaluator: string;
  source: 'log_record' | 'span_event';
}

/** What a job's evaluation results of one name add up to (inside job metrics). */
export interface JobEvaluation {
  name: string;
  /** Results of this name. */
  count: number;
  /** Of them, those with a numeric score. */
  scored: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Results per label (`gen_ai.evaluation.score.label`), labelled ones only. */
  labels: Record<string, number>;
}

/**
 * The job's scores, as every read gives a job its spans (traceJobAttribution.ts): a result
 * whose record or span names a job (llmp.job.id) is that job's; one naming none goes with the
 * job of the span it evaluates, else with its trace's first link. FINAL: a result a sender
 * re-sent counts once.
 */
const attributedScores = (db: string) => `
    WITH linked AS (
      SELECT TraceId, argMin(job_id, Start) AS first_job
      FROM ${db}.trace_jobs
      WHERE project_id = {projectId:String}
        AND TraceId IN (SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = {projectId:String} AND job_id = {jobId:String})
      GROUP BY TraceId
    ),
    span_jobs AS (
      SELECT TraceId, SpanId, any(job_id) AS span_job FROM ${db}.spans
      WHERE project_id = {projectId:String} AND TraceId IN (SELECT TraceId FROM linked) AND job_id != ''
      GROUP BY TraceId, SpanId
    ),
    scores AS (
      SELECT s.Timestamp AS Timestamp, s.TraceId AS TraceId, s.SpanId AS SpanId, s.name AS name, s.score AS score,
        s.label AS label, s.explanation AS explanation, s.evaluator AS evaluator, s.source AS source,
        if(s.job_id != '', s.job_id, if(sj.span_job != '', sj.span_job, l.first_job)) AS owner
      FROM (
        SELECT * FROM ${db}.genai_scores FINAL
        WHERE project_id = {projectId:String} AND (job_id = {jobId:String} OR TraceId IN (SELECT TraceId FROM linked))
      ) AS s
      LEFT JOIN linked AS l ON s.TraceId = l.TraceId
      LEFT JOIN span_jobs AS sj ON s.TraceId = sj.TraceId AND s.SpanId = sj.SpanId
    )`;

interface ScoreRow {
  ts: string;
  k: string;
  TraceId: string;
  SpanId: string;
  name: string;
  score: number | null;
  label: string;
  explanation: string;
  evaluator: string;
  source: JobScore['source'];
}

/**
 * A job's evaluation results, newest first, paged.
 * @example const page = await jobScores(store, 'default', 'summarise', { limit: 50 });
 */
export async function jobScores(
  store: ClickHouseStore,
  projectId: string,
  jobId: string,
  page: PageRequest,
): Promise<JobResult<Page<JobScore>>> {
  const db = `\`${store.database}\``;
  // k orders results of the same nanosecond, so a page boundary never splits or repeats them.
  const query = `${attributedScores(db)}
    SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts,
      concat(TraceId, SpanId, name, evaluator, source) AS k,
      TraceId, SpanId, name, score, label, explanation, evaluator, source
    FROM scores
    WHERE owner = {jobId:String}
      AND ({hasCursor:UInt8} = 0 OR toUnixTimestamp64Nano(Timestamp) < {cursorTs:UInt64}
        OR (toUnixTimestamp64Nano(Timestamp) = {cursorTs:UInt64} AND k < {cursorK:String}))
    ORDER BY Timestamp DESC, k DESC
    LIMIT {limit:UInt32}`;
  return newestFirstPage(store, {
    query,
    params: { projectId, jobId },
    page,
    action: 'job scores query',
    item: (r: ScoreRow): JobScore => ({
      time: isoFromNanos(BigInt(r.ts)),
      timeUnixNano: r.ts,
      traceId: r.TraceId,
      spanId: r.SpanId || null,
      name: r.name,
      score: r.score === null ? null : Number(r.score),
      label: r.label,
      explanation: r.explanation,
      evaluator: r.evaluator,
      source: r.source,
    }),
  });
}

interface EvaluationRow {
  name: string;
  label: string;
  n: string;
  scored: string;
  total: number | null;
  lo: number | null;
  hi: number | null;
}

/**
 * What a job's evaluation results add up to, per evaluation name (sorted): count, numeric
 * mean / min / max, and counts per label.
 * @example (await jobEvaluations(store, 'default', 'judge-1'))[0] // { name: 'relevance', count: 3, mean: 0.8, … }
 */
export async function jobEvaluations(
  store: ClickHouseStore,
  projectId: string,
  jobId: string,
): Promise<JobEvaluation[]> {
  const db = `\`${store.database}\``;
  const query = `${attributedScores(db)}
    SELECT name, label, count() AS n, count(score) AS scored, sumOrNull(score) AS total,
      minOrNull(score) AS lo, maxOrNull(score) AS hi
    FROM scores
    WHERE owner = {jobId:String}
    GROUP BY name, label
    ORDER BY name, label`;
  let rows: EvaluationRow[];
  try {
    const result = await store.client.query({
      query,
      query_params: { projectId, jobId },
      format: 'JSONEachRow',
    });
    rows = await result.json<EvaluationRow>();
  } catch (error) {
    throw classifyClickHouseError(error, 'job evaluations query');
  }
  const byName = new Map<string, JobEvaluation & { total: number }>();
  for (const r of rows) {
    const e = byName.get(r.name) ?? {
      name: r.name,
      count: 0,
      scored: 0,
      mean: null,
      min: null,
      max: null,
      labels: {},
      total: 0,
    };
    e.count += Number(r.n);
    e.scored += Number(r.scored);
    if (r.total !== null) e.total += Number(r.total);
    if (r.lo !== null) e.min = e.min === null ? Number(r.lo) : Math.min(e.min, Number(r.lo));
    if (r.hi !== null) e.max = e.max === null ? Number(r.hi) : Math.max(e.max, Number(r.hi));
    if (r.label !== '') e.labels[r.label] = (e.labels[r.label] ?? 0) + Number(r.n);
    byName.set(r.name, e);
  }
  return [...byName.values()].map(({ total, ...e }) => ({
    ...e,
    mean: e.scored === 0 ? null : total / e.scored,
  }));
}
