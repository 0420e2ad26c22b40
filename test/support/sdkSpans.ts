import type { Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type IdGenerator, TracerProvider } from '@opentelemetry/sdk-trace';
import { recordingExporter } from './sdkTrace.ts';

/**
 * Sends the spans `build` makes with the real OpenTelemetry SDK (OTLP/protobuf over HTTP) and
 * resolves once the receiver accepted all of them. `ids` fixes the ids of the spans it starts,
 * so a root can be sent after its children, by another provider.
 * @example await sendSpans(llmp.httpPort, (tracer) => tracer.startSpan('x').end());
 */
export async function sendSpans(
  httpPort: number,
  build: (tracer: Tracer) => void,
  ids?: IdGenerator,
  serviceName = 'support-bot',
): Promise<void> {
  const exporter = recordingExporter(
    new OTLPTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }),
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
    ...(ids ? { idGenerator: ids } : {}),
  });
  build(provider.getTracer('llmp-e2e-jobs'));
  await provider.forceFlush();
  await provider.shutdown();
  if (exporter.results.length === 0 || exporter.results.some((r) => r.code !== ExportResultCode.SUCCESS)) {
    throw new Error(`export failed: ${JSON.stringify(exporter.results)}`);
  }
}
