import type { JobEvent } from '@llmp/jobs';
import type { KafkaProducer } from '@llmp/kafka';
import type { Logger } from '@llmp/pipeline';

/**
 * Publishes job events on Kafka (`llmp_job_events`: JSON, key = job id, header `llmp-project`).
 * Sends are started in event order on one idempotent producer, so a job's events stay in order
 * on its partition; a failed send is logged, the event stays in ClickHouse's job_events.
 * @example jobStore(store, { onEvent: jobEventPublisher(producer, 'llmp_job_events', logger) })
 */
export function jobEventPublisher(
  producer: KafkaProducer,
  topic: string,
  logger: Logger,
): (projectId: string, event: JobEvent) => void {
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
        logger.warn({ err: error, topic, jobId: event.job_id, eventId: event.id }, 'job event not published');
      });
  };
}
