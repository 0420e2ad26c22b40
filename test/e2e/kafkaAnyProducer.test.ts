import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers, spanCounts, type Topics } from '../support/distributedRoles.ts';
import { javaProducer } from '../support/kafka/javaProducer.ts';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 16, items 9 and 8: records of any Kafka producer reach the store — every codec written
// by the Apache Kafka Java client, values in otlp_proto and the Collector's otlp_json — what
// cannot be read goes to the dead-letter topic, and /readyz tells when a partition is stuck.
const brokers = providedBrokers();
const dir = tempDir('kafka-any-producer');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

const admin = () =>
  new Kafka({ clientId: 'llmp-test-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();

/** One trace of three spans made by the real OpenTelemetry SDK, as OTLP protobuf and OTLP/JSON. */
async function sdkTrace(service: string) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('llmp-e2e-kafka');
  const root = tracer.startSpan('POST /chat', { kind: SpanKind.SERVER });
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  tracer
    .startSpan(
      'chat gpt-4o',
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': 'gpt-4o' } },
      inRoot,
    )
    .end();
  tracer.startSpan('execute_tool search', {}, inRoot).end();
  root.end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return {
    traceId: spans[0]!.spanContext().traceId,
    proto: ProtobufTraceSerializer.serializeRequest(spans)!,
    json: JsonTraceSerializer.serializeRequest(spans)!,
  };
}

function startIngester(topics: Topics, name: string, receiverLines: string[] = []) {
  return startLlmp({
    dataDir: `${dir.path}/${name}`,
    command: 'ingester',
    args: ['--with-api'],
    extraYaml: [
      'kafka:',
      `  brokers: "${brokers}"`,
      '  clientId: llmp-ingester-test',
      '  topicPartitions: 1',
      '  topicReplicationFactor: 1',
      'receivers:',
      '  kafka:',
      `    topic: ${topics.topic}`,
      `    groupId: ${topics.groupId}`,
      `    deadLetterTopic: ${topics.deadLetterTopic}`,
      '    retryOnFailure: { initialInterval: 100ms, maxInterval: 1s }',
      ...receiverLines.map((line) => `    ${line}`),
      'jobEvents:',
      `  topic: ${topics.jobEvents}`,
    ].join('\n'),
  }).then((p) => {
    running.push(p);
    return p;
  });
}

const telemetry = (p: LlmpProcess, path: string) => fetch(`http://127.0.0.1:${p.telemetryPort}${path}`);

/** Every record of a topic (from a plain kafkajs consumer, not llmp's code). */
async function readTopic(topic: string, count: number) {
  const consumer = new Kafka({
    clientId: 'llmp-test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const records: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          value: message.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (records.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(brokers === '')('the ingester reads any Kafka producer', () => {
  it('stores traces the Java client wrote with every codec, in otlp_proto and otlp_json; dead-letters the rest', async () => {
    const topics = isolatedTopics('anyproducer');
    const client = admin();
    await client.connect();
    await client.createTopics({
      topics: [{ topic: topics.topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await client.disconnect();
    const traces: string[] = [];
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const [proto, json] = [await sdkTrace(`java-${codec}-proto`), await sdkTrace(`java-${codec}-json`)];
      traces.push(proto.traceId, json.traceId);
      await javaProducer({
        brokers: brokers.split(','),
        topic: topics.topic,
        compression: codec,
        records: [
          { key: proto.traceId, value: proto.proto, headers: { 'llmp-project': 'default' } },
          { key: json.traceId, value: json.json },
        ],
      });
    }
    const poison = randomBytes(40);
    poison[0] = 0xff;
    await javaProducer({
      brokers: brokers.split(','),
      topic: topics.topic,
      compression: 'lz4',
      records: [{ key: 'junk', value: poison }],
    });
    const ingester = await startIngester(topics, 'codecs');
    const counts = await spanCounts(ingester, traces, 3);
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(traces.map((t) => [t, 3])));
    const dlq = await readTopic(topics.deadLetterTopic, 1);
    expect(dlq.map((r) => r.value)).toEqual([poison]);
    expect(dlq[0]!.headers['llmp-dlq-offset']).toBe('10');
    // Every record is stored or parked: the partition's lag comes down to 0.
    const metrics = await waitFor(
      () => telemetry(ingester, '/metrics').then((r) => r.text()),
      (text) => text.includes(`llmp_ingester_lag_records{topic="${topics.topic}",partition="0"} 0`),
    );
    expect(metrics).toContain(`llmp_ingester_lag_records{topic="${topics.topic}",partition="0"} 0`);
    expect(metrics).toContain(
      `llmp_ingester_dead_lettered_records_total{topic="${topics.topic}",reason="undecodable"} 1`,
    );
    expect((await telemetry(ingester, '/readyz')).status).toBe(200);
  });

  it('answers /readyz 503 with the reason while a partition cannot move, and 200 once it does', async () => {
    const topics = isolatedTopics('stuck');
    const client = admin();
    await client.connect();
    // A dead-letter topic that refuses the record to park: its dead-letter send keeps failing.
    await client.createTopics({
      topics: [
        { topic: topics.topic, numPartitions: 1, replicationFactor: 1 },
        {
          topic: topics.deadLetterTopic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '200' }],
        },
      ],
      waitForLeaders: true,
    });
    try {
      const poison = randomBytes(2000);
      poison[0] = 0xff;
      const good = await sdkTrace('after-the-poison');
      await javaProducer({
        brokers: brokers.split(','),
        topic: topics.topic,
        compression: 'none',
        records: [{ key: 'junk', value: poison }],
      });
      await javaProducer({
        brokers: brokers.split(','),
        topic: topics.topic,
        compression: 'zstd',
        records: [{ key: good.traceId, value: good.proto }],
      });
      const ingester = await startIngester(topics, 'stuck', ['stallTimeout: 1s']);
      const stuck = await waitFor(
        () => telemetry(ingester, '/readyz'),
        (r) => r.status === 503,
      );
      expect(stuck.status).toBe(503);
      expect(((await stuck.json()) as { reason: string }).reason).toMatch(
        new RegExp(
          `^kafka \\(partitions making progress\\): partition ${topics.topic}/0 has made no progress for \\d+ s: dead-letter send failed: `,
        ),
      );
      expect((await spanCounts(ingester, [good.traceId], 3, 1000)).get(good.traceId)).toBe(0);
      await client.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topics.deadLetterTopic,
            configEntries: [{ name: 'max.message.bytes', value: '1048588' }],
          },
        ],
      });
      expect((await spanCounts(ingester, [good.traceId], 3)).get(good.traceId)).toBe(3);
      const ready = await waitFor(
        () => telemetry(ingester, '/readyz'),
        (r) => r.status === 200,
      );
      expect(ready.status).toBe(200);
    } finally {
      await client.disconnect();
    }
  });
});
