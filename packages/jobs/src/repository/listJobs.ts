import type { ClickHouseStore } from '@llmp/clickhouse';
import { type JobRecord, jobStatus, type ListJobsQuery, type Page } from '../service/jobSchema.ts';
import { jobColumns, jobRecordOf, jobVersionOf, type StoredJobRow } from './jobRows.ts';
import { pageOf } from './pageOf.ts';
import { storeRows } from './storeRows.ts';

/**
 * A page of a project's jobs (latest version, current status), newest first, filtered by status,
 * type, name (case-insensitive part) and creation time, after the key `[created ms, id]`.
 * @example const page = await listJobs(store, 'default', listJobsQuery.parse({ status: 'active' }));
 */
export async function listJobs(
  store: ClickHouseStore,
  projectId: string,
  query: ListJobsQuery,
  after?: [number, string],
): Promise<Page<JobRecord>> {
  const db = `\`${store.database}\``;
  const millis = (iso: string | undefined) => (iso ? Date.parse(iso) : 0);
  const found = await storeRows<
    StoredJobRow & { status: string; last_event_id: string; last_event_ms: string }
  >(
    store,
    `SELECT j.*, if(e.status = '', 'active', e.status) AS status, e.event_id AS last_event_id,
       e.time_ms AS last_event_ms
     FROM (
       SELECT ${jobColumns} FROM ${db}.jobs WHERE project_id = {projectId:String}
       ORDER BY id, version DESC LIMIT 1 BY id
     ) AS j
     LEFT JOIN (
       SELECT job_id, argMax(status, seq) AS status, argMax(event_id, seq) AS event_id,
         toUnixTimestamp64Milli(argMax(time, seq)) AS time_ms
       FROM ${db}.job_events WHERE project_id = {projectId:String} GROUP BY job_id
     ) AS e ON e.job_id = j.id
     WHERE ({status:String} = '' OR status = {status:String})
       AND ({type:String} = '' OR j.job_type = {type:String})
       AND ({name:String} = '' OR positionCaseInsensitiveUTF8(j.name, {name:String}) > 0)
       AND ({after:Int64} = 0 OR j.created_ms >= {after:Int64})
       AND ({before:Int64} = 0 OR j.created_ms < {before:Int64})
       AND ({hasCursor:UInt8} = 0 OR j.created_ms < {cursorMs:Int64}
            OR (j.created_ms = {cursorMs:Int64} AND j.id < {cursorId:String}))
     ORDER BY j.created_ms DESC, j.id DESC
     LIMIT {limit:UInt32}`,
    {
      projectId,
      status: query.status ?? '',
      type: query.type ?? '',
      name: query.name ?? '',
      after: millis(query.created_after),
      before: millis(query.created_before),
      hasCursor: after ? 1 : 0,
      cursorMs: after?.[0] ?? 0,
      cursorId: after?.[1] ?? '',
      limit: query.limit + 1,
    },
    'job list query',
  );
  const jobs = found.map((r) =>
    jobRecordOf(
      jobVersionOf(r),
      r.last_event_id
        ? {
            event_id: r.last_event_id,
            status: jobStatus.safeParse(r.status).data ?? 'active',
            time_ms: Number(r.last_event_ms),
          }
        : undefined,
    ),
  );
  return pageOf(jobs, query.limit, (j) => [Date.parse(j.created_at), j.id]);
}
