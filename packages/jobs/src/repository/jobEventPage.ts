import type { ClickHouseStore } from '@llmp/clickhouse';
import type { JobEvent, Page } from '../service/jobSchema.ts';
import { type JobEventRow, jobEventColumns, jobEventOf } from './jobEventRow.ts';
import { pageOf } from './pageOf.ts';
import { storeRows } from './storeRows.ts';

/**
 * A page of a job's events, oldest first, after event number `afterSeq`.
 * @example const page = await jobEventPage(store, 'default', 'summarise', { limit: 50, afterSeq: 0 });
 */
export async function jobEventPage(
  store: ClickHouseStore,
  projectId: string,
  id: string,
  { limit, afterSeq }: { limit: number; afterSeq: number },
): Promise<Page<JobEvent>> {
  const found = await storeRows<JobEventRow>(
    store,
    `SELECT ${jobEventColumns()}
     FROM \`${store.database}\`.job_events
     WHERE project_id = {projectId:String} AND job_id = {id:String} AND seq > {after:UInt64}
     ORDER BY seq LIMIT 1 BY seq LIMIT {limit:UInt32}`,
    { projectId, id, after: afterSeq, limit: limit + 1 },
    'job events query',
  );
  const events = found.map((e) => jobEventOf(e, id));
  return pageOf(events, limit, (e) => [e.seq]);
}
