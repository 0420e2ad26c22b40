import { randomBytes } from 'node:crypto';
import { type Context, ROOT_CONTEXT, type Tracer, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('job-attribution');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

const job = 'ticket-triage';

interface Totals {
  spans: number;
  input: number;
  output: number;
  cost: number;
}

/** Two model calls under a retrieval span: the usual shape of an instrumented request. */
function children(tracer: Tracer, parent: Context, tokens: number): void {
  const retrieve = tracer.startSpan('retrieve tickets', {}, parent);
  for (const [i, model] of ['gpt-4o', 'gpt-4o-mini'].entries()) {
    tracer
      .startSpan(
        `chat ${model}`,
        {
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': model,
            'gen_ai.usage.input_tokens': tokens + i,
            'gen_ai.usage.output_tokens': Math.round(tokens / 4) + i,
          },
        },
        trace.setSpan(parent, retrieve),
      )
      .end();
  }
  retrieve.end();
}

// The root is an agent span repeating its children's usage, as agent frameworks report it:
// tokens and cost add up model calls only, on every route, so the root's usage counts nowhere.
const rootAttributes = {
  'llmp.job.id': job,
  'llmp.job.version': '2',
  'gen_ai.operation.name': 'invoke_agent',
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 250,
};

/** A trace whose children go in one export and whose root, the only span naming the job, in a later one. */
async function rootLast(port: number, tokens: number) {
  const traceId = randomBytes(16).toString('hex');
  const rootSpanId = randomBytes(8).toString('hex');
  const remoteRoot = trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: rootSpanId,
    traceFlags: 1,
    isRemote: true,
  });
  await sendSpans(port, (tracer) => children(tracer, remoteRoot, tokens));
  return async (rootPort: number) =>
    sendSpans(rootPort, (tracer) => tracer.startSpan('POST /triage', { attributes: rootAttributes }).end(), {
      generateTraceId: () => traceId,
      generateSpanId: () => rootSpanId,
    });
}

