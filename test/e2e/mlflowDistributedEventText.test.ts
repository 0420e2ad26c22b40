import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers, startGateway } from '../support/distributedRoles.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import { startMlflowExporter, withRoleOutput } from '../support/mlflowExporterRole.ts';
import { type MlflowServer, mlflowWanted, requireMlflowServer } from '../support/mlflowServer.ts';
import { eventually, type MlflowSpan, mlflowSpans } from '../support/mlflowTraces.ts';
import { tempDir } from '../support/tempDir.ts';

// The distributed roles: an instrumentation capturing messages as events (EVENT_ONLY) sends the
// LLM span without text and the messages as log records; both go gateway → Kafka (otlp_spans,
// otlp_logs) and `llmp mlflow-exporter` reads both topics, so MLflow gets the span's inputs and
// outputs whichever of the two it reads first (no ClickHouse server here: the role joins them
// in memory).

const dir = tempDir('mlflow-dist-event-text');
const brokers = providedBrokers();
const topics = isolatedTopics('mlflowtext');
let mlflow: MlflowServer;
let gateway: LlmpProcess;
let exporter: LlmpProcess;

/** An SDK pair (traces and logs) exporting to the gateway over OTLP/HTTP protobuf. */
function sdk(service: string) {
  const base = `http://127.0.0.1:${gateway.httpPort}`;
  const resource = resourceFromAttributes({ 'service.name': service });
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }) }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }) })],
  });
  const span = tracerProvider.getTracer('llmp-e2e').startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
    },
  });
  const emitDetails = async (said: string) => {
    loggerProvider.getLogger('llmp-e2e').emit({
      context: trace.setSpan(ROOT_CONTEXT, span),
      eventName: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: said }] }],
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
  return { traceId: span.spanContext().traceId, emitDetails, sendSpan, close };
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

/** The LLM span's inputs and outputs in MLflow (JSON text), once it has both. */
function withText(traceId: string): Promise<{ inputs: string; outputs: string }> {
  return eventually(async () => {
    const span = (await mlflowSpans(mlflow, traceId))?.[0];
    if (!span) return undefined;
    const inputs = attributeJson(span, 'mlflow.spanInputs');
    const outputs = attributeJson(span, 'mlflow.spanOutputs');
    return inputs && outputs ? { inputs, outputs } : undefined;
  }, 45_000).catch(withRoleOutput(exporter, 'mlflow-exporter', 30));
}

describe.skipIf(!brokers || !mlflowWanted())(
  'llmp mlflow-exporter: GenAI event text from otlp_logs reaches MLflow (real Kafka, real MLflow, OTel JS SDK)',
  () => {
    beforeAll(async () => {
      mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
      gateway = await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics });
      // The role's default pipelines: only the topics are this suite's own.
      exporter = await startMlflowExporter({
        dataDir: `${dir.path}/exporter`,
        brokers,
        topics,
        trackingUri: mlflow.url,
        experiment: 'llmp-distributed-text',
        logs: true,
      });
    }, 240_000);

    afterAll(async () => {
      expect(await exporter?.stop()).toBe(0);
      expect(await gateway?.stop()).toBe(0);
      await mlflow?.stop();
      dir.remove();
    }, 60_000);

    it('records after the span was uploaded: the span is sent again with their messages', async () => {
      const app = sdk('dist-records-last');
      await app.sendSpan();
      const before = await eventually(async () => (await mlflowSpans(mlflow, app.traceId))?.[0]);
      expect(attributeJson(before, 'mlflow.spanInputs')).not.toContain('hello there');
      await app.emitDetails('hello there');
      await app.close();
      const { inputs, outputs } = await withText(app.traceId);
      expect(inputs).toContain('hello there');
      expect(outputs).toContain('general kenobi');
      expect((await mlflowSpans(mlflow, app.traceId))?.length).toBe(1);
    });

    it('records before the span: the span goes up with their messages', async () => {
      const app = sdk('dist-records-first');
      await app.emitDetails('hi first');
      await app.sendSpan();
      await app.close();
      const { inputs, outputs } = await withText(app.traceId);
      expect(inputs).toContain('hi first');
      expect(outputs).toContain('general kenobi');
    });
  },
);
