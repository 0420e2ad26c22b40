import {
  decodeProtobufLogsRequest,
  encodeProtobufLogsRequest,
  type LogBatch,
  type LogRecord,
  type LogsRequest,
  traceBatch,
} from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { type Consumer, createLogger, ExportError } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { dedupToken } from './dedupToken.ts';
import { signalConfig } from './hostedKafkaReceiver.ts';
import { kafkaExporter, kafkaExporterConfig, projectHeader } from './kafkaExporter.ts';
import { deadLetterHeaders, kafkaReceiver, kafkaReceiverConfig } from './kafkaReceiver.ts';
import type { KafkaSignal } from './kafkaSignal.ts';
import { logKafkaRecords, OversizedLogRecordError } from './logKafkaRecords.ts';
import { logSignal } from './logSignal.ts';
import { MemoryKafka } from './memoryKafka.ts';
import { traceSignal } from './traceSignal.ts';

const settings = { id: 'kafka', logger: createLogger({ level: 'silent' }) };
const signals = [traceSignal, logSignal] as KafkaSignal<unknown>[];

const record = (traceId: string, n: number, body = `record ${n}`): LogRecord => ({
  timeUnixNano: 1_767_225_600_000_000_000n + BigInt(n),
  observedTimeUnixNano: 1_767_225_600_000_000_000n + BigInt(n),
  severityNumber: 9,
  severityText: 'INFO',
  body: { type: 'string', value: body },
  attributes: [stringAttr('n', String(n))],
  droppedAttributesCount: 0,
  flags: 0,
  traceId,
  spanId: traceId ? (n + 1).toString(16).padStart(16, '0') : '',
  eventName: traceId ? 'gen_ai.client.inference.operation.details' : '',
});

const resource = (service: string) => ({
  attributes: [stringAttr('service.name', service)],
  droppedAttributesCount: 0,
});
const scope = (name: string) => ({ name, version: '1', attributes: [], droppedAttributesCount: 0 });
const [t1, t2] = ['1'.repeat(32), '2'.repeat(32)];

/** Two services, records of two traces interleaved, and records of no trace in each service. */
const mixed: LogsRequest = {
  resourceLogs: [
    {
      resource: resource('chat'),
      schemaUrl: 'https://schema/chat',
      scopeLogs: [
        {
          scope: scope('openai-v2'),
          schemaUrl: '',
          logRecords: [record(t1, 0), record(t2, 1), record('', 2)],
        },
        { scope: scope('app'), schemaUrl: '', logRecords: [record(t1, 3), record('', 4)] },
      ],
    },
    {
      resource: resource('search'),
      schemaUrl: '',
      scopeLogs: [{ scope: scope('app'), schemaUrl: '', logRecords: [record('', 5), record(t2, 6)] }],
    },
  ],
};

const bodies = (request: LogsRequest) =>
  request.resourceLogs.flatMap((rl) =>
    rl.scopeLogs.flatMap((sl) =>
      sl.logRecords.map(
        (r) =>
          `${(rl.resource.attributes[0]?.value as { value: string } | undefined)?.value ?? '-'}/${sl.scope.name}/${(r.body as { value: string }).value}`,
      ),
    ),
  );

