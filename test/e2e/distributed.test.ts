import { protoTypes } from '@llmp/otlp';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isolatedTopics,
  providedBrokers,
  spanCounts,
  startGateway,
  startIngester,
} from '../support/distributedRoles.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { processScope } from '../support/processScope.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { metricValue, waitForMetric } from '../support/selfMetric.ts';

const brokers = providedBrokers();
const { dir, track } = processScope('distributed');

const kafka = () =>
  new Kafka({ clientId: 'llmp-test-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

/** Reads every record of a topic from the beginning with a plain kafkajs consumer (not llmp's code). */
type Read = { partition: number; key: string; value: Buffer; headers: Record<string, string> };

async function readTopic(topic: string, until: (records: Read[]) => boolean, timeoutMs = 30_000) {
  const consumer = kafka().consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const records: Read[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          key: message.key?.toString() ?? '',
          value: message.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (until(records)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await done;
  await consumer.disconnect();
  return records;
}

describe.skipIf(!brokers)('distributed mode on a real Kafka broker', () => {
  const topics = isolatedTopics('e2e');
  let gateway: LlmpProcess;
  let ingester: LlmpProcess;

  beforeAll(async () => {
    gateway = track(await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics }));
    ingester = track(await startIngester({ dataDir: `${dir.path}/ingester`, brokers, topics }));
  });

  it('OTel SDK → gateway → Kafka → ingester → ClickHouse: every span arrives once', async () => {
    const traceIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const grpc = i % 2 === 0;
      const sent = await sendTrace(
        grpc
          ? new GrpcExporter({ url: `http://127.0.0.1:${gateway.grpcPort}` })
          : new ProtoExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/traces` }),
        `distributed-${i}`,
      );
      expect(sent.exporter.results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
      traceIds.push(sent.traceId);
    }
    const counts = await spanCounts(ingester, traceIds, 3);
    expect([...counts.values()]).toEqual([3, 3, 3, 3]);
    // The span came through intact (fields, job link) on this path too.
    const body = (await (await ingester.api(`/v1/traces/${traceIds[0]}`)).json()) as {
      spans: Array<{
        name: string;
        jobId: string | null;
        attributes: Record<string, unknown>;
        spanType: string | null;
        genAi: { provider: string | null; requestModel: string | null; inputTokens: number };
      }>;
    };
    const llm = body.spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(llm.jobId).toBe('job-e2e');
    // The ingester's genai processor normalised it.
    expect(llm.spanType).toBe('llm');
    expect(llm.genAi).toMatchObject({ provider: 'openai', requestModel: 'gpt-4o', inputTokens: 120 });
    expect(llm.attributes['attr.ints']).toEqual([1, 2, 3]);

    // Self-telemetry of both roles: ready (Kafka and the store answer), counts, ingester lag.
    const telemetry = (p: LlmpProcess, path: string) => fetch(`http://127.0.0.1:${p.telemetryPort}${path}`);
    expect((await telemetry(gateway, '/readyz')).status).toBe(200);
    expect((await telemetry(ingester, '/readyz')).status).toBe(200);
    const gatewayMetrics = await (await telemetry(gateway, '/metrics')).text();
    expect(gatewayMetrics).toMatch(/llmp_exporter_sent_spans_total\{exporter="kafka"\} (1[2-9]|[2-9]\d)/);
    const ingesterMetrics = await (await telemetry(ingester, '/metrics')).text();
    expect(ingesterMetrics).toMatch(
      /llmp_exporter_sent_spans_total\{exporter="clickhouse"\} (1[2-9]|[2-9]\d)/,
    );
    expect(ingesterMetrics).toMatch(/llmp_ingester_lag_records\{topic="[^"]+",partition="\d+"\} 0/);
    // The process's own figures in both; the embedded engine's memory only where it runs.
    for (const text of [gatewayMetrics, ingesterMetrics]) {
      expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d{6,}$/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes [1-9]/m);
    }
    expect(ingesterMetrics).toMatch(/^llmp_store_engine_memory_bytes [1-9]/m);
    expect(ingesterMetrics).toMatch(/^llmp_store_merges_memory_bytes \d/m);
    expect(gatewayMetrics).not.toContain('llmp_store_engine_memory_bytes');
  });

  it('a plain Kafka consumer reads otlp_spans as OTLP protobuf, one trace per record, a trace on one partition', async () => {
    const mixed = [otlpJsonTrace({ spans: 2 }), otlpJsonTrace({ spans: 3 }), otlpJsonTrace({ spans: 1 })];
    // One request mixing three traces: the gateway must split it by trace.
    const body = JSON.parse(mixed[0]!.body);
    for (const extra of mixed.slice(1)) {
      body.resourceSpans[0].scopeSpans[0].spans.push(
        ...JSON.parse(extra.body).resourceSpans[0].scopeSpans[0].spans,
      );
    }
    const response = await postJson(gateway.httpPort, JSON.stringify(body));
    expect(response.status).toBe(200);

    const wanted = new Set(mixed.map((t) => t.traceId));
    const records = await readTopic(topics.topic, (rs) =>
      [...wanted].every((id) => rs.some((r) => r.key === id)),
    );
    const { request } = protoTypes();
    const byTrace = new Map<string, Set<number>>();
    for (const record of records) {
      const decoded = request.toObject(request.decode(record.value), { bytes: String }) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }>;
      };
      const ids = decoded.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => Buffer.from(s.traceId, 'base64').toString('hex'))),
      );
      expect(ids.length).toBeGreaterThan(0);
      // Every span of a record belongs to the record's key, the lowercase hex trace id.
      expect(new Set(ids)).toEqual(new Set([record.key]));
      expect(record.key).toMatch(/^[0-9a-f]{32}$/);
      expect(record.headers['llmp-project']).toBe('default');
      const partitions = byTrace.get(record.key) ?? new Set();
      partitions.add(record.partition);
      byTrace.set(record.key, partitions);
    }
    for (const t of mixed) {
      expect(byTrace.get(t.traceId)?.size, `trace ${t.traceId} on one partition`).toBe(1);
    }
    for (const partitions of byTrace.values()) expect(partitions.size).toBe(1);
  });

  it('a trace delivered twice through Kafka (a retry after a lost acknowledgement) is stored once', async () => {
    const sent = otlpJsonTrace({ spans: 3 });
    const ingesterMetrics = `http://127.0.0.1:${ingester.telemetryPort}/metrics`;
    const stored = { exporter: 'clickhouse' };
    const before = metricValue(
      await (await fetch(ingesterMetrics)).text(),
      'llmp_exporter_sent_spans_total',
      stored,
    );
    expect((await postJson(gateway.httpPort, sent.body)).status).toBe(200);
    // The sender did not hear the answer and sends the same spans again: a new record, a new
    // offset, so no insert deduplication token can recognise it.
    expect((await postJson(gateway.httpPort, sent.body)).status).toBe(200);
    const counts = await spanCounts(ingester, [sent.traceId], 3);
    // Once the ingester has inserted the second copy too, count again.
    await waitForMetric(ingesterMetrics, 'llmp_exporter_sent_spans_total', stored, (v) => v >= before + 6);
    const again = await spanCounts(ingester, [sent.traceId], 3);
    expect(counts.get(sent.traceId)).toBe(3);
    expect(again.get(sent.traceId)).toBe(3);
    const body = (await (await ingester.api(`/v1/traces/${sent.traceId}`)).json()) as {
      spans: Array<{ spanId: string }>;
    };
    expect(body.spans.map((s) => s.spanId).sort()).toEqual([...sent.spanIds].sort());
  });

  it('a poison record goes to the dead-letter topic with its bytes and reason, and consumption goes on', async () => {
    const producer = kafka().producer();
    await producer.connect();
    const poison = Buffer.from('this is not OTLP protobuf \u00ff\u00fe');
    await producer.send({
      topic: topics.topic,
      messages: [{ key: 'poison', value: poison, headers: { source: 'test' } }],
    });
    await producer.disconnect();
    const after = otlpJsonTrace({ spans: 2 });
    expect((await postJson(gateway.httpPort, after.body)).status).toBe(200);

    const counts = await spanCounts(ingester, [after.traceId], 2);
    expect(counts.get(after.traceId)).toBe(2);
    const dead = await readTopic(topics.deadLetterTopic, (rs) => rs.length >= 1, 15_000);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value.equals(poison)).toBe(true);
    expect(dead[0]!.headers.source).toBe('test');
    expect(dead[0]!.headers['llmp-dlq-reason']).toMatch(/invalid OTLP protobuf/);
    expect(dead[0]!.headers['llmp-dlq-topic']).toBe(topics.topic);
  });
});

