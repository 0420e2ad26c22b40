import type { TraceRequest } from '@llmp/otlp';
import { type MlflowApi, mlflowTraceId } from './mlflowClient.ts';
import type { TraceUpload } from './traceUploads.ts';

export interface TracePlaces {
  /** The MLflow experiment id the trace was uploaded to before, if any. */
  experimentOf(projectId: string, traceId: string): Promise<string | undefined>;
  /** The stored spans of the trace (to move it whole); absent without a store. */
  storedTrace?: ((projectId: string, traceId: string) => Promise<TraceRequest | undefined>) | undefined;
}

/** Span ids of a request, lowercase hex. */
function spanIds(request: TraceRequest): Set<string> {
  const ids = new Set<string>();
  for (const rs of request.resourceSpans)
    for (const ss of rs.scopeSpans) for (const s of ss.spans) ids.add(s.spanId);
  return ids;
}

/** The stored spans of a trace that an upload does not hold itself. */
function storedOnly(stored: TraceRequest, upload: TraceRequest): TraceRequest {
  const sent = spanIds(upload);
  return {
    resourceSpans: stored.resourceSpans
      .map((rs) => ({
        ...rs,
        scopeSpans: rs.scopeSpans
          .map((ss) => ({ ...ss, spans: ss.spans.filter((s) => !sent.has(s.spanId)) }))
          .filter((ss) => ss.spans.length > 0),
      }))
      .filter((rs) => rs.scopeSpans.length > 0),
  };
}

/**
 * Decides, per upload, the MLflow experiment its trace belongs in: the trace's job decides, not
 * the batch. Spans naming no job join the experiment their trace is in already. Spans naming a
 * job whose experiment is another than the one the trace went to (its children came first, its
 * root with `llmp.job.id` later) move the trace: it is deleted there and sent whole (the stored
 * spans with the new ones) to the job's experiment. Sets `experimentId` on each upload.
 * @example await placeUploads(api, uploads, { experimentOf, storedTrace });
 */
export async function placeUploads(
  api: MlflowApi,
  uploads: TraceUpload[],
  places: TracePlaces,
): Promise<void> {
  for (const upload of uploads) {
    const placed = await places.experimentOf(upload.projectId, upload.traceId);
    if (upload.jobId === undefined) {
      // The trace's job (if any) decided its experiment when its spans naming it were sent.
      upload.experimentId = placed ?? (await api.experimentId(upload.experiment));
      continue;
    }
    const target = await api.experimentId(upload.experiment);
    upload.experimentId = target;
    if (placed === undefined || placed === target) continue;
    if (!places.storedTrace) continue;
    const stored = await places.storedTrace(upload.projectId, upload.traceId);
    await api.deleteTraces(placed, [mlflowTraceId(upload.traceId)]);
    if (stored) {
      upload.request = {
        resourceSpans: [...storedOnly(stored, upload.request).resourceSpans, ...upload.request.resourceSpans],
      };
    }
  }
}
