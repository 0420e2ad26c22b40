import { type ClickHouseStore, isoFromNanos } from '@llmp/clickhouse';
import type { Page } from '../service/jobSchema.ts';
import { pageOf } from './pageOf.ts';
import { storeRows } from './storeRows.ts';

export interface JobTrace {
  traceId: string;
  startTime: string;
  startTimeUnixNano: string;
  jobVersions: string[];
}

/**
 * A page of the traces linked to a job (through any of their spans), newest link first, after
 * the cursor key `[start ns, trace id]` of the previous page.
 * @example const page = await jobTracePage(store, 'default', 'summarise', { limit: 50 });
 */
export async function jobTracePage(
  store: ClickHouseStore,
  projectId: string,
  id: string,
  { limit, after }: { limit: number; after?: [string, string] | undefined },
): Promise<Page<JobTrace>> {
  const found = await storeRows<{ TraceId: string; start_ns: string; versions: string[] }>(
    store,
    `SELECT TraceId, toString(toUnixTimestamp64Nano(min(Start))) AS start_ns,
       arraySort(groupUniqArray(job_version)) AS versions
     FROM \`${store.database}\`.trace_jobs
     WHERE project_id = {projectId:String} AND job_id = {id:String}
     GROUP BY TraceId
     HAVING {hasCursor:UInt8} = 0 OR toUInt64(start_ns) < {cursorNs:UInt64}
       OR (toUInt64(start_ns) = {cursorNs:UInt64} AND TraceId < {cursorTrace:String})
     ORDER BY toUInt64(start_ns) DESC, TraceId DESC
     LIMIT {limit:UInt32}`,
    {
      projectId,
      id,
      hasCursor: after ? 1 : 0,
      cursorNs: after?.[0] ?? '0',
      cursorTrace: after?.[1] ?? '',
      limit: limit + 1,
    },
    'job traces query',
  );
  const traces = found.map((t) => ({
    traceId: t.TraceId,
    startTime: isoFromNanos(BigInt(t.start_ns)),
    startTimeUnixNano: t.start_ns,
    jobVersions: t.versions.filter((v) => v !== ''),
  }));
  return pageOf(traces, limit, (t) => [t.startTimeUnixNano, t.traceId]);
}
