import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type LlmpProcess, startLlmp } from './llmpProcess.ts';

/** The run's Kafka brokers from the globalSetup ('' when none could be had and none is required). */
export function providedBrokers(): string {
  return inject('kafkaBrokers');
}

/** Topic, dead-letter topic and group names (spans, logs and metrics) no other suite uses. */
export function isolatedTopics(prefix: string) {
  const suffix = randomBytes(4).toString('hex');
  return {
    topic: `${prefix}_spans_${suffix}`,
    deadLetterTopic: `${prefix}_spans_dlq_${suffix}`,
    groupId: `${prefix}-ingester-${suffix}`,
    logsTopic: `${prefix}_logs_${suffix}`,
    logsDeadLetterTopic: `${prefix}_logs_dlq_${suffix}`,
    metricsTopic: `${prefix}_metrics_${suffix}`,
    metricsDeadLetterTopic: `${prefix}_metrics_dlq_${suffix}`,
    jobEvents: `${prefix}_job_events_${suffix}`,
  };
}

export type Topics = ReturnType<typeof isolatedTopics>;

/**
 * Starts `llmp gateway` against the given brokers and topics (spans, logs and metrics).
 * @example const gateway = await startGateway({ dataDir, brokers, topics });
 */
export function startGateway({
  dataDir,
  brokers,
  topics,
  env,
  maxRecordBytes,
}: {
  dataDir: string;
  brokers: string;
  topics: Topics;
  env?: Record<string, string>;
  /** The Kafka exporter's record bound (its default when absent). */
  maxRecordBytes?: number;
}): Promise<LlmpProcess> {
  return startLlmp({
    dataDir,
    command: 'gateway',
    extraYaml: [
      'kafka:',
      `  brokers: "${brokers}"`,
      '  clientId: llmp-gateway-test',
      'exporters:',
      '  kafka:',
      `    topic: ${topics.topic}`,
      `    logs: { topic: ${topics.logsTopic} }`,
      `    metrics: { topic: ${topics.metricsTopic} }`,
      '    sendTimeout: 5s',
      ...(maxRecordBytes === undefined ? [] : [`    maxRecordBytes: ${maxRecordBytes}`]),
    ].join('\n'),
    ...(env ? { env } : {}),
  });
}

/**
 * Starts `llmp ingester --with-api` (embedded store in `dataDir`) against the given brokers.
 * @example const ingester = await startIngester({ dataDir, brokers, topics });
 */
export function startIngester({
  dataDir,
  brokers,
  topics,
  env,
}: {
  dataDir: string;
  brokers: string;
  topics: Topics;
  env?: Record<string, string>;
}): Promise<LlmpProcess> {
  return startLlmp({
    dataDir,
    command: 'ingester',
    args: ['--with-api'],
    extraYaml: [
      'kafka:',
      `  brokers: "${brokers}"`,
      '  clientId: llmp-ingester-test',
      'receivers:',
      '  kafka:',
      `    topic: ${topics.topic}`,
      `    groupId: ${topics.groupId}`,
      `    deadLetterTopic: ${topics.deadLetterTopic}`,
      `    logs: { topic: ${topics.logsTopic}, deadLetterTopic: ${topics.logsDeadLetterTopic} }`,
      `    metrics: { topic: ${topics.metricsTopic}, deadLetterTopic: ${topics.metricsDeadLetterTopic} }`,
      '    retryOnFailure: { initialInterval: 100ms, maxInterval: 2s }',
      // The broker's minimum: a killed ingester's partitions move on quickly.
      '    sessionTimeout: 6s',
      'jobEvents:',
      `  topic: ${topics.jobEvents}`,
    ].join('\n'),
    ...(env ? { env } : {}),
  });
}

/**
 * Polls the query API until every trace has the expected number of spans (or the time is up),
 * then returns the counts it saw, so a test asserts exact equality (no loss, no duplicate).
 * @example const counts = await spanCounts(ingester, traces, 3);
 */
export async function spanCounts(
  api: Pick<LlmpProcess, 'api'>,
  traceIds: string[],
  expected: number,
  timeoutMs = 60_000,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const traceId of traceIds) {
      if (counts.get(traceId) === expected) continue;
      const response = await api.api(`/v1/traces/${traceId}`);
      counts.set(
        traceId,
        response.status === 200 ? ((await response.json()) as { spans: unknown[] }).spans.length : 0,
      );
    }
    if ([...counts.values()].every((n) => n >= expected) || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 300));
  }
}
