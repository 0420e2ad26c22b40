import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  isolatedTopics,
  providedBrokers,
  spanCounts,
  startGateway,
  startIngester,
} from '../support/distributedRoles.ts';
import { startLlmp } from '../support/llmpProcess.ts';
import { processScope } from '../support/processScope.ts';
import { sendSpans } from '../support/sdkSpans.ts';

const brokers = providedBrokers();
const { dir, track } = processScope('distributed-jobs');

/** Reads `count` records of a topic from the beginning with a plain kafkajs consumer. */
async function readTopic(topic: string, count: number, timeoutMs = 30_000) {
  const kafka = new Kafka({
    clientId: 'llmp-test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${topic}` });
  const records: Array<{ key: string; value: string; project: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          project: String(message.headers?.['llmp-project'] ?? ''),
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

interface ApiSpan {
  name: string;
  jobId: string | null;
  jobVersion: string | null;
}

describe.skipIf(!brokers)('span ↔ job linking through Kafka (gateway → otlp_spans → ingester)', () => {
  it('links a trace whose root, the only span with the job, arrives last, after an ingester restart; publishes job events', async () => {
    const topics = isolatedTopics('jobs');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics }));
    const ingesterDir = `${dir.path}/ingester`;
    const first = track(await startIngester({ dataDir: ingesterDir, brokers, topics }));

    const traceId = randomBytes(16).toString('hex');
    const rootSpanId = randomBytes(8).toString('hex');
    const remoteRoot = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: rootSpanId,
      traceFlags: 1,
      isRemote: true,
    });
    await sendSpans(gateway.httpPort, (tracer) => {
      const step = tracer.startSpan('plan', {}, remoteRoot);
      tracer.startSpan('chat claude', {}, trace.setSpan(remoteRoot, step)).end();
      step.end();
    });
    expect([...(await spanCounts(first, [traceId], 2)).values()]).toEqual([2]);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = track(await startIngester({ dataDir: ingesterDir, brokers, topics }));
    await sendSpans(
      gateway.httpPort,
      (tracer) =>
        tracer
          .startSpan('agent run', { attributes: { 'llmp.job.id': 'kafka-agent', 'llmp.job.version': '1' } })
          .end(),
      { generateTraceId: () => traceId, generateSpanId: () => rootSpanId },
    );
    expect([...(await spanCounts(second, [traceId], 3)).values()]).toEqual([3]);

    const traces = (await (await second.api('/v1/jobs/kafka-agent/traces')).json()) as {
      items: Array<{ traceId: string }>;
    };
    expect(traces.items.map((t) => t.traceId)).toEqual([traceId]);
    const view = (await (await second.api(`/v1/traces/${traceId}`)).json()) as { spans: ApiSpan[] };
    expect(view.spans.map((s) => [s.name, s.jobId, s.jobVersion]).sort()).toEqual([
      ['agent run', 'kafka-agent', '1'],
      ['chat claude', 'kafka-agent', '1'],
      ['plan', 'kafka-agent', '1'],
    ]);
    expect(await (await second.api('/v1/jobs/kafka-agent')).json()).toMatchObject({ discovered: true });

    // Job events are published on the job events topic: the discovery, and what the API did.
    const post = (path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${second.apiPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await post('/v1/jobs', { id: 'kafka-defined', name: 'defined' })).status).toBe(201);
    expect((await post('/v1/jobs/kafka-defined/pause')).status).toBe(200);
    const records = await readTopic(topics.jobEvents, 3);
    const events = records.map((r) => ({ key: r.key, header: r.project, ...JSON.parse(r.value) }));
    expect(events.map((e) => [e.key, e.kind, e.seq, e.status])).toEqual(
      expect.arrayContaining([
        ['kafka-agent', 'discovered', 1, 'active'],
        ['kafka-defined', 'created', 1, 'active'],
        ['kafka-defined', 'paused', 2, 'paused'],
      ]),
    );
    expect(events.every((e) => e.header === 'default' && e.project_id === 'default')).toBe(true);
    // One job's events stay in order (one key, one partition).
    const defined = events.filter((e) => e.key === 'kafka-defined').map((e) => e.seq);
    expect(defined).toEqual([1, 2]);
  });

  it('llmp query publishes the job events of its API when it has a kafka section', async () => {
    const topic = isolatedTopics('query').jobEvents;
    const query = track(
      await startLlmp({
        dataDir: `${dir.path}/query`,
        command: 'query',
        extraYaml: ['kafka:', `  brokers: "${brokers}"`, 'jobEvents:', `  topic: ${topic}`].join('\n'),
      }),
    );
    const response = await fetch(`http://127.0.0.1:${query.apiPort}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llmp-actor': 'ops@example.com' },
      body: JSON.stringify({ id: 'from-query', name: 'from query' }),
    });
    expect(response.status).toBe(201);
    const [record] = await readTopic(topic, 1);
    expect(record!.key).toBe('from-query');
    expect(JSON.parse(record!.value)).toMatchObject({
      project_id: 'default',
      job_id: 'from-query',
      kind: 'created',
      seq: 1,
      actor: 'ops@example.com',
      changes: { name: 'from query' },
    });
  });
});
