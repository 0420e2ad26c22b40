import { Counter, metricSet } from '@llmp/pipeline';

/**
 * The job events publisher's metrics (distributed roles with a `jobEvents` topic).
 * @example jobEventMetrics(registry).topicCheckFailures.inc();
 */
export const jobEventMetrics = metricSet((registers) => ({
  topicCheckFailures: new Counter({
    name: 'llmp_job_events_topic_check_failures_total',
    help: 'Starts at which the job events topic could not be checked or created (Kafka not reachable); publishing retries per event',
    registers,
  }),
  publishFailures: new Counter({
    name: 'llmp_job_events_publish_failures_total',
    help: 'Job events the producer could not send to the job events topic (not sent again; they stay in job_events)',
    registers,
  }),
}));
