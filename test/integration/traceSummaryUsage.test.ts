import { type ClickHouseStore, migrate, migrations } from '@llmp/clickhouse';
import { jobMetrics } from '@llmp/jobs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Issue 17, item 1: job metrics count the tokens and cost of model calls (llm and embedding
// spans) only, as search and /v1/metrics do, also for runs stored before migration 11 that
// added those columns to trace_summary.

const dir = tempDir('trace-summary-usage');
let store: ClickHouseStore;
beforeAll(async () => {
  store = await openTestStore(dir.path);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

/** One run of job `triage`: an agent span repeating the usage of its two model calls. */
function run(trace: number) {
  const traceId = trace.toString(16).padStart(32, '0');
  const span = (i: number, columns: Record<string, unknown>) => ({
    project_id: 'p',
    Timestamp: new Date(Date.UTC(2026, 11, 1, 12, 0, trace, i))
      .toISOString()
      .replace('T', ' ')
      .replace('Z', ''),
    TraceId: traceId,
    SpanId: (trace * 16 + i).toString(16).padStart(16, '0'),
    ServiceName: 'svc',
    SpanName: `span ${i}`,
    Duration: 1_000_000,
    job_id: i === 0 ? 'triage' : '',
    job_version: i === 0 ? '1' : '',
    ...columns,
  });
  return [
    span(0, { span_type: 'agent', gen_ai_input_tokens: 30, gen_ai_output_tokens: 7, gen_ai_cost_usd: 0.3 }),
    span(1, { span_type: 'llm', gen_ai_input_tokens: 10, gen_ai_output_tokens: 3, gen_ai_cost_usd: 0.1 }),
    span(2, { span_type: 'llm', gen_ai_input_tokens: 20, gen_ai_output_tokens: 4, gen_ai_cost_usd: 0.2 }),
    span(3, { span_type: 'tool' }),
  ];
}

async function insert(rows: Array<Record<string, unknown>>) {
  await store.client.insert({ table: `${store.database}.spans`, values: rows, format: 'JSONEachRow' });
}

it('counts model calls only, for runs stored before migration 11 and after it, from the summary and from spans', async () => {
  await migrate(
    store,
    migrations.filter((m) => m.version <= 10),
  );
  await insert([...run(1), ...run(2)]);
  // What the summary held before: every span's usage, the agent span's repeat with it.
  const before = await store.client.query({
    query: `SELECT sum(input_tokens) AS input FROM ${store.database}.trace_summary WHERE project_id = {p:String}`,
    query_params: { p: 'p' },
    format: 'JSONEachRow',
  });
  expect(await before.json()).toEqual([{ input: '120' }]);

  await migrate(store);
  await insert(run(3));
  for (const fromSpans of [false, true]) {
    const metrics = await jobMetrics(store, 'p', 'triage', { fromSpans });
    expect({ fromSpans, runs: metrics.runs, spans: metrics.spans, tokens: metrics.tokens }).toEqual({
      fromSpans,
      runs: 3,
      spans: 12,
      tokens: { input: 90, output: 21 },
    });
    expect(metrics.cost_usd).toBeCloseTo(0.9, 9);
  }
});
