import type { StoredSpan, TraceSpanPage } from '@llmp/clickhouse';
import type { JobStore } from './jobStore.ts';

/** The part of the query API's trace source this wraps. */
export interface SpanSource {
  readTrace(projectId: string, traceId: string, page?: TraceSpanPage): Promise<StoredSpan[]>;
  readSpan?(projectId: string, traceId: string, spanId: string): Promise<StoredSpan | undefined>;
}

/**
 * A trace source whose spans carry their trace's job even when they did not name it: a job id
 * on any span of a trace (found in `trace_jobs`, whenever that span arrived) links every span.
 * A span that named its own job keeps it; with several jobs, the first linked is used. The same
 * rule applies to a trace read and to a single span read, so both show a span with one job.
 * @example queryApp({ source: linkedTraceSource(storeTraceSource(store), jobs), jobs })
 */
export function linkedTraceSource<S extends SpanSource>(source: S, jobs: Pick<JobStore, 'traceLinks'>): S {
  const link = async (projectId: string, traceId: string, spans: StoredSpan[]): Promise<StoredSpan[]> => {
    if (spans.length === 0 || spans.every((s) => s.jobId !== null)) return spans;
    const [first] = await jobs.traceLinks(projectId, traceId);
    if (!first) return spans;
    return spans.map((s) =>
      s.jobId !== null
        ? s
        : {
            ...s,
            jobId: first.jobId,
            jobVersion: first.jobVersion === '' ? null : first.jobVersion,
            jobType: first.jobType === '' ? null : first.jobType,
          },
    );
  };
  const { readSpan } = source;
  return {
    ...source,
    // The part asked for is passed on: without it every part of a huge trace read it whole, and a
    // cursor began again at its first span (paging never ended).
    async readTrace(projectId: string, traceId: string, page?: TraceSpanPage) {
      return link(projectId, traceId, await source.readTrace(projectId, traceId, page));
    },
    ...(readSpan && {
      async readSpan(projectId: string, traceId: string, spanId: string) {
        const span = await readSpan.call(source, projectId, traceId, spanId);
        return span && (await link(projectId, traceId, [span]))[0];
      },
    }),
  };
}
