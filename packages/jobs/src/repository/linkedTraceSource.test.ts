import type { StoredSpan, TraceSpanPage } from '@llmp/clickhouse';
import { describe, expect, it } from 'vitest';
import { linkedTraceSource } from './linkedTraceSource.ts';

const span = (spanId: string, jobId: string | null) =>
  ({ spanId, jobId, jobVersion: null, jobType: null }) as unknown as StoredSpan;

describe('linkedTraceSource', () => {
  it('passes the part asked for on and links its spans to the trace job', async () => {
    const asked: Array<TraceSpanPage | undefined> = [];
    const source = linkedTraceSource(
      {
        async readTrace(_projectId: string, _traceId: string, page?: TraceSpanPage) {
          asked.push(page);
          return [span('a', null), span('b', 'own')];
        },
      },
      {
        traceLinks: async () => [{ jobId: 'linked', jobVersion: '2', jobType: 'llm_task' }] as never,
      },
    );
    const page = { limit: 2, after: { startNs: '5', spanId: 'x' } };
    const spans = await source.readTrace('default', 'ab'.repeat(16), page);
    expect(asked).toEqual([page]);
    expect(spans.map((s) => [s.spanId, s.jobId, s.jobVersion])).toEqual([
      ['a', 'linked', '2'],
      ['b', 'own', null],
    ]);
    await source.readTrace('default', 'ab'.repeat(16));
    expect(asked[1]).toBeUndefined();
  });

  it('links a single span read as the trace read links it (its own job, else the first link)', async () => {
    const spans = new Map([
      ['a', span('a', null)],
      ['b', span('b', 'own')],
    ]);
    const source = linkedTraceSource(
      {
        async readTrace(_projectId: string, _traceId: string) {
          return [...spans.values()];
        },
        async readSpan(_projectId: string, _traceId: string, spanId: string) {
          return spans.get(spanId);
        },
      },
      {
        traceLinks: async () => [{ jobId: 'linked', jobVersion: '2', jobType: 'llm_task' }] as never,
      },
    );
    const traceId = 'ab'.repeat(16);
    const single = await source.readSpan('default', traceId, 'a');
    expect([single?.jobId, single?.jobVersion, single?.jobType]).toEqual(['linked', '2', 'llm_task']);
    expect((await source.readSpan('default', traceId, 'b'))?.jobId).toBe('own');
    expect(await source.readSpan('default', traceId, 'c')).toBeUndefined();
    const read = await source.readTrace('default', traceId);
    expect(read.find((s) => s.spanId === 'a')?.jobId).toBe(single?.jobId);
  });

  it('leaves a span without a job when its trace has no link', async () => {
    const source = linkedTraceSource(
      {
        async readTrace(_projectId: string, _traceId: string) {
          return [];
        },
        async readSpan(_projectId: string, _traceId: string, _spanId: string) {
          return span('a', null);
        },
      },
      { traceLinks: async () => [] },
    );
    expect((await source.readSpan('default', 'ab'.repeat(16), 'a'))?.jobId).toBeNull();
  });
});
