import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  clickhouseLogsWriter,
  deleteTrace,
  migrate,
  migrations,
  readTrace,
  readTraceScores,
  readTraceSpan,
} from '@llmp/clickhouse';
import { jobEvaluations, jobScores } from '@llmp/jobs';
import { type KeyValue, type LogRecord, type Span, traceBatch } from '@llmp/otlp';
import { stringAttr as str, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Migration 14: evaluation results become genai_scores rows through materialized views over
// otel_logs and spans (so every writer fills them), back-filled from what was stored before.

const dir = tempDir('genai-scores');
let store: ClickHouseStore;
const second = 1_000_000_000n;
const t0 = 1_700_000_000n * second;
const trace = 'e'.repeat(32);
const root = 'e000000000000001';
const child = 'e000000000000002';
const dbl = (key: string, value: number): KeyValue => ({ key, value: { type: 'double', value } });

const result = (name: string, more: KeyValue[] = []): KeyValue[] => [
  str('gen_ai.evaluation.name', name),
  ...more,
];

async function writeSpans(spans: Span[]) {
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger: pino({ level: 'silent' }) },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  await exporter.consume(
    traceBatch({
      projectId: 'p',
      request: {
        resourceSpans: [
          {
            resource: { attributes: [str('service.name', 'judge')], droppedAttributesCount: 0 },
            schemaUrl: '',
            scopeSpans: [
              {
                scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
                schemaUrl: '',
                spans,
              },
            ],
          },
        ],
      },
    }),
  );
}

async function writeRecords(scope: string, records: Array<Partial<LogRecord>>) {
  await clickhouseLogsWriter(store).consume({
    projectId: 'p',
    logRecordCount: records.length,
    request: {
      resourceLogs: [
        {
          resource: { attributes: [str('service.name', 'judge')], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeLogs: [
            {
              scope: { name: scope, version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              logRecords: records.map((more) => ({
                timeUnixNano: t0 + second,
                observedTimeUnixNano: t0 + second,
                severityNumber: 9,
                severityText: 'INFO',
                body: { type: 'empty' },
                attributes: [],
                droppedAttributesCount: 0,
                flags: 0,
                traceId: trace,
                spanId: child,
                eventName: 'gen_ai.evaluation.result',
                ...more,
              })),
            },
          ],
        },
      ],
    },
  });
}

beforeAll(async () => {
  store = await openTestStore(dir.path);
  // Stored before migration 14: back-filled by it.
  await migrate(
    store,
    migrations.filter((m) => m.version <= 12),
  );
  await writeSpans([
    // The root names job-a (the trace's first link); the child names job-b.
    testSpan({
      traceId: trace,
      spanId: root,
      name: 'label batch',
      startTimeUnixNano: t0,
      endTimeUnixNano: t0 + 2n * second,
      attributes: [str('llmp.job.id', 'job-a')],
      events: [
        {
          timeUnixNano: t0 + second / 2n,
          name: 'gen_ai.evaluation.result',
          attributes: result('Coherence', [dbl('gen_ai.evaluation.score.value', 4)]),
          droppedAttributesCount: 0,
        },
        // Another event on the span: no score.
        { timeUnixNano: t0, name: 'retry', attributes: [], droppedAttributesCount: 0 },
      ],
    }),
    testSpan({
      traceId: trace,
      spanId: child,
      parentSpanId: root,
      name: 'chat',
      startTimeUnixNano: t0 + second / 10n,
      endTimeUnixNano: t0 + second,
      attributes: [str('llmp.job.id', 'job-b')],
    }),
  ]);
  await writeRecords('judge-v1', [
    { attributes: result('Relevance', [dbl('gen_ai.evaluation.score.value', 0.5)]) },
  ]);
  await migrate(store);
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('genai_scores', () => {
  it('back-fills results stored before migration 14 and fills new ones as they are written', async () => {
    await writeRecords('judge-v2', [
      {
        timeUnixNano: t0 + 3n * second,
        attributes: result('Relevance', [str('gen_ai.evaluation.score.label', 'pass')]),
      },
      // No evaluation name (required by the conventions): no score.
      { timeUnixNano: t0 + 3n * second, attributes: [dbl('gen_ai.evaluation.score.value', 1)] },
      // A result of the root, naming no span of its own: a trace-level score under ''.
      {
        spanId: '',
        timeUnixNano: t0 + 4n * second,
        attributes: result('Overall', [str('gen_ai.evaluation.score.value', '0.9')]),
      },
    ]);
    const scores = await readTraceScores(store, 'p', trace);
    expect(scores.get(root)?.map((s) => [s.name, s.score, s.source, s.evaluator])).toEqual([
      ['Coherence', 4, 'span_event', ''],
    ]);
    expect(scores.get(child)?.map((s) => [s.name, s.score, s.label, s.evaluator])).toEqual([
      ['Relevance', 0.5, '', 'judge-v1'],
      ['Relevance', null, 'pass', 'judge-v2'],
    ]);
    expect(scores.get('')?.map((s) => [s.name, s.score])).toEqual([['Overall', 0.9]]);
    expect(await readTraceScores(store, 'other-project', trace)).toEqual(new Map());
    // A part of a huge trace reads the results of its own spans only.
    const part = await readTraceScores(store, 'p', trace, [child]);
    expect([...part.keys()]).toEqual([child]);
    expect(part.get(child)).toEqual(scores.get(child));
  });

  it('gives a result to the job its span names, else to its trace’s first link', async () => {
    const page = async (job: string) => {
      const found = await jobScores(store, 'p', job, { limit: 50 });
      if (!found.ok) throw new Error(found.failure.message);
      return found.value.items.map((s) => s.name).sort();
    };
    expect(await page('job-a')).toEqual(['Coherence', 'Overall']);
    expect(await page('job-b')).toEqual(['Relevance', 'Relevance']);
    expect(await jobEvaluations(store, 'p', 'job-b')).toEqual([
      { name: 'Relevance', count: 2, scored: 1, mean: 0.5, min: 0.5, max: 0.5, labels: { pass: 1 } },
    ]);
    expect((await jobScores(store, 'p', 'job-a', { limit: 1, cursor: 'nope' })).ok).toBe(false);
  });

  it('puts results and log-record text on their spans alike in a whole read, a part and a one-span read', async () => {
    await writeRecords('app', [
      {
        eventName: 'gen_ai.client.inference.operation.details',
        attributes: [
          str('gen_ai.input.messages', '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]'),
          str('gen_ai.output.messages', '[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]'),
        ],
      },
    ]);
    const whole = await readTrace(store, 'p', trace);
    const chat = whole.find((s) => s.spanId === child);
    expect(chat?.genAi).toMatchObject({ inputText: 'user: hi', outputText: 'assistant: hello' });
    expect(chat?.scores?.map((s) => s.name)).toEqual(['Relevance', 'Relevance']);
    expect(whole.find((s) => s.spanId === root)?.scores?.map((s) => s.name)).toEqual(['Coherence']);
    expect(await readTraceSpan(store, 'p', trace, child)).toEqual(chat);
    expect(await readTraceSpan(store, 'p', trace, root)).toEqual(whole.find((s) => s.spanId === root));
    expect(await readTrace(store, 'p', trace, { limit: 10 })).toEqual(whole);
  });

  it('goes with its trace when the trace is deleted', async () => {
    expect(await deleteTrace(store, 'p', trace)).toBe(2);
    expect(await readTraceScores(store, 'p', trace)).toEqual(new Map());
  });
});
