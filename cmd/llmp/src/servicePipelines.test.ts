import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { allInOneConfig } from './allInOneConfig.ts';
import { gatewayConfig, ingesterConfig, mlflowExporterRoleConfig, queryConfig } from './roleConfigs.ts';

const preset = (name: string) =>
  fileURLToPath(new URL(`../../../deploy/config/${name}.yaml`, import.meta.url));

/** The message of the ConfigError that loading `text` throws. */
function refusal(
  schema: Parameters<typeof loadConfig>[0]['schema'],
  text: string,
  set: string[] = [],
): string {
  try {
    loadConfig({ schema, text, env: {}, set });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('service.pipelines in the role configs', () => {
  it('gives a config written before pipelines existed the role preset pipeline', () => {
    const config = loadConfig({
      schema: allInOneConfig,
      text: 'query: { endpoint: "127.0.0.1:0" }\n',
      env: {},
    });
    expect(config.service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: ['batch', 'genai', 'jobs'], exporters: ['clickhouse'] },
      logs: { receivers: ['otlp'], processors: [], exporters: ['clickhouse'] },
      metrics: { receivers: ['otlp'], processors: [], exporters: ['clickhouse'] },
    });
    expect(gatewayConfig.parse({}).service.pipelines).toEqual({
      traces: { receivers: ['otlp'], processors: [], exporters: ['kafka'] },
      logs: { receivers: ['otlp'], processors: [], exporters: ['kafka'] },
      metrics: { receivers: ['otlp'], processors: [], exporters: ['kafka'] },
    });
    expect(ingesterConfig.parse({}).service.pipelines).toEqual({
      traces: { receivers: ['kafka'], processors: ['genai', 'jobs'], exporters: ['clickhouse'] },
      logs: { receivers: ['kafka'], processors: [], exporters: ['clickhouse'] },
      metrics: { receivers: ['kafka'], processors: [], exporters: ['clickhouse'] },
    });
    expect(queryConfig.parse({}).service.pipelines).toEqual({});
  });

  it('adds mlflow after clickhouse to the default all-in-one pipeline when exporters.mlflow is configured', () => {
    const config = loadConfig({
      schema: allInOneConfig,
      text: 'exporters:\n  mlflow: { trackingUri: "http://mlflow:5000" }\n',
      env: {},
    });
    expect(config.service.pipelines.traces?.exporters).toEqual(['clickhouse', 'mlflow']);
    // Also in logs: GenAI event records that come after their span make it send the trace again.
    expect(config.service.pipelines.logs?.exporters).toEqual(['clickhouse', 'mlflow']);
  });

  it('takes the pipelines the file names, with components of any id of a known type', () => {
    const config = loadConfig({
      schema: gatewayConfig,
      text: [
        'exporters:',
        '  kafka/copy: { topic: otlp_spans_copy }',
        'service:',
        '  pipelines:',
        '    traces: { receivers: [otlp], exporters: [kafka, kafka/copy] }',
      ].join('\n'),
      env: {},
    });
    expect(config.service.pipelines.traces).toEqual({
      receivers: ['otlp'],
      processors: [],
      exporters: ['kafka', 'kafka/copy'],
    });
    // A named component gets its type's defaults.
    expect(config.exporters['kafka/copy']).toMatchObject({
      topic: 'otlp_spans_copy',
      maxRecordBytes: 1_000_000,
    });
  });

  it('validates a named component with its type schema and names the key', () => {
    const message = refusal(gatewayConfig, 'exporters:\n  kafka/copy: { sendTimeout: soon }\n');
    expect(message).toContain('exporters.kafka/copy.sendTimeout');
  });

  it('names an unknown component type with the known ones', () => {
    expect(refusal(allInOneConfig, 'processors:\n  sample: {}\n')).toContain(
      'processors.sample: unknown processor type "sample" (known: batch, genai, jobs)',
    );
  });

  it('names a pipeline id that no section configures, and a pipeline without receivers', () => {
    const message = refusal(allInOneConfig, '', [
      'service.pipelines.traces.receivers=[otlp]',
      'service.pipelines.traces.exporters=[clickhouse, kafka/spans]',
      'service.pipelines.traces/2.exporters=[clickhouse]',
    ]);
    expect(message).toContain(
      'service.pipelines.traces.exporters: "kafka/spans" is not configured under exporters (configured: clickhouse)',
    );
    expect(message).toContain('service.pipelines.traces/2.receivers: a pipeline needs at least one receiver');
  });

  it('refuses a pipeline of a signal no component handles yet', () => {
    expect(
      refusal(
        mlflowExporterRoleConfig,
        'exporters:\n  mlflow: { trackingUri: "http://m:5000" }\nservice:\n  pipelines:\n    metrics: { receivers: [kafka], exporters: [mlflow] }\n',
      ),
    ).toContain('service.pipelines.metrics.exporters: exporter "mlflow" does not handle metrics');
  });

  it("keeps the mlflow-exporter role's Kafka receiver defaults under what the file sets", () => {
    const config = loadConfig({
      schema: mlflowExporterRoleConfig,
      text: 'receivers:\n  kafka: { topic: spans }\nexporters:\n  mlflow: { trackingUri: "http://m:5000" }\n',
      env: {},
    });
    expect(config.receivers.kafka).toMatchObject({
      topic: 'spans',
      groupId: 'llmp-mlflow',
      maxBatchSpans: 500,
    });
  });

  it('--set overrides a listener of a preset', () => {
    const config = loadConfig({
      schema: gatewayConfig,
      file: preset('gateway'),
      env: {},
      set: ['receivers.otlp.http.endpoint=127.0.0.1:5318', 'telemetry.endpoint=127.0.0.1:0'],
    });
    expect(config.receivers.otlp.http.endpoint).toBe('127.0.0.1:5318');
    expect(config.telemetry.endpoint).toBe('127.0.0.1:0');
  });

  it('the distributed presets listen on different ports, so they run side by side on one host', () => {
    const load = <T>(schema: Parameters<typeof loadConfig<T>>[0]['schema'], name: string) =>
      loadConfig({ schema, file: preset(name), env: { MLFLOW_TRACKING_URI: 'http://m:5000' } });
    const gateway = load(gatewayConfig, 'gateway');
    const ingester = load(ingesterConfig, 'ingester');
    const query = load(queryConfig, 'query');
    const mlflow = load(mlflowExporterRoleConfig, 'mlflow-exporter');
    const endpoints = [
      gateway.receivers.otlp.grpc.endpoint,
      gateway.receivers.otlp.http.endpoint,
      gateway.telemetry.endpoint,
      ingester.telemetry.endpoint,
      query.query.endpoint,
      mlflow.telemetry.endpoint,
    ];
    const ports = endpoints.map((e) => e.split(':').pop());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
