import type { Migration } from './migration.ts';

/**
 * Migration 28: the job events outbox. A job event is published on Kafka (`llmp_job_events`) by
 * a relay that reads the events without a row here, sends them in order per job and then
 * records them here; a send that fails leaves them unpublished, so they are sent again later,
 * also after a restart. Append-only, as ClickHouse likes it: an event stored twice here is
 * still one published event.
 */
export const jobEventPublicationsMigration: Migration = {
  version: 28,
  name: 'job events outbox: which events are published on Kafka',
  steps: [
    {
      kind: 'createTable',
      table: 'job_event_publications',
      columns: `
        project_id LowCardinality(String),
        job_id String,
        seq UInt64,
        event_id String,
        published_at DateTime64(3, 'UTC')
      `,
      engine: { name: 'MergeTree' },
      orderBy: '(project_id, job_id, seq)',
      shardBy: 'cityHash64(project_id, job_id)',
    },
    // The events stored before the outbox were sent as they happened (or lost with the one
    // warning line of their time); count them as published rather than flood downstream with
    // the whole history on the first start after this migration.
    {
      kind: 'insertSelect',
      table: 'job_event_publications',
      from: 'job_events',
      select: (source) => `SELECT project_id, job_id, seq, event_id, time AS published_at FROM ${source}`,
    },
  ],
};