describe('logKafkaRecords', () => {
  it('makes one record per trace id and one per service for records without one, keeping resources, scopes and order', () => {
    const records = logKafkaRecords(mixed, 1_000_000);
    const byKey = Object.fromEntries(records.map((r) => [r.key, bodies(decodeProtobufLogsRequest(r.value))]));
    expect(byKey).toEqual({
      [t1]: ['chat/openai-v2/record 0', 'chat/app/record 3'],
      [t2]: ['chat/openai-v2/record 1', 'search/app/record 6'],
      chat: ['chat/openai-v2/record 2', 'chat/app/record 4'],
      search: ['search/app/record 5'],
    });
    expect(records.map((r) => r.logRecordCount)).toEqual([2, 2, 2, 1]);
  });

  it('splits a trace whose records exceed the bound, and refuses one record that alone does', () => {
    const big: LogsRequest = {
      resourceLogs: [
        {
          resource: resource('chat'),
          schemaUrl: '',
          scopeLogs: [
            {
              scope: scope('app'),
              schemaUrl: '',
              logRecords: [0, 1, 2, 3].map((n) => record(t1, n, 'x'.repeat(300))),
            },
          ],
        },
      ],
    };
    const records = logKafkaRecords(big, 800);
    expect(records.length).toBeGreaterThan(1);
    expect(records.every((r) => r.key === t1 && r.value.byteLength <= 800)).toBe(true);
    expect(records.flatMap((r) => bodies(decodeProtobufLogsRequest(r.value)))).toHaveLength(4);
    expect(() => logKafkaRecords(big, 200)).toThrow(OversizedLogRecordError);
  });
});

describe('kafka exporter, logs pipeline', () => {
  it('writes otlp_logs records with the project header, and spans still to otlp_spans', async () => {
    const kafka = new MemoryKafka(3);
    const exporter = kafkaExporter(kafka.producer(), settings, kafkaExporterConfig.parse({}), signals);
    await exporter.start();
    const batch: LogBatch = { projectId: 'p1', request: mixed, logRecordCount: 7 };
    await exporter.consume(batch as never);
    const written = kafka.records('otlp_logs');
    expect(written.map((r) => r.key).sort()).toEqual(['chat', 'search', t1, t2].sort());
    expect(written.every((r) => r.headers[projectHeader] === 'p1')).toBe(true);
    expect(kafka.records('otlp_spans')).toEqual([]);
    await exporter.shutdown();
  });

  it('answers a log record too big for any Kafka record with a permanent error', async () => {
    const kafka = new MemoryKafka();
    const config = kafkaExporterConfig.parse({ maxRecordBytes: 100 });
    const exporter = kafkaExporter(kafka.producer(), settings, config, signals);
    const error = await exporter
      .consume({ projectId: 'p', request: mixed, logRecordCount: 7 } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).kind).toBe('permanent');
    expect(kafka.records('otlp_logs')).toEqual([]);
  });
});