describe.skipIf(!brokers)('ingester crash between insert and commit', () => {
  it('after a SIGKILL and a restart, the stored span count equals the sent count', async () => {
    const topics = isolatedTopics('redelivery');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/r-gateway`, brokers, topics }));
    const dataDir = `${dir.path}/r-ingester`;
    // Fault injection: the ingester kills itself right after its first insert, before the commit.
    // Started before the traces are sent, so it is ready (every signal's receiver started) first.
    const crashing = track(
      await startIngester({ dataDir, brokers, topics, env: { LLMP_FAULT_EXIT_AFTER_INSERTS: '1' } }),
    );
    const crashed = new Promise<NodeJS.Signals | null>((resolve) =>
      crashing.child.once('close', (_c, s) => resolve(s)),
    );
    const service = `redelivery-${Date.now()}`;
    const traces = Array.from({ length: 20 }, () => otlpJsonTrace({ spans: 5, service }));
    for (const t of traces) expect((await postJson(gateway.httpPort, t.body)).status).toBe(200);
    expect(await crashed).toBe('SIGKILL');
    expect(crashing.stderr()).toMatch(/fault injection: exiting after insert of .*, before commit/);

    const restarted = track(await startIngester({ dataDir, brokers, topics }));
    // The restart rebuilt the range it had inserted and not committed, with the same token.
    const counts = await spanCounts(
      restarted,
      traces.map((t) => t.traceId),
      5,
    );
    const stored = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`redelivery: sent ${traces.length * 5} spans, stored ${stored}`);
    expect(stored).toBe(traces.length * 5);
    expect([...counts.values()].every((n) => n === 5)).toBe(true);
    // The derived tables count the range once too (trace_search's span counts).
    const search = await restarted.api(`/v1/traces?service=${service}&limit=100`);
    expect(search.status).toBe(200);
    const { traces: found } = (await search.json()) as {
      traces: Array<{ traceId: string; spanCount: number }>;
    };
    expect(found.map((t) => [t.traceId, t.spanCount]).sort()).toEqual(
      traces.map((t) => [t.traceId, 5]).sort(),
    );
    expect(restarted.logs.some((l) => l.msg === 're-inserting a range whose commit was lost')).toBe(true);
    expect(await restarted.stop('SIGTERM')).toBe(0);
  });
});
