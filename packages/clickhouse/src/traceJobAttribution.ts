import type { ClickHouseStore } from './clickhouseStore.ts';
import type { QueryParams } from './queryParams.ts';

/**
 * The job a span belongs to: its own `llmp.job.id` when it names one, else its trace's link in
 * trace_jobs (the first job linked, by start of the spans that named it). Apps usually put the
 * job on the root span only, and spans of a trace arrive in any order and across restarts, so
 * the link is resolved when reading, never written onto the spans: every read (span and trace
 * search, metrics, job routes) sees the same attribution as soon as the link is stored.
 * Cost and alternatives: docs/benchmarks.md, "Job attribution".
 */

/** The columns a read joined with `traceLinksSource` groups spans by job and version with. */
export const attributedJobColumn = "if(job_id != '', job_id, link_job_id)";
export const attributedVersionColumn = "if(job_id != '', job_version, link_job_version)";

/** The traces of a project ever linked to `job` (a bound parameter): a read of trace_jobs' sort key. */
export function tracesLinkedTo(db: string, project: string, job: string): string {
  return `SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = ${project} AND job_id = ${job}`;
}

/**
 * One row per linked trace among `traces` (a subquery of trace ids): TraceId, link_job_id,
 * link_job_version (the first link), to LEFT JOIN spans on USING (TraceId). `traces` keeps the
 * join's table to the traces that need it: those with spans naming no job in the range read
 * (none when every span names its job), or those ever linked to the one job asked for.
 * @example `FROM spans FINAL LEFT ANY JOIN ${traceLinksSource(db, project, unnamed)} AS l USING (TraceId)`
 */
export function traceLinksSource(db: string, project: string, traces: string): string {
  return `(SELECT TraceId, argMin(job_id, Start) AS link_job_id, argMin(job_version, Start) AS link_job_version
    FROM ${db}.trace_jobs WHERE project_id = ${project} AND TraceId IN (${traces})
    GROUP BY TraceId)`;
}

/**
 * The condition on `spans` columns selecting the spans attributed to a job (and/or version):
 * those naming it, and those naming no job in traces whose first link is to it. The linked
 * traces come from trace_jobs, sorted by (project, job): a small read when the job is given.
 * @example where.push(attributedJobSql(db, project, { jobId: 'triage' }, params));
 */
export function attributedJobSql(
  db: string,
  project: string,
  { jobId, jobVersion }: { jobId?: string | undefined; jobVersion?: string | undefined },
  params: QueryParams,
): string {
  const job = jobId === undefined ? undefined : params.bind('String', jobId);
  const version = jobVersion === undefined ? undefined : params.bind('String', jobVersion);
  const own = ["job_id != ''"];
  const link: string[] = [];
  if (job) {
    own.push(`job_id = ${job}`);
    link.push(`argMin(job_id, Start) = ${job}`);
  }
  if (version) {
    own.push(`job_version = ${version}`);
    link.push(`argMin(job_version, Start) = ${version}`);
  }
  const candidates = job ? `AND TraceId IN (${tracesLinkedTo(db, project, job)})` : '';
  const linked = `SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = ${project} ${candidates}
    GROUP BY TraceId HAVING ${link.join(' AND ')}`;
  return `((${own.join(' AND ')}) OR (job_id = '' AND TraceId IN (${linked})))`;
}

export interface TraceLink {
  jobId: string;
  jobVersion: string;
}

/**
 * The first job link of each of `traceIds` that has one (a page of search results).
 * @example const links = await firstTraceLinks(store, 'default', ['4bf9…']);
 */
export async function firstTraceLinks(
  store: ClickHouseStore,
  projectId: string,
  traceIds: string[],
): Promise<Map<string, TraceLink>> {
  if (traceIds.length === 0) return new Map();
  const result = await store.client.query({
    query: `SELECT TraceId, argMin(job_id, Start) AS job_id, argMin(job_version, Start) AS job_version
      FROM \`${store.database}\`.trace_jobs
      WHERE project_id = {projectId:String} AND TraceId IN {traceIds:Array(String)}
      GROUP BY TraceId`,
    query_params: { projectId, traceIds },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ TraceId: string; job_id: string; job_version: string }>();
  return new Map(rows.map((r) => [r.TraceId, { jobId: r.job_id, jobVersion: r.job_version }]));
}