describe('kafka exporter, logs pipeline, Kafka down or slow', () => {
  const batch = (): LogBatch => ({ projectId: 'p', request: mixed, logRecordCount: 7 });

  it('answers retryable when Kafka fails or does not acknowledge in time', async () => {
    const failing = kafkaExporter(
      new MemoryKafka().producer({ failWith: () => new Error('connection refused') }),
      settings,
      kafkaExporterConfig.parse({}),
      signals,
    );
    await expect(failing.consume(batch() as never)).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'unavailable',
    });
    const hanging = kafkaExporter(
      { send: () => new Promise(() => undefined), close: async () => undefined },
      settings,
      kafkaExporterConfig.parse({ sendTimeout: 50 }),
      signals,
    );
    await expect(hanging.consume(batch() as never)).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('refuses log records with a retryable error while too many of their bytes await acknowledgement, spans keep their own budget', async () => {
    const pending: Array<() => void> = [];
    const exporter = kafkaExporter(
      { send: () => new Promise<void>((resolve) => pending.push(resolve)), close: async () => undefined },
      settings,
      kafkaExporterConfig.parse({ maxInFlightBytes: 10 }),
      signals,
    );
    const first = exporter.consume(batch() as never);
    await expect(exporter.consume(batch() as never)).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'exhausted',
    });
    // The spans' budget is their own: a trace is sent while the log records wait.
    const spans = exporter.consume(
      traceBatch({
        projectId: 'p',
        request: testRequest([testSpan({ traceId: t1, spanId: '0000000000000001' })]),
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(pending).toHaveLength(2);
    for (const release of pending) release();
    await Promise.all([first, spans]);
    await exporter.shutdown();
  });
});

describe('kafka receiver, otlp_logs', () => {
  /** A store stand-in keeping batches by deduplication token, as ClickHouse does. */
  function sink() {
    const byToken = new Map<string, LogBatch>();
    const consumer: Consumer<LogBatch> = {
      async consume(batch) {
        const token = batch.meta?.dedupToken ?? '';
        if (!byToken.has(token)) byToken.set(token, batch);
      },
    };
    return { consumer, byToken };
  }
  const config = kafkaReceiverConfig.parse({
    topic: 'otlp_logs',
    deadLetterTopic: 'otlp_logs_dlq',
    retryOnFailure: { initialInterval: 1, maxInterval: 5 },
  });

  it('inserts log records with an offset-range token per project, reading otlp_json too, and parks the unreadable', async () => {
    const kafka = new MemoryKafka();
    const proto = encodeProtobufLogsRequest(mixed);
    const json = new TextEncoder().encode(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              { logRecords: [{ traceId: t1, spanId: '00000000000000aa', body: { stringValue: 'as json' } }] },
            ],
          },
        ],
      }),
    );
    kafka.append('otlp_logs', { key: t1, value: proto, headers: { [projectHeader]: 'p1' } });
    kafka.append('otlp_logs', { key: 'junk', value: new Uint8Array([0xff, 0xff, 0xff]), headers: {} });
    kafka.append('otlp_logs', { key: t1, value: json, headers: { [projectHeader]: 'p1' } });
    kafka.append('otlp_logs', {
      key: 'bad-ids',
      value: encodeProtobufLogsRequest({
        resourceLogs: [
          {
            resource: resource('x'),
            schemaUrl: '',
            scopeLogs: [
              { scope: scope('s'), schemaUrl: '', logRecords: [{ ...record(t1, 0), spanId: 'abc' }] },
            ],
          },
        ],
      }),
      headers: {},
    });
    const store = sink();
    const consumer = kafka.consumer('llmp-ingester-logs', 'otlp_logs');
    const receiver = kafkaReceiver(
      { consumer, producer: kafka.producer(), signal: logSignal },
      settings,
      config,
      store.consumer,
    );
    await receiver.start();
    await consumer.drain();
    const token = dedupToken('otlp_logs', 0, '0', '3', 'p1');
    expect([...store.byToken.keys()]).toEqual([token]);
    const stored = store.byToken.get(token)!;
    expect(stored.logRecordCount).toBe(8);
    expect(bodies(stored.request).at(-1)).toMatch(/as json$/);
    const parked = kafka.records('otlp_logs_dlq');
    expect(parked.map((r) => [r.key, r.headers[deadLetterHeaders.offset]])).toEqual([
      ['junk', '1'],
      ['bad-ids', '3'],
    ]);
    expect(kafka.commits.get('llmp-ingester-logs/otlp_logs/0')?.offset).toBe('4');
    await receiver.shutdown();
  });
});

describe('signalConfig', () => {
  it('reads logs from their own topic, group and dead-letter topic; traces from the top-level ones', () => {
    const config = kafkaReceiverConfig.parse({ groupId: 'ing', topic: 'spans' });
    expect(signalConfig(config, 'traces')).toMatchObject({
      topic: 'spans',
      groupId: 'ing',
      deadLetterTopic: 'otlp_spans_dlq',
    });
    expect(signalConfig(config, 'logs')).toMatchObject({
      topic: 'otlp_logs',
      groupId: 'ing-logs',
      deadLetterTopic: 'otlp_logs_dlq',
    });
    const named = kafkaReceiverConfig.parse({ logs: { topic: 'l', groupId: 'g', deadLetterTopic: 'd' } });
    expect(signalConfig(named, 'logs')).toMatchObject({ topic: 'l', groupId: 'g', deadLetterTopic: 'd' });
  });
});
