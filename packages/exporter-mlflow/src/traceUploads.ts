import {
  type AnyValue,
  genAiOf,
  type KeyValue,
  nestSpans,
  type Span,
  spansByTrace,
  type TraceBatch,
  type TraceRequest,
} from '@llmp/otlp';
import type { MlflowExporterConfig } from './mlflowExporterConfig.ts';

/** The spans of one trace from one batch, ready for MLflow. */
export interface TraceUpload {
  projectId: string;
  /** Lowercase hex OTLP trace id. */
  traceId: string;
  /** Experiment name (resolved to an id when sent). */
  experiment: string;
  /**
   * The experiment id it goes to, once decided (placeUploads): the trace's job decides, and
   * spans naming no job follow their trace to where it is already.
   */
  experimentId?: string | undefined;
  /** The job the trace is linked to, when a span names one. */
  jobId?: string | undefined;
  request: TraceRequest;
  spanCount: number;
  /** Trace tags the batch holds no root span for: set through the REST API after the upload. */
  lateTags: Record<string, string>;
}

/** MLflow turns root-span attributes with this prefix into trace tags (OTLP ingestion path). */
export const traceTagPrefix = 'mlflow.traceTag.';

/** The trace tags llmp sets, so MLflow users can filter by job (`tag.\`llmp.job.id\` = '…'`). */
export const tagKeys = {
  project: 'llmp.project',
  jobId: 'llmp.job.id',
  jobName: 'llmp.job.name',
  jobVersion: 'llmp.job.version',
} as const;

/** MLflow's span type attribute (its values are JSON, as MLflow's own SDKs write them). */
export const spanTypeAttribute = 'mlflow.spanType';

/** llmp's span types (genai normalisation, any convention) as MLflow's; `other` is left unset. */
const mlflowSpanTypes: Record<string, string> = {
  llm: 'LLM',
  embedding: 'EMBEDDING',
  tool: 'TOOL',
  retriever: 'RETRIEVER',
  agent: 'AGENT',
  chain: 'CHAIN',
  evaluator: 'EVALUATOR',
};

const jobAttributes = { jobId: 'llmp.job.id', jobName: 'llmp.job.name', jobVersion: 'llmp.job.version' };

function text(value: AnyValue): string | undefined {
  switch (value.type) {
    case 'string':
      return value.value || undefined;
    case 'int':
    case 'double':
    case 'bool':
      return String(value.value);
    default:
      return undefined;
  }
}

function find(key: string, ...lists: KeyValue[][]): string | undefined {
  for (const list of lists) {
    for (const kv of list) if (kv.key === key) return text(kv.value);
  }
  return undefined;
}

/**
 * Splits a batch by trace, names each trace's experiment (job mapping, then project mapping,
 * then the default) and puts the job link on the trace as MLflow trace tags: as
 * `mlflow.traceTag.*` attributes of the root span when the batch holds it, else as late tags.
 * @example const uploads = traceUploads(batch, config.experiments);
 */
export function traceUploads(
  batch: TraceBatch,
  experiments: MlflowExporterConfig['experiments'],
): TraceUpload[] {
  const uploads: TraceUpload[] = [];
  for (const [traceId, placed] of spansByTrace(batch.request())) {
    const tags: Record<string, string> = { [tagKeys.project]: batch.projectId };
    for (const [name, key] of Object.entries(jobAttributes) as Array<[keyof typeof jobAttributes, string]>) {
      for (const { rs, ss, span } of placed) {
        const value = find(key, span.attributes, ss.scope.attributes, rs.resource.attributes);
        if (value !== undefined) {
          tags[tagKeys[name]] = value;
          break;
        }
      }
    }
    const jobId = tags[tagKeys.jobId];
    const experiment =
      (jobId !== undefined ? experiments.jobs[jobId] : undefined) ??
      experiments.projects[batch.projectId] ??
      experiments.default;
    for (const p of placed) {
      // The span type the genai processor found, whatever convention the app follows; a type
      // the span sends itself wins.
      const type = mlflowSpanTypes[genAiOf(batch, p.span)?.spanType ?? 'other'];
      if (type === undefined || p.span.attributes.some((kv) => kv.key === spanTypeAttribute)) continue;
      p.span = {
        ...p.span,
        attributes: [
          ...p.span.attributes,
          { key: spanTypeAttribute, value: { type: 'string', value: JSON.stringify(type) } },
        ],
      };
    }
    const root = placed.find((p) => p.span.parentSpanId === '');
    if (root) {
      const tagged: Span = {
        ...root.span,
        attributes: [
          ...root.span.attributes.filter((kv) => !kv.key.startsWith(traceTagPrefix)),
          ...Object.entries(tags).map(([key, value]) => ({
            key: `${traceTagPrefix}${key}`,
            value: { type: 'string' as const, value },
          })),
        ],
      };
      root.span = tagged;
    }
    uploads.push({
      projectId: batch.projectId,
      traceId,
      experiment,
      jobId,
      request: nestSpans(placed),
      spanCount: placed.length,
      // Without a root span MLflow sets no tags from attributes; the project tag alone is not
      // worth a request.
      lateTags: root || jobId === undefined ? {} : tags,
    });
  }
  return uploads;
}

/**
 * Sets (or replaces) a trace tag of an upload: on its root span when it holds it, else as a
 * late tag when the upload has late tags (a job-linked trace without its root in this batch).
 * @example setUploadTag(upload, tagKeys.jobName, 'Summarise tickets');
 */
export function setUploadTag(upload: TraceUpload, key: string, value: string): void {
  for (const rs of upload.request.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (span.parentSpanId !== '') continue;
        const attribute = `${traceTagPrefix}${key}`;
        span.attributes = [
          ...span.attributes.filter((kv) => kv.key !== attribute),
          { key: attribute, value: { type: 'string', value } },
        ];
        return;
      }
    }
  }
  if (Object.keys(upload.lateTags).length > 0) upload.lateTags[key] = value;
}

/**
 * Merges uploads bound for the same experiment (their `experimentId`, decided before) into one
 * OTLP request each (MLflow stores a request all or nothing).
 * @example for (const { experimentId, request } of byExperiment(uploads)) …
 */
export function byExperiment(uploads: TraceUpload[]): Array<{ experimentId: string; request: TraceRequest }> {
  const groups = new Map<string, TraceRequest>();
  for (const upload of uploads) {
    const id = upload.experimentId!;
    const request = groups.get(id);
    if (request) request.resourceSpans.push(...upload.request.resourceSpans);
    else groups.set(id, { resourceSpans: [...upload.request.resourceSpans] });
  }
  return [...groups].map(([experimentId, request]) => ({ experimentId, request }));
}
