import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import {
  type MlflowServer,
  mlflowExporterYaml,
  mlflowWanted,
  requireMlflowServer,
} from '../support/mlflowServer.ts';
import { eventually, type MlflowSpan, syncState } from '../support/mlflowTraces.ts';
import { tempDir } from '../support/tempDir.ts';

// An instrumentation capturing messages as events (EVENT_ONLY) sends the LLM span without text
// and the messages as log records in its context: MLflow gets the span's inputs and outputs
// whichever of the two reaches llmp first.

const dir = tempDir('mlflow-event-text');
let mlflow: MlflowServer;
let llmp: LlmpProcess;

/** The spans MLflow holds for the trace, undefined while it has none. */
async function mlflowSpans(traceId: string): Promise<MlflowSpan[] | undefined> {
  const answer = await mlflow.rest<{ trace: { spans: MlflowSpan[] } }>(
    `/api/3.0/mlflow/traces/get?trace_id=tr-${traceId}`,
  );
  return answer.status === 200 ? answer.body.trace.spans : undefined;
}

/** An SDK pair (traces and logs) exporting to llmp over OTLP/HTTP protobuf. */
function sdk(service: string) {
  const resource = resourceFromAttributes({ 'service.name': service });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
      }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new SimpleLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/logs` }),
      }),
    ],
  });
  const tracer = tracerProvider.getTracer('llmp-e2e');
  const span = tracer.startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    },
  });
  const emitDetails = async () => {
    loggerProvider.getLogger('llmp-e2e').emit({
      context: trace.setSpan(ROOT_CONTEXT, span),
      eventName: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'hello there' }] }],
        'gen_ai.output.messages': [
          { role: 'assistant', parts: [{ type: 'text', content: 'general kenobi' }], finish_reason: 'stop' },
        ],
      },
    });
    await loggerProvider.forceFlush();
  };
  const sendSpan = async () => {
    span.end();
    await tracerProvider.forceFlush();
  };
  const close = () => Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown()]);
  return { span, emitDetails, sendSpan, close };
}

/**
 * An attribute of a span as MLflow answers it, as JSON text (MLflow keeps structured values as
 * OTLP AnyValue JSON, e.g. `array_value`); '' when absent.
 */
function attributeJson(span: MlflowSpan, key: string): string {
  const { attributes } = span;
  if (attributes === undefined) return '';
  if (!Array.isArray(attributes)) return key in attributes ? JSON.stringify(attributes[key]) : '';
  const found = attributes.find((a) => a.key === key);
  return found ? JSON.stringify(found.value) : '';
}

/** The LLM span in MLflow once it has inputs and outputs. */
async function withText(traceId: string): Promise<{ inputs: string; outputs: string }> {
  return eventually(async () => {
    const span = (await mlflowSpans(traceId))?.[0];
    if (!span) return undefined;
    const inputs = attributeJson(span, 'mlflow.spanInputs');
    const outputs = attributeJson(span, 'mlflow.spanOutputs');
    return inputs && outputs ? { inputs, outputs } : undefined;
  });
}

describe.skipIf(!mlflowWanted())('MLflow gets GenAI event text (real MLflow, real OTel JS SDK)', () => {
  beforeAll(async () => {
    mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      extraYaml: mlflowExporterYaml(mlflow.url, ['    experiments:', '      default: llmp-event-text']),
    });
  }, 240_000);

  afterAll(async () => {
    expect(await llmp?.stop()).toBe(0);
    await mlflow?.stop();
    dir.remove();
  }, 60_000);

  it('records before the span: the span goes up with their messages', async () => {
    const app = sdk('records-first');
    await app.emitDetails();
    await app.sendSpan();
    await app.close();
    const { inputs, outputs } = await withText(app.span.spanContext().traceId);
    expect(inputs).toContain('hello there');
    expect(outputs).toContain('general kenobi');
  });

  it('records after the span was uploaded: the trace is sent again with their messages', async () => {
    const app = sdk('records-last');
    await app.sendSpan();
    const traceId = app.span.spanContext().traceId;
    await eventually(async () => ((await syncState(llmp, traceId)).state === 'uploaded' ? true : undefined));
    const before = (await mlflowSpans(traceId))?.[0];
    expect(before && attributeJson(before, 'mlflow.spanInputs')).not.toContain('hello there');
    await app.emitDetails();
    await app.close();
    const { inputs, outputs } = await withText(traceId);
    expect(inputs).toContain('hello there');
    expect(outputs).toContain('general kenobi');
    expect((await mlflowSpans(traceId))?.length).toBe(1);
  });
});
