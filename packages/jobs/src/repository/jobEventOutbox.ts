import { type ClickHouseStore, classifyClickHouseError } from '@llmp/clickhouse';
import type { JobEvent } from '../service/jobSchema.ts';
import { type JobEventRow, jobEventColumns, jobEventOf } from './jobEventRow.ts';
import { storeRows } from './storeRows.ts';

/** A stored job event with the project it belongs to. */
export interface ProjectJobEvent {
  projectId: string;
  event: JobEvent;
}

/** The job events not yet published on Kafka (job_events without a job_event_publications row). */
export interface JobEventOutbox {
  /** The oldest unpublished events, in (project, job, seq) order: a job's events in their order. */
  unpublished(limit: number): Promise<ProjectJobEvent[]>;
  /** How many events are unpublished. */
  count(): Promise<number>;
  /** Records the events as published (after Kafka acknowledged them). */
  markPublished(events: ProjectJobEvent[]): Promise<void>;
}

interface OutboxRow extends JobEventRow {
  project_id: string;
  job_id: string;
}

/**
 * The job events outbox over ClickHouse (migration 28): every stored event is unpublished until
 * its row in job_event_publications says otherwise, so an event Kafka refused is found again,
 * also after a restart.
 * @example const pending = await jobEventOutbox(store).unpublished(100);
 */
export function jobEventOutbox(
  store: ClickHouseStore,
  { now = Date.now }: { now?: () => number } = {},
): JobEventOutbox {
  const db = `\`${store.database}\``;
  // Two writers may both have stored a seq (only one wins; jobStore reads the winner back as the
  // smallest event id), hence one row per seq, the smallest event id.
  const pending = `
    SELECT e.project_id AS project_id, e.job_id AS job_id, ${jobEventColumns('e.')}
    FROM ${db}.job_events AS e
    LEFT ANTI JOIN ${db}.job_event_publications AS p
      ON p.project_id = e.project_id AND p.job_id = e.job_id AND p.seq = e.seq
    ORDER BY project_id, job_id, seq, event_id
    LIMIT 1 BY project_id, job_id, seq`;
  return {
    async unpublished(limit) {
      const rows = await storeRows<OutboxRow>(
        store,
        `${pending} LIMIT {limit:UInt32}`,
        { limit },
        'job events outbox query',
      );
      return rows.map((r) => ({ projectId: r.project_id, event: jobEventOf(r, r.job_id) }));
    },
    async count() {
      const [row] = await storeRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM (${pending})`,
        {},
        'job events outbox count',
      );
      return Number(row?.n ?? 0);
    },
    async markPublished(events) {
      if (events.length === 0) return;
      const publishedAt = new Date(now()).toISOString().replace('T', ' ').replace('Z', '');
      try {
        await store.client.insert({
          table: `${store.database}.job_event_publications`,
          values: events.map(({ projectId, event }) => ({
            project_id: projectId,
            job_id: event.job_id,
            seq: event.seq,
            event_id: event.id,
            published_at: publishedAt,
          })),
          format: 'JSONEachRow',
        });
      } catch (error) {
        throw classifyClickHouseError(error, 'insert into job_event_publications');
      }
    },
  };
}
