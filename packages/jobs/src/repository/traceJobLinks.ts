import type { ClickHouseStore } from '@llmp/clickhouse';
import { storeRows } from './storeRows.ts';

export interface TraceJobLink {
  jobId: string;
  jobVersion: string;
  jobType: string;
}

/**
 * The jobs a trace is linked to (through any of its spans, whenever they arrived), first linked
 * first.
 * @example const [link] = await traceJobLinks(store, 'default', traceId);
 */
export async function traceJobLinks(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
): Promise<TraceJobLink[]> {
  const found = await storeRows<{ job_id: string; job_version: string; job_type: string }>(
    store,
    `SELECT job_id, argMin(job_version, Start) AS job_version, argMin(job_type, Start) AS job_type
     FROM \`${store.database}\`.trace_jobs
     WHERE project_id = {projectId:String} AND TraceId = {traceId:String}
     GROUP BY job_id ORDER BY min(Start), job_id
     -- A few rows: compiling the aggregates (done the fourth time the engine sees them) costs more.
     SETTINGS compile_aggregate_expressions = 0`,
    { projectId, traceId },
    'trace links query',
  );
  return found.map((l) => ({ jobId: l.job_id, jobVersion: l.job_version, jobType: l.job_type }));
}
