import type { JobEventOutbox, ProjectJobEvent } from '@llmp/jobs';
import type { KafkaProducer } from '@llmp/kafka/components';
import type { Logger, Registry } from '@llmp/pipeline';
import { jobEventMetrics } from './jobEventMetrics.ts';

export interface JobEventRelayOptions {
  outbox: JobEventOutbox;
  producer: KafkaProducer;
  /** The job events topic (`jobEvents.topic`, default `llmp_job_events`). */
  topic: string;
  logger: Logger;
  /** Where sends, failures and the outbox size are counted (a private one if absent). */
  registry?: Registry | undefined;
  /** Most events read and sent at once (bounds memory and the size of one send). */
  batchSize?: number;
  /** How often the outbox is looked at when nothing is said (events of other processes). */
  pollMs?: number;
  /** The first wait after a failed send; doubled per failure up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long close waits for a send under way (Kafka down: the producer may still be retrying). */
  closeTimeoutMs?: number;
}

export interface JobEventRelay {
  /** Says an event was stored: it is sent soon (at once unless a failed send is backing off). */
  kick(): void;
  /** Looks at the outbox now (events left unpublished before a restart) and then every pollMs. */
  start(): void;
  /** Stops the timers and waits (at most closeTimeoutMs) for a send under way; what is unpublished stays in the outbox. */
  close(): Promise<void>;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The job events outbox relay: publishes the stored events without a publication mark on Kafka
 * (`llmp_job_events`: JSON, key = job id, header `llmp-project`), oldest first, and marks them.
 * One relay sends at a time and a job's events go in seq order in one send on one idempotent
 * producer, so they stay in order on the job's partition; a send Kafka refuses (after the
 * producer's retries) leaves them in the outbox, retried with backoff, also after a restart.
 * At least once: a crash between Kafka's ack and the mark sends those events again (consumers
 * recognise them by `id` or job id + `seq`).
 * @example const relay = jobEventRelay({ outbox, producer, topic: 'llmp_job_events', logger }); relay.start();
 */
export function jobEventRelay({
  outbox,
  producer,
  topic,
  logger,
  registry,
  batchSize = 500,
  pollMs = 30_000,
  minBackoffMs = 1_000,
  maxBackoffMs = 30_000,
  closeTimeoutMs = 5_000,
}: JobEventRelayOptions): JobEventRelay {
  const metrics = jobEventMetrics(registry);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let started = false;
  // Events sent while this holds are re-sends: those found at start, and after a failed send.
  let retrying = true;
  let failing = false;
  let backoffMs = minBackoffMs;
  let resentThisOutage = 0;
  let warnedAt = 0;

  function schedule(ms: number) {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  }

  function send(batch: ProjectJobEvent[]) {
    return producer.send(
      topic,
      batch.map(({ projectId, event }) => ({
        key: event.job_id,
        value: Buffer.from(JSON.stringify({ project_id: projectId, ...event })),
        headers: { 'llmp-project': projectId },
      })),
    );
  }

  async function drain(): Promise<void> {
    for (;;) {
      const batch = await outbox.unpublished(batchSize);
      if (batch.length === 0) return;
      try {
        await send(batch);
      } catch (error) {
        metrics.publishFailures.inc(batch.length);
        throw error;
      }
      await outbox.markPublished(batch);
      metrics.published.inc(batch.length);
      if (retrying) {
        metrics.resent.inc(batch.length);
        resentThisOutage += batch.length;
      }
      if (batch.length < batchSize) return;
    }
  }

  async function pass(): Promise<void> {
    try {
      await drain();
      metrics.unpublished.set(0);
      if (failing) {
        logger.info(
          { topic, resent: resentThisOutage },
          `job events published on "${topic}" again: the held-back events are sent`,
        );
      }
      failing = false;
      retrying = false;
      resentThisOutage = 0;
      warnedAt = 0;
      backoffMs = minBackoffMs;
      schedule(pollMs);
    } catch (error) {
      const waiting = await outbox.count().catch(() => undefined);
      if (waiting !== undefined) metrics.unpublished.set(waiting);
      // One line when the outage starts and one each time the outbox grows tenfold, not one per
      // event or retry: the gauge tells the rest.
      if (!failing || (waiting !== undefined && waiting >= Math.max(10, warnedAt * 10))) {
        warnedAt = waiting ?? warnedAt;
        logger.warn(
          { topic, reason: reasonOf(error), unpublished: waiting, retryInMs: backoffMs },
          `job events not published on "${topic}" (Kafka or the store not reachable?): they stay ` +
            'in the outbox and are sent again in order (llmp_job_events_unpublished)',
        );
      }
      failing = true;
      retrying = true;
      schedule(backoffMs);
      backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
    }
  }

  function run() {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = pass().finally(() => {
      running = undefined;
      if (again && !failing) {
        again = false;
        run();
      }
      again = false;
    });
  }

  return {
    kick() {
      // While a failed send backs off, the new event waits its turn in the outbox (behind the
      // job's older events), rather than hammering an unreachable broker.
      if (started && !failing) run();
    },
    start() {
      if (started || closed) return;
      started = true;
      run();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      // A send still under way past the wait is left to the producer's close; its events stay
      // unpublished (or are sent and not marked: sent again at the next start).
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        running,
        new Promise((resolve) => {
          waited = setTimeout(resolve, closeTimeoutMs);
        }),
      ]);
      clearTimeout(waited);
    },
  };
}
