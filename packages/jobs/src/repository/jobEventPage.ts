import type { ClickHouseStore } from '@llmp/clickhouse';
import type { JobEvent, JobEventKind, JobStatus, Page } from '../service/jobSchema.ts';
import { isoFromMillis } from './jobRows.ts';
import { pageOf } from './pageOf.ts';
import { storeRows } from './storeRows.ts';

interface EventRow {
  event_id: string;
  seq: string;
  kind: string;
  actor: string;
  time_ms: string;
  version: number;
  status: string;
  changes: string;
}

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
  const found = await storeRows<EventRow>(
    store,
    `SELECT event_id, seq, kind, actor, toUnixTimestamp64Milli(time) AS time_ms, version, status, changes
     FROM \`${store.database}\`.job_events
     WHERE project_id = {projectId:String} AND job_id = {id:String} AND seq > {after:UInt64}
     ORDER BY seq LIMIT 1 BY seq LIMIT {limit:UInt32}`,
    { projectId, id, after: afterSeq, limit: limit + 1 },
    'job events query',
  );
  const events = found.map(
    (e): JobEvent => ({
      id: e.event_id,
      job_id: id,
      seq: Number(e.seq),
      kind: e.kind as JobEventKind,
      actor: e.actor === '' ? null : e.actor,
      time: isoFromMillis(Number(e.time_ms)),
      version: Number(e.version),
      status: e.status as JobStatus,
      changes: JSON.parse(e.changes),
    }),
  );
  return pageOf(events, limit, (e) => [e.seq]);
}
