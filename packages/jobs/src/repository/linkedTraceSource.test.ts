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
});
