import type { StoredSpan, TraceSpanPage } from '@llmp/clickhouse';
import type { JobStore } from './jobStore.ts';

/** The part of the query API's trace source this wraps. */
export interface SpanSource {
  readTrace(projectId: string, traceId: string, page?: TraceSpanPage): Promise<StoredSpan[]>;
}

/**
 * A trace source whose spans carry their trace's job even when they did not name it: a job id
 * on any span of a trace (found in `trace_jobs`, whenever that span arrived) links every span.
 * A span that named its own job keeps it; with several jobs, the first linked is used.
 * @example queryApp({ source: linkedTraceSource(storeTraceSource(store), jobs), jobs })
 */
export function linkedTraceSource<S extends SpanSource>(source: S, jobs: Pick<JobStore, 'traceLinks'>): S {
  return {
    ...source,
    // The part asked for is passed on: without it every part of a huge trace read it whole, and a
    // cursor began again at its first span (paging never ended).
    async readTrace(projectId: string, traceId: string, page?: TraceSpanPage) {
      const spans = await source.readTrace(projectId, traceId, page);
      if (spans.length === 0 || spans.every((s) => s.jobId !== null)) return spans;
      const [link] = await jobs.traceLinks(projectId, traceId);
      if (!link) return spans;
      return spans.map((s) =>
        s.jobId !== null
          ? s
          : {
              ...s,
              jobId: link.jobId,
              jobVersion: link.jobVersion === '' ? null : link.jobVersion,
              jobType: link.jobType === '' ? null : link.jobType,
            },
      );
    },
  };
}
