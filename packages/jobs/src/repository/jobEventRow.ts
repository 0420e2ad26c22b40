import type { JobEvent, JobEventKind, JobStatus } from '../service/jobSchema.ts';
import { isoFromMillis } from './jobRows.ts';

/** The columns of a job_events row as its readers select them (time as epoch milliseconds). */
export interface JobEventRow {
  event_id: string;
  seq: string;
  kind: string;
  actor: string;
  time_ms: string;
  version: number;
  status: string;
  changes: string;
}

/** The select list that reads a JobEventRow from job_events (`prefix` names the table alias). */
export const jobEventColumns = (prefix = '') =>
  `${prefix}event_id AS event_id, ${prefix}seq AS seq, ${prefix}kind AS kind, ${prefix}actor AS actor, ` +
  `toUnixTimestamp64Milli(${prefix}time) AS time_ms, ${prefix}version AS version, ${prefix}status AS status, ` +
  `${prefix}changes AS changes`;

/**
 * The API's job event from a stored row of job `jobId`.
 * @example const event = jobEventOf(row, 'summarise');
 */
export function jobEventOf(row: JobEventRow, jobId: string): JobEvent {
  return {
    id: row.event_id,
    job_id: jobId,
    seq: Number(row.seq),
    kind: row.kind as JobEventKind,
    actor: row.actor === '' ? null : row.actor,
    time: isoFromMillis(Number(row.time_ms)),
    version: Number(row.version),
    status: row.status as JobStatus,
    changes: JSON.parse(row.changes),
  };
}
