import { type TraceRequest, traceBatch } from '@llmp/otlp';
import { testSpan } from '@llmp/otlp/testing';
import { createLogger, ExportError, Registry } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import type { KafkaProducer } from './kafkaClient.ts';
import { kafkaExporter, kafkaExporterConfig, projectHeader } from './kafkaExporter.ts';

const request = (traceId: string): TraceRequest => ({
  resourceSpans: [
    {
      resource: { attributes: [], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          spans: [testSpan({ traceId, spanId: '0'.repeat(15) + '1', name: 'op' })],
        },
      ],
    },
  ],
});

/** A producer whose sends stay in flight until the test settles them. */
function heldProducer() {
  const sends: Array<{ keys: string[]; projects: string[]; settle: (error?: Error) => void }> = [];
  const producer: KafkaProducer = {
    send: (_topic, records) =>
      new Promise<void>((resolve, reject) => {
        sends.push({
          keys: records.map((r) => r.key),
          projects: records.map((r) => r.headers[projectHeader]!),
          settle: (error) => (error ? reject(error) : resolve()),
        });
      }),
    close: async () => undefined,
  };
  return { producer, sends };
}

const ticks = () => new Promise((resolve) => setImmediate(resolve));
const trace = (n: number) => String(n).repeat(32);

describe('kafka exporter, concurrent sends merged into one produce request', () => {
  it('answers every merged caller retryable (503 / UNAVAILABLE) when the merged send fails', async () => {
    const registry = new Registry();
    const settings = { id: 'kafka', logger: createLogger({ level: 'silent' }), registry };
    const { producer, sends } = heldProducer();
    const exporter = kafkaExporter(
      producer,
      settings,
      kafkaExporterConfig.parse({ coalesce: { enabled: true } }),
    );
    await exporter.start();
    const first = exporter.consume(traceBatch({ projectId: 'a', request: request(trace(1)) }));
    const merged = [2, 3, 4].map((n) =>
      exporter.consume(traceBatch({ projectId: `p${n}`, request: request(trace(n)) })).then(
        () => 'stored',
        (e: unknown) => e,
      ),
    );
    await ticks();
    expect(sends).toHaveLength(1);
    sends[0]!.settle();
    await first;
    await ticks();
    // One produce request for the three callers, each record with its own project header.
    expect(sends.map((s) => s.keys)).toEqual([[trace(1)], [trace(2), trace(3), trace(4)]]);
    expect(sends[1]!.projects).toEqual(['p2', 'p3', 'p4']);
    sends[1]!.settle(new Error('NOT_ENOUGH_REPLICAS'));
    for (const answer of await Promise.all(merged)) {
      expect(answer).toBeInstanceOf(ExportError);
      expect(answer).toMatchObject({ kind: 'retryable', reason: 'unavailable' });
    }
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
    expect(value('llmp_exporter_kafka_produce_requests_total')).toBe(2);
    expect(value('llmp_exporter_kafka_merged_sends_total')).toBe(4);
    const failed = metrics.find((m) => m.name === 'llmp_exporter_send_failed_spans_total');
    expect(failed?.values.reduce((n, v) => n + v.value, 0)).toBe(3);
    await exporter.shutdown();
  });

  it('never sends later the records of a caller already answered after sendTimeout', async () => {
    const settings = { id: 'kafka', logger: createLogger({ level: 'silent' }) };
    const { producer, sends } = heldProducer();
    const exporter = kafkaExporter(
      producer,
      settings,
      kafkaExporterConfig.parse({ sendTimeout: 50, coalesce: { enabled: true } }),
    );
    const first = exporter
      .consume(traceBatch({ projectId: 'a', request: request(trace(1)) }))
      .catch((e) => e);
    const queued = exporter
      .consume(traceBatch({ projectId: 'a', request: request(trace(2)) }))
      .catch((e) => e);
    expect(await queued).toMatchObject({ kind: 'retryable' });
    expect(await first).toMatchObject({ kind: 'retryable' });
    sends[0]!.settle();
    await ticks();
    expect(sends.map((s) => s.keys)).toEqual([[trace(1)]]);
  });
});
