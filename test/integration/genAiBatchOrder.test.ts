import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  readTrace,
} from '@llmp/clickhouse';
import { genAiProcessorConfig, genAiProcessorFactory } from '@llmp/genai';
import { decodeJsonRequest, type TraceBatch, traceBatch } from '@llmp/otlp';
import type { Component, Consumer } from '@llmp/pipeline';
import { batchProcessorConfig, batchProcessorFactory } from '@llmp/processors';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conventionTraces } from '../fixtures/conventionTraces.ts';
import { conventionTraceJson } from '../support/conventionTrace.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Issue 15, part 3: a batch's metadata survives the batch processor's merge, so `genai` may run
// before or after `batch` and the stored rows are the same.
const dir = tempDir('genai-order');
let store: ClickHouseStore;
const logger = pino({ level: 'silent' });

type Stage = Component & Consumer<TraceBatch>;

function pipeline(order: 'batch,genai' | 'genai,batch'): Stage[] {
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  // One flush for all the fixture traces, so the batch processor merges them.
  const batchConfig = batchProcessorConfig.parse({ timeout: 100, sendBatchSize: 100_000 });
  const genAiConfig = genAiProcessorConfig.parse({});
  if (order === 'batch,genai') {
    const genai = genAiProcessorFactory.create({ id: 'genai', logger }, genAiConfig, exporter);
    return [batchProcessorFactory.create({ id: 'batch', logger }, batchConfig, genai), genai];
  }
  const batch = batchProcessorFactory.create({ id: 'batch', logger }, batchConfig, exporter);
  return [genAiProcessorFactory.create({ id: 'genai', logger }, genAiConfig, batch), batch];
}

async function ingest(projectId: string, order: 'batch,genai' | 'genai,batch'): Promise<void> {
  const stages = pipeline(order);
  await Promise.all(
    conventionTraces.map((trace) =>
      stages[0]!.consume(traceBatch({ projectId, request: decodeJsonRequest(conventionTraceJson(trace)) })),
    ),
  );
  for (const stage of stages) await stage.shutdown();
}

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  await ingest('batch-first', 'batch,genai');
  await ingest('genai-first', 'genai,batch');
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('genai before or after batch', () => {
  it.each(conventionTraces.map((t) => [t.convention, t] as const))(
    '%s trace is stored with the same rows',
    async (_name, trace) => {
      const batchFirst = await readTrace(store, 'batch-first', trace.traceId);
      const genAiFirst = await readTrace(store, 'genai-first', trace.traceId);
      expect(batchFirst).toHaveLength(trace.spans.length);
      expect(genAiFirst).toEqual(batchFirst);
      // Not vacuous: the fixtures' canonical fields reached the rows on both paths.
      for (const fixture of trace.spans) {
        const stored = genAiFirst.find((s) => s.spanId === fixture.spanId);
        expect(stored?.spanType).toBe(fixture.expected.spanType);
      }
    },
  );
});
