import type { JobEvent } from '@llmp/jobs';
import type { KafkaProducer } from '@llmp/kafka/components';
import type { Logger, Registry } from '@llmp/pipeline';
import { jobEventMetrics } from './jobEventMetrics.ts';

export interface JobEventPublisherOptions {
  producer: KafkaProducer;
  /** The job events topic (`jobEvents.topic`, default `llmp_job_events`). */
  topic: string;
  logger: Logger;
  /** Where failed sends are counted (a private one if absent). */
  registry?: Registry | undefined;
}

/**
 * Publishes job events on Kafka (`llmp_job_events`: JSON, key = job id, header `llmp-project`).
 * Sends are started in event order on one idempotent producer, so a job's events stay in order
 * on its partition. Publishing is best effort: a send the producer gave up on (after its own
 * retries) is logged in one line and counted, and not sent again; the event stays in ClickHouse's
 * job_events, which `GET /v1/jobs/{id}/events` reads.
 * @example jobStore(store, { onEvent: jobEventPublisher({ producer, topic: 'llmp_job_events', logger }) })
 */
export function jobEventPublisher({
  producer,
  topic,
  logger,
  registry,
}: JobEventPublisherOptions): (projectId: string, event: JobEvent) => void {
  const { publishFailures } = jobEventMetrics(registry);
  return (projectId, event) => {
    producer
      .send(topic, [
        {
          key: event.job_id,
          value: Buffer.from(JSON.stringify({ project_id: projectId, ...event })),
          headers: { 'llmp-project': projectId },
        },
      ])
      .catch((error: unknown) => {
        // One line, not the error object with its stack: during a Kafka outage every job change
        // fails the same way, and the reason is all an operator needs.
        publishFailures.inc();
        logger.warn(
          {
            topic,
            reason: error instanceof Error ? error.message : String(error),
            projectId,
            jobId: event.job_id,
            eventId: event.id,
          },
          `job event not published on "${topic}" (Kafka not reachable?): it is not sent again; ` +
            'it stays in job_events (GET /v1/jobs/{id}/events)',
        );
      });
  };
}
