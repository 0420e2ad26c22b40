import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import {
  type MlflowServer,
  mlflowExporterYaml,
  mlflowWanted,
  requireMlflowServer,
} from '../support/mlflowServer.ts';
import { eventually, type MlflowSpan, spanAttribute, syncState } from '../support/mlflowTraces.ts';
import { recordingExporter } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('mlflow-by-trace');
let mlflow: MlflowServer;
let llmp: LlmpProcess;

interface MlflowTrace {
  trace_info: {
    trace_location: { mlflow_experiment: { experiment_id: string } };
    tags?: Record<string, string>;
  };
  spans: MlflowSpan[];
}

/** The trace as MLflow holds it (`GET /api/3.0/mlflow/traces/get`), undefined while it has none. */
async function mlflowTrace(traceId: string): Promise<MlflowTrace | undefined> {
  const answer = await mlflow.rest<{ trace: MlflowTrace }>(
    `/api/3.0/mlflow/traces/get?trace_id=tr-${traceId}`,
  );
  return answer.status === 200 ? answer.body.trace : undefined;
}

async function experimentId(name: string): Promise<string | undefined> {
  const found = await mlflow.rest<{ experiment: { experiment_id: string } }>(
    `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
  );
  return found.status === 200 ? found.body.experiment.experiment_id : undefined;
}

/** A TracerProvider exporting to llmp over OTLP/HTTP protobuf, whose export results are recorded. */
function sdk(service: string) {
  const recording = recordingExporter(
    new ProtoExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor({ exporter: recording })],
  });
  const flushed = async () => {
    await provider.forceFlush();
    expect(recording.results.map((r) => r.code).every((c) => c === ExportResultCode.SUCCESS)).toBe(true);
  };
  return { tracer: provider.getTracer(service), provider, recording, flushed };
}

describe.skipIf(!mlflowWanted())('MLflow by trace (real MLflow, real OTel JS SDK)', () => {
  beforeAll(async () => {
    mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      extraYaml: mlflowExporterYaml(mlflow.url, [
        '    experiments:',
        '      default: llmp-by-trace',
        '      jobs: { job-root-last: llmp-by-trace-jobs }',
      ]),
    });
  }, 240_000);

  afterAll(async () => {
    expect(await llmp?.stop()).toBe(0);
    await mlflow?.stop();
    dir.remove();
  }, 60_000);

  it('puts a trace in its job’s experiment when the root naming the job comes in a later export than its children', async () => {
    const { tracer, provider, flushed } = sdk('root-last');
    const root = tracer.startSpan('handle request', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.end();
    // The children go first, in an export of their own, and reach MLflow before the root exists.
    await flushed();
    const traceId = root.spanContext().traceId;
    await eventually(async () => ((await syncState(llmp, traceId)).state === 'uploaded' ? true : undefined));

    root.setAttribute('llmp.job.id', 'job-root-last');
    root.setAttribute('llmp.job.version', '3');
    root.end();
    await flushed();
    await provider.shutdown();

    const jobExperiment = await eventually(() => experimentId('llmp-by-trace-jobs'));
    const moved = await eventually(async () => {
      const found = await mlflowTrace(traceId);
      return found?.trace_info.trace_location.mlflow_experiment.experiment_id === jobExperiment &&
        found.spans.length === 2
        ? found
        : undefined;
    });
    expect(moved.spans.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'handle request']);
    expect(moved.trace_info.tags).toMatchObject({ 'llmp.job.id': 'job-root-last', 'llmp.job.version': '3' });
    // llmp's own account agrees with where MLflow holds the trace.
    expect(
      await eventually(async () => {
        const sync = (await (await llmp.api(`/v1/traces/${traceId}/sync`)).json()) as {
          state: string;
          experimentId?: string;
        };
        return sync.state === 'uploaded' ? sync : undefined;
      }),
    ).toMatchObject({ experimentId: jobExperiment });
  });

  it('sets mlflow.spanType on relayed spans from the GenAI, OpenLLMetry and OpenInference conventions', async () => {
    const { tracer, provider, flushed } = sdk('span-types');
    const root = tracer.startSpan('workflow', { attributes: { 'traceloop.span.kind': 'workflow' } });
    const parent = trace.setSpan(ROOT_CONTEXT, root);
    const spans = [
      // Deprecated GenAI names, no operation: a model call all the same.
      tracer.startSpan(
        'openai call',
        { attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' } },
        parent,
      ),
      tracer.startSpan(
        'embed docs',
        { attributes: { 'llm.request.type': 'embedding', 'llm.request.model': 'text-embedding-3-small' } },
        parent,
      ),
      tracer.startSpan('search', { attributes: { 'openinference.span.kind': 'RETRIEVER' } }, parent),
      tracer.startSpan(
        'run tool',
        { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup' } },
        parent,
      ),
      tracer.startSpan('plain work', {}, parent),
    ];
    for (const span of spans) span.end();
    root.end();
    await flushed();
    await provider.shutdown();
    const traceId = root.spanContext().traceId;
    const stored = await eventually(async () => {
      const found = await mlflowTrace(traceId);
      return found && found.spans.length === 6 ? found : undefined;
    });
    const types = Object.fromEntries(stored.spans.map((s) => [s.name, spanAttribute(s, 'mlflow.spanType')]));
    expect(types).toMatchObject({
      workflow: 'CHAIN',
      'openai call': 'LLM',
      'embed docs': 'EMBEDDING',
      search: 'RETRIEVER',
      'run tool': 'TOOL',
    });
    expect([undefined, 'UNKNOWN']).toContain(types['plain work']);
  });
});
