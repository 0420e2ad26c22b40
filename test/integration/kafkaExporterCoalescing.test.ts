import { randomBytes, randomUUID } from 'node:crypto';
import { kafkaExporter, kafkaExporterConfig, platformaticProducer } from '@llmp/kafka';
import { decodeProtobufRequest, traceBatch } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { ExportError, Registry } from '@llmp/pipeline';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { javaConsumer } from '../support/kafka/javaProducer.ts';
import { kafkaBroker } from '../support/kafkaBroker.ts';

// Issue 21, item 1: concurrent OTLP requests share one produce request (coalescingProducer).
// Against a real broker: each caller answered once its own records are acknowledged, the
// Apache Kafka Java client (not ours) reads every record in the order it was sent, and when the
// broker refuses a merged produce request, every caller in it gets the retryable answer.
const provided = inject('kafkaBrokers');
const broker = provided ? undefined : await kafkaBroker();
const brokers = provided ? provided.split(',') : (broker?.brokers ?? []);
afterAll(() => broker?.stop());

const logger = pino({ level: 'silent' });

async function createTopic(topic: string, configEntries: Array<{ name: string; value: string }> = []) {
  const admin = new Kafka({ brokers, clientId: 'llmp-coalescing-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 4, replicationFactor: 1, configEntries }],
    });
  } finally {
    await admin.disconnect();
  }
}

const counter = async (registry: Registry, name: string) =>
  (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values[0]?.value ?? 0;

describe.skipIf(brokers.length === 0)('the Kafka exporter merging concurrent sends, on a real broker', () => {
  it('acknowledges every caller, in fewer produce requests, and a Java consumer reads each trace in send order', async () => {
    const topic = `llmp-coalesce-${randomUUID()}`;
    await createTopic(topic);
    const registry = new Registry();
    const exporter = kafkaExporter(
      platformaticProducer({ brokers, clientId: 'llmp-coalescing-test' }),
      { id: 'kafka', logger, registry },
      kafkaExporterConfig.parse({ topic, coalesce: { enabled: true } }),
    );
    await exporter.start();
    // 60 requests at once: 12 traces, each with one span in each of 5 requests (in order).
    const traceIds = Array.from({ length: 12 }, () => randomBytes(16).toString('hex'));
    const requests = Array.from({ length: 60 }, (_, i) => {
      const traceId = traceIds[i % traceIds.length]!;
      const spanId = (i + 1).toString(16).padStart(16, '0');
      return { traceId, spanId, project: `p${i % 3}` };
    });
    await Promise.all(
      requests.map(({ traceId, spanId, project }) =>
        exporter.consume(
          traceBatch({ projectId: project, request: testRequest([testSpan({ traceId, spanId })]) }),
        ),
      ),
    );
    const produceRequests = await counter(registry, 'llmp_exporter_kafka_produce_requests_total');
    expect(await counter(registry, 'llmp_exporter_kafka_merged_sends_total')).toBe(60);
    expect(produceRequests).toBeGreaterThanOrEqual(2);
    expect(produceRequests).toBeLessThan(60);
    await exporter.shutdown();

    const read = await javaConsumer({ brokers, topic, count: requests.length });
    const seen = read.map((r) => {
      const span = decodeProtobufRequest(r.value).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
      return { traceId: r.key, spanId: span.spanId, project: r.headers['llmp-project'] };
    });
    expect(seen.every((s) => s.traceId !== null)).toBe(true);
    // Exactly the records sent, each once, with its own caller's project header.
    expect([...seen].sort((a, b) => a.spanId.localeCompare(b.spanId))).toEqual(requests);
    // A trace's records share a partition: the consumer sees them in the order they were sent.
    for (const traceId of traceIds) {
      const order = seen.filter((s) => s.traceId === traceId).map((s) => s.spanId);
      expect(order).toEqual(requests.filter((r) => r.traceId === traceId).map((r) => r.spanId));
    }
  });

  it('answers every merged caller retryable when the broker refuses the produce request', async () => {
    // A topic whose max.message.bytes no record batch fits: the broker refuses every produce
    // request (MESSAGE_TOO_LARGE) after the client merged the callers into it.
    const topic = `llmp-coalesce-refused-${randomUUID()}`;
    await createTopic(topic, [{ name: 'max.message.bytes', value: '64' }]);
    const registry = new Registry();
    const exporter = kafkaExporter(
      platformaticProducer({ brokers, clientId: 'llmp-coalescing-test' }),
      { id: 'kafka', logger, registry },
      kafkaExporterConfig.parse({ topic, sendTimeout: 60_000, coalesce: { enabled: true } }),
    );
    await exporter.start();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        exporter
          .consume(
            traceBatch({
              projectId: 'p',
              request: testRequest([
                testSpan({
                  traceId: randomBytes(16).toString('hex'),
                  spanId: (i + 1).toString(16).padStart(16, '0'),
                }),
              ]),
            }),
          )
          .then(
            () => 'stored',
            (error: unknown) => error,
          ),
      ),
    );
    expect(await counter(registry, 'llmp_exporter_kafka_produce_requests_total')).toBeLessThan(20);
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(ExportError);
      expect(answer).toMatchObject({ kind: 'retryable', reason: 'unavailable' });
    }
    await exporter.shutdown();
  });
});