describe('one job attribution through every read (root-only job ids, OpenTelemetry JS SDK)', () => {
  it('gives the same spans, tokens and cost per job from spans, traces, metrics, the rollup and the job routes', async () => {
    const dataDir = `${dir.path}/data`;
    const first = await startLlmp({ dataDir });
    running.push(first);

    // 1: root and children in one export (the root ends last, as an instrumented request does).
    await sendSpans(first.httpPort, (tracer) => {
      const root = tracer.startSpan('POST /triage', { attributes: rootAttributes });
      children(tracer, trace.setSpan(ROOT_CONTEXT, root), 100);
      root.end();
    });
    // 2: the root in a later export than its children.
    const sendRoot2 = await rootLast(first.httpPort, 200);
    await sendRoot2(first.httpPort);
    // 3: children before a restart, the root after it.
    const sendRoot3 = await rootLast(first.httpPort, 300);
    // A trace of no job, without model calls: all tokens and cost belong to the job.
    await sendSpans(first.httpPort, (tracer) => tracer.startSpan('GET /healthz').end());
    expect(await first.stop('SIGTERM')).toBe(0);

    const llmp = await startLlmp({ dataDir });
    running.push(llmp);
    await sendRoot3(llmp.httpPort);

    const get = async <T>(path: string): Promise<T> => {
      const response = await llmp.api(path);
      expect(response.status, path).toBe(200);
      return (await response.json()) as T;
    };
    // Per trace: root, retrieval and two model calls; tokens t+(t+1) in, t/4+(t/4+1) out.
    const expected = {
      spans: 12,
      input: [100, 200, 300].reduce((a, t) => a + 2 * t + 1, 0),
      output: [100, 200, 300].reduce((a, t) => a + 2 * Math.round(t / 4) + 1, 0),
    };

    type Row = {
      group: Record<string, string>;
      count: number;
      inputTokens: number;
      outputTokens: number;
      costUsd: number;
    };
    const sum = (rows: Row[]): Totals =>
      rows.reduce(
        (a, r) => ({
          spans: a.spans + r.count,
          input: a.input + r.inputTokens,
          output: a.output + r.outputTokens,
          cost: a.cost + r.costUsd,
        }),
        { spans: 0, input: 0, output: 0, cost: 0 },
      );

    const spans = await get<{
      spans: Array<{
        inputTokens: number;
        outputTokens: number;
        costUsd: number | null;
        jobId: string | null;
        jobVersion: string | null;
        spanType: string | null;
      }>;
    }>(`/v1/spans?jobId=${job}&limit=500`);
    // Usage is that of model calls (llm and embedding spans), as every aggregate counts it.
    const calls = spans.spans.filter((s) => s.spanType === 'llm' || s.spanType === 'embedding');
    const fromSpans: Totals = {
      spans: spans.spans.length,
      input: calls.reduce((a, s) => a + s.inputTokens, 0),
      output: calls.reduce((a, s) => a + s.outputTokens, 0),
      cost: calls.reduce((a, s) => a + (s.costUsd ?? 0), 0),
    };
    expect(fromSpans).toMatchObject(expected);
    expect(fromSpans.cost).toBeGreaterThan(0);
    for (const s of spans.spans) expect(s).toMatchObject({ jobId: job, jobVersion: '2' });

    const traces = await get<{
      traces: Array<{
        spanCount: number;
        inputTokens: number;
        outputTokens: number;
        costUsd: number | null;
        jobId: string | null;
      }>;
    }>(`/v1/traces?jobId=${job}`);
    expect(traces.traces).toHaveLength(3);
    for (const t of traces.traces) expect(t.jobId).toBe(job);
    const fromTraces: Totals = {
      spans: traces.traces.reduce((a, t) => a + t.spanCount, 0),
      input: traces.traces.reduce((a, t) => a + t.inputTokens, 0),
      output: traces.traces.reduce((a, t) => a + t.outputTokens, 0),
      cost: traces.traces.reduce((a, t) => a + (t.costUsd ?? 0), 0),
    };

    // Whole hours of the default day come from the hourly rollup (the spans naming no job from
    // spans, with their trace's link); minDurationMs=0, which the rollup cannot answer, reads spans.
    const byJob = await get<{ rows: Row[]; source: string }>('/v1/metrics?groupBy=job');
    expect(byJob.source).toBe('rollup');
    const byJobRaw = await get<{ rows: Row[]; source: string }>('/v1/metrics?groupBy=job&minDurationMs=0');
    expect(byJobRaw.source).toBe('spans');
    expect(byJobRaw.rows.map((r) => r.group.job).sort()).toEqual(['', job]);
    const fromJobGroupRaw = sum(byJobRaw.rows.filter((r) => r.group.job === job));
    expect(byJob.rows.map((r) => r.group.job).sort()).toEqual(['', job]);
    expect(byJob.rows.find((r) => r.group.job === '')).toMatchObject({
      count: 1,
      inputTokens: 0,
      costUsd: 0,
    });
    const fromJobGroup = sum(byJob.rows.filter((r) => r.group.job === job));

    const byModel = await get<{ rows: Row[]; source: string }>(`/v1/metrics?groupBy=model&jobId=${job}`);
    expect(byModel.source).toBe('rollup');
    expect(byModel.rows.map((r) => r.group.model)).toEqual(['', 'gpt-4o', 'gpt-4o-mini']);
    const fromModels = sum(byModel.rows);

    const byVersion = await get<{ rows: Row[] }>(`/v1/metrics?groupBy=jobVersion&jobId=${job}`);
    const byVersionRaw = await get<{ rows: Row[]; source: string }>(
      `/v1/metrics?groupBy=jobVersion&jobId=${job}&minDurationMs=0`,
    );
    expect(byVersionRaw.source).toBe('spans');
    expect(byVersionRaw.rows.map((r) => r.group.jobVersion)).toEqual(['2']);
    expect(byVersion.rows.map((r) => r.group.jobVersion)).toEqual(['2']);
    const fromVersions = sum(byVersion.rows);

    // Grouped by model over whole hours, with no job filter: the hourly rollup answers.
    const rolled = await get<{ rows: Row[]; source: string }>('/v1/metrics?groupBy=model');
    expect(rolled.source).toBe('rollup');
    const fromRollup = sum(rolled.rows);

    const metrics = await get<{
      runs: number;
      spans: number;
      tokens: { input: number; output: number };
      cost_usd: number | null;
    }>(`/v1/jobs/${job}/metrics`);
    expect(metrics.runs).toBe(3);
    const fromJobRoute: Totals = {
      spans: metrics.spans,
      input: metrics.tokens.input,
      output: metrics.tokens.output,
      cost: metrics.cost_usd ?? 0,
    };

    for (const [route, totals] of Object.entries({
      traces: fromTraces,
      'metrics groupBy=job': fromJobGroup,
      'metrics groupBy=job from spans': fromJobGroupRaw,
      'metrics groupBy=jobVersion&jobId from spans': sum(byVersionRaw.rows),
      'metrics groupBy=model&jobId': fromModels,
      'metrics groupBy=jobVersion&jobId': fromVersions,
      'job metrics': fromJobRoute,
    })) {
      expect({ route, spans: totals.spans, input: totals.input, output: totals.output }).toEqual({
        route,
        ...expected,
      });
      expect(totals.cost, route).toBeCloseTo(fromSpans.cost, 9);
    }
    // The rollup also holds the trace of no job: one span, no tokens, no cost.
    expect({ ...fromRollup, cost: 0 }).toEqual({ ...expected, spans: expected.spans + 1, cost: 0 });
    expect(fromRollup.cost).toBeCloseTo(fromSpans.cost, 9);

    expect(await llmp.stop('SIGTERM')).toBe(0);
  });

  it('files the spans of a trace linked to two jobs by the rule: own job, else the first link', async () => {
    const llmp = await startLlmp({ dataDir: `${dir.path}/two-jobs` });
    running.push(llmp);
    const now = Date.now();
    // The root names job A and starts first; a step under it names job B; a model call under
    // each names none, so both are A's (the trace's first link), and B has its step only.
    await sendSpans(llmp.httpPort, (tracer) => {
      const root = tracer.startSpan('POST /plan', {
        startTime: now - 2000,
        attributes: { 'llmp.job.id': 'plan-a', 'llmp.job.version': '1' },
      });
      const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
      const step = tracer.startSpan(
        'review step',
        { startTime: now - 1000, attributes: { 'llmp.job.id': 'review-b', 'llmp.job.version': '3' } },
        rootCtx,
      );
      for (const [parent, tokens] of [
        [rootCtx, 40],
        [trace.setSpan(rootCtx, step), 60],
      ] as const) {
        tracer
          .startSpan(
            'chat gpt-4o',
            {
              startTime: now - 500,
              attributes: {
                'gen_ai.operation.name': 'chat',
                'gen_ai.provider.name': 'openai',
                'gen_ai.request.model': 'gpt-4o',
                'gen_ai.usage.input_tokens': tokens,
                'gen_ai.usage.output_tokens': tokens / 2,
              },
            },
            parent,
          )
          .end(now - 400);
      }
      step.end(now - 300);
      root.end(now);
    });
    const get = async <T>(path: string): Promise<T> => {
      const response = await llmp.api(path);
      expect(response.status, path).toBe(200);
      return (await response.json()) as T;
    };
    const expected = {
      'plan-a': { spans: 3, input: 100, output: 50, version: '1' },
      'review-b': { spans: 1, input: 0, output: 0, version: '3' },
    };
    type Row = { group: Record<string, string>; count: number; inputTokens: number; outputTokens: number };
    for (const source of ['', '&minDurationMs=0']) {
      const byJob = await get<{ rows: Row[] }>(`/v1/metrics?groupBy=job${source}`);
      const rows = Object.fromEntries(
        byJob.rows.map((r) => [
          r.group.job,
          { spans: r.count, input: r.inputTokens, output: r.outputTokens },
        ]),
      );
      expect(rows, `groupBy=job${source}`).toEqual({
        'plan-a': { spans: 3, input: 100, output: 50 },
        'review-b': { spans: 1, input: 0, output: 0 },
      });
    }
    for (const [jobId, want] of Object.entries(expected)) {
      const spans = await get<{ spans: Array<{ inputTokens: number; outputTokens: number; jobId: string }> }>(
        `/v1/spans?jobId=${jobId}&limit=100`,
      );
      expect(
        {
          spans: spans.spans.length,
          input: spans.spans.reduce((a, s) => a + s.inputTokens, 0),
          output: spans.spans.reduce((a, s) => a + s.outputTokens, 0),
        },
        `spans of ${jobId}`,
      ).toEqual({ spans: want.spans, input: want.input, output: want.output });
      const byVersion = await get<{ rows: Row[] }>(`/v1/metrics?groupBy=jobVersion&jobId=${jobId}`);
      expect(
        byVersion.rows.map((r) => [r.group.jobVersion, r.count]),
        `versions of ${jobId}`,
      ).toEqual([[want.version, want.spans]]);
      const metrics = await get<{
        runs: number;
        spans: number;
        tokens: { input: number; output: number };
        versions: Array<{ version: string; spans: number }>;
      }>(`/v1/jobs/${jobId}/metrics?by=version`);
      expect(
        {
          runs: metrics.runs,
          spans: metrics.spans,
          input: metrics.tokens.input,
          output: metrics.tokens.output,
          versions: metrics.versions.map((v) => [v.version, v.spans]),
        },
        `job metrics of ${jobId}`,
      ).toEqual({
        runs: 1,
        spans: want.spans,
        input: want.input,
        output: want.output,
        versions: [[want.version, want.spans]],
      });
      // Found by either job, the trace shows its first link: its spans name two jobs.
      const traces = await get<{ traces: Array<{ jobId: string; jobVersion: string }> }>(
        `/v1/traces?jobId=${jobId}`,
      );
      expect(
        traces.traces.map((t) => [t.jobId, t.jobVersion]),
        `traces of ${jobId}`,
      ).toEqual([['plan-a', '1']]);
    }
    expect(await llmp.stop('SIGTERM')).toBe(0);
  });
});
