import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import type { LlmpProcess } from './llmpProcess.ts';
import type { MlflowServer } from './mlflowServer.ts';
import { recordingExporter } from './sdkTrace.ts';

export interface MlflowTraceInfo {
  trace_id: string;
  tags: Record<string, string>;
  trace_location: { mlflow_experiment: { experiment_id: string } };
}

/**
 * Polls until `check` returns a value other than undefined, or fails after `timeoutMs`.
 * @example const traces = await eventually(async () => (await search()).length ? … : undefined);
 */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms: ${String(last ?? '')}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * MLflow's trace search (`POST /api/3.0/mlflow/traces/search`) in the experiment of that name;
 * [] while the experiment does not exist.
 * @example await searchTraces(mlflow, 'llmp', "tag.`llmp.job.id` = 'job-1'")
 */
export async function searchTraces(
  mlflow: MlflowServer,
  experiment: string,
  filter: string,
): Promise<MlflowTraceInfo[]> {
  const found = await mlflow.rest<{ experiment: { experiment_id: string } }>(
    `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`,
  );
  if (found.status !== 200) return [];
  const answer = await mlflow.rest<{ traces?: MlflowTraceInfo[] }>('/api/3.0/mlflow/traces/search', {
    locations: [
      {
        type: 'MLFLOW_EXPERIMENT',
        mlflow_experiment: { experiment_id: found.body.experiment.experiment_id },
      },
    ],
    filter,
    max_results: 500,
  });
  if (answer.status !== 200) throw new Error(`trace search answered ${answer.status}`);
  return answer.body.traces ?? [];
}

/**
 * The spans MLflow holds for an OTLP trace id (`GET /api/3.0/mlflow/traces/get`), undefined when it has none.
 * @example expect((await mlflowSpans(mlflow, traceId))?.length).toBe(2);
 */
export async function mlflowSpans(
  mlflow: MlflowServer,
  traceId: string,
): Promise<Array<{ name: string }> | undefined> {
  const answer = await mlflow.rest<{ trace: { spans: Array<{ name: string }> } }>(
    `/api/3.0/mlflow/traces/get?trace_id=tr-${traceId}`,
  );
  return answer.status === 200 ? answer.body.trace.spans : undefined;
}

/**
 * A trace's MLflow sync state as llmp's query API answers it (`GET /v1/traces/{id}/sync`).
 * @example expect(await syncState(llmp, traceId)).toMatchObject({ state: 'pending' });
 */
export async function syncState(
  llmp: Pick<LlmpProcess, 'api'>,
  traceId: string,
): Promise<{ state: string; operation: string; reason?: string }> {
  return (await (await llmp.api(`/v1/traces/${traceId}/sync`)).json()) as {
    state: string;
    operation: string;
    reason?: string;
  };
}

/**
 * Waits until MLflow holds exactly these traces of the job (sent by `sendJobTrace`), each with
 * both its spans, and llmp reports each uploaded.
 * @example await expectUploadedOnce(mlflow, llmp, 'llmp', 'job-1', traceIds);
 */
export async function expectUploadedOnce(
  mlflow: MlflowServer,
  llmp: Pick<LlmpProcess, 'api'>,
  experiment: string,
  jobId: string,
  traceIds: string[],
): Promise<void> {
  const found = await eventually(async () => {
    const traces = await searchTraces(mlflow, experiment, `tag.\`llmp.job.id\` = '${jobId}'`);
    return traces.length >= traceIds.length ? traces : undefined;
  }, 90_000);
  expect(found.map((t) => t.trace_id).sort()).toEqual(traceIds.map((id) => `tr-${id}`).sort());
  for (const traceId of traceIds) {
    expect((await mlflowSpans(mlflow, traceId))?.length).toBe(2);
    expect(
      await eventually(async () =>
        (await syncState(llmp, traceId)).state === 'uploaded' ? true : undefined,
      ),
    ).toBe(true);
  }
}

/**
 * Sends, with the OTel SDK over OTLP/HTTP protobuf, a root span without job attributes and an
 * LLM child linked to a job; resolves with the trace id once the exporter reported success.
 * @example const traceId = await sendJobTrace(`http://127.0.0.1:${port}/v1/traces`, { id: 'job-1', version: '1' });
 */
export async function sendJobTrace(
  url: string,
  job: { id: string; name?: string; version: string },
): Promise<string> {
  const recording = recordingExporter(new ProtoExporter({ url }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'mlflow-e2e' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: recording })],
  });
  const tracer = provider.getTracer('mlflow-e2e');
  const root = tracer.startSpan('handle request', { kind: SpanKind.SERVER });
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'llmp.job.id': job.id,
        'llmp.job.version': job.version,
        ...(job.name ? { 'llmp.job.name': job.name } : {}),
      },
    },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  llm.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  const codes = recording.results.map((r) => r.code);
  if (codes.length === 0 || codes.some((c) => c !== ExportResultCode.SUCCESS)) {
    throw new Error(`export to ${url} did not succeed: ${JSON.stringify(recording.results)}`);
  }
  return root.spanContext().traceId;
}

/** A span as MLflow's trace API answers it; attributes a map or OTLP JSON key/value pairs. */
export interface MlflowSpan {
  name: string;
  attributes?:
    | Record<string, unknown>
    | Array<{ key: string; value?: { string_value?: string; stringValue?: string } }>;
}

/** A span attribute as MLflow holds it, JSON-decoded (MLflow keeps `"LLM"` for LLM). */
export function spanAttribute(span: MlflowSpan, key: string): unknown {
  const { attributes } = span;
  const raw = Array.isArray(attributes)
    ? (attributes.find((kv) => kv.key === key)?.value?.string_value ??
      attributes.find((kv) => kv.key === key)?.value?.stringValue)
    : attributes?.[key];
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * The `mlflow.spanType` of each span of a trace in MLflow, by span name; undefined until MLflow
 * holds `count` spans of it.
 * @example expect(await eventually(() => mlflowSpanTypes(mlflow, traceId, 2))).toMatchObject({ 'chat gpt-4o': 'LLM' });
 */
export async function mlflowSpanTypes(
  mlflow: MlflowServer,
  traceId: string,
  count: number,
): Promise<Record<string, unknown> | undefined> {
  const answer = await mlflow.rest<{ trace: { spans: MlflowSpan[] } }>(
    `/api/3.0/mlflow/traces/get?trace_id=tr-${traceId}`,
  );
  if (answer.status !== 200 || answer.body.trace.spans.length < count) return undefined;
  return Object.fromEntries(
    answer.body.trace.spans.map((s) => [s.name, spanAttribute(s, 'mlflow.spanType')]),
  );
}
