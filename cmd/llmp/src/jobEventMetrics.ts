import { Counter, Gauge, metricSet } from '@llmp/pipeline';

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
    help: 'Job events whose send to the job events topic failed (they stay unpublished in the outbox and are sent again)',
    registers,
  }),
  published: new Counter({
    name: 'llmp_job_events_published_total',
    help: 'Job events Kafka acknowledged on the job events topic (and recorded as published)',
    registers,
  }),
  resent: new Counter({
    name: 'llmp_job_events_resent_total',
    help: 'Job events published by a retry: after a failed send, or found unpublished at start',
    registers,
  }),
  unpublished: new Gauge({
    name: 'llmp_job_events_unpublished',
    help: 'Job events stored but not yet published on the job events topic (the outbox), as of the last attempt',
    registers,
  }),
}));
