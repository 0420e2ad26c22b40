import { type ClickHouseStore, migrate, readTrace } from '@llmp/clickhouse';
import { decodeJsonRequest, traceBatch } from '@llmp/otlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conventionTraces } from '../fixtures/conventionTraces.ts';
import { conventionTraceJson } from '../support/conventionTrace.ts';
import { genAiIngest } from '../support/genAiIngest.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('genai');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  // The ingester's wiring: genai processor → ClickHouse exporter over the embedded engine.
  const genai = genAiIngest(store);
  for (const trace of conventionTraces) {
    await genai.consume(
      traceBatch({ projectId: 'p1', request: decodeJsonRequest(conventionTraceJson(trace)) }),
    );
  }
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe.each(conventionTraces.map((t) => [t.convention, t] as const))('%s fixture trace', (_name, trace) => {
  it.each(trace.spans.map((s) => [s.name, s] as const))(
    '%s has its canonical fields',
    async (_span, fixture) => {
      const stored = (await readTrace(store, 'p1', trace.traceId)).find((s) => s.spanId === fixture.spanId);
      expect(stored).toBeDefined();
      const { costUsd, ...genAi } = stored!.genAi;
      const { costUsd: expectedCost, ...expectedGenAi } = fixture.expected.genAi;
      expect(stored!.spanType).toBe(fixture.expected.spanType);
      expect(stored!.sessionId).toBe(fixture.expected.sessionId);
      expect(stored!.userId).toBe(fixture.expected.userId);
      expect(genAi).toEqual(expectedGenAi);
      if (expectedCost === null) expect(costUsd).toBeNull();
      else expect(costUsd).toBeCloseTo(expectedCost, 12);
      // The original attributes are stored as sent, beside the canonical columns.
      expect(Object.keys(stored!.attributes).sort()).toEqual(Object.keys(fixture.attributes).sort());
    },
  );
});
