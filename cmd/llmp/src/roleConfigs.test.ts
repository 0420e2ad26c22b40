import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { gatewayConfig, ingesterConfig, mlflowExporterRoleConfig, queryConfig } from './roleConfigs.ts';

const preset = (name: string) =>
  fileURLToPath(new URL(`../../../deploy/config/${name}.yaml`, import.meta.url));

describe('distributed presets', () => {
  it.each([
    ['gateway', gatewayConfig],
    ['ingester', ingesterConfig],
    ['query', queryConfig],
  ] as const)('%s.yaml spells out exactly the defaults', (name, schema) => {
    const fromPreset = loadConfig({ schema: schema as never, file: preset(name), env: {} }) as Record<
      string,
      unknown
    >;
    const defaults = (schema as { parse(v: unknown): Record<string, unknown> }).parse({});
    // The only departures from the defaults: the data dir spelled out, and a client id naming the role.
    const kafka = defaults.kafka
      ? { kafka: { ...(defaults.kafka as object), clientId: `llmp-${name}` } }
      : {};
    expect(fromPreset).toEqual({
      ...defaults,
      ...kafka,
      ...('dataDir' in fromPreset ? { dataDir: './.llmp' } : {}),
    });
  });

  it('reads KAFKA_BROKERS as a comma list and CLICKHOUSE_URL', () => {
    const config = loadConfig({
      schema: ingesterConfig,
      file: preset('ingester'),
      env: { KAFKA_BROKERS: 'k1:9092, k2:9092', CLICKHOUSE_URL: 'http://ch:8123' },
    });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.clickhouse.url).toBe('http://ch:8123');
  });

  it('reads the Kafka SASL login and TLS files from KAFKA_SASL_* and KAFKA_TLS_*; unset, plaintext', () => {
    const config = loadConfig({
      schema: gatewayConfig,
      file: preset('gateway'),
      env: {
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'llmp',
        KAFKA_SASL_PASSWORD: 's3cret',
        KAFKA_TLS_ENABLED: 'true',
        KAFKA_TLS_CA_FILE: '/etc/kafka/ca.pem',
      },
    });
    expect(config.kafka.auth.sasl).toEqual({
      mechanism: 'SCRAM-SHA-512',
      username: 'llmp',
      password: 's3cret',
    });
    expect(config.kafka.tls).toEqual({
      enabled: true,
      caFile: '/etc/kafka/ca.pem',
      insecureSkipVerify: false,
    });
    const plain = loadConfig({ schema: ingesterConfig, file: preset('ingester'), env: {} });
    expect(plain.kafka.auth.sasl.mechanism).toBeUndefined();
    expect(plain.kafka.tls.enabled).toBe(false);
    expect(() =>
      loadConfig({
        schema: gatewayConfig,
        text: 'kafka:\n  auth: { sasl: { mechanizm: PLAIN } }\n',
        env: {},
      }),
    ).toThrow(/kafka\.auth\.sasl\.mechanizm: unknown key/);
  });

  it("keeps the embedded engine's freed pages 250 ms in the ingester, 1 s where queries are the work", () => {
    expect(ingesterConfig.parse({}).clickhouse.embedded.freedMemoryDecay).toBe(250);
    expect(queryConfig.parse({}).clickhouse.embedded.freedMemoryDecay).toBe(1000);
    expect(
      ingesterConfig.parse({ clickhouse: { embedded: { freedMemoryDecay: '1s' } } }).clickhouse.embedded
        .freedMemoryDecay,
    ).toBe(1000);
  });

  it('leaves Kafka out of llmp query unless a kafka section is given', () => {
    expect(queryConfig.parse({}).kafka).toBeUndefined();
    expect(queryConfig.parse({ kafka: { brokers: 'k1:9092' } }).kafka?.brokers).toEqual(['k1:9092']);
  });

  it('mlflow-exporter.yaml spells out the defaults and reads MLFLOW_TRACKING_URI', () => {
    const fromPreset = loadConfig({
      schema: mlflowExporterRoleConfig,
      file: preset('mlflow-exporter'),
      env: { MLFLOW_TRACKING_URI: 'http://mlflow:5000/' },
    });
    const defaults = mlflowExporterRoleConfig.parse({
      exporters: { mlflow: { trackingUri: 'http://mlflow:5000' } },
    });
    expect(fromPreset).toEqual({
      ...defaults,
      kafka: { ...defaults.kafka, clientId: 'llmp-mlflow-exporter' },
    });
    expect(fromPreset.receivers.kafka.groupId).toBe('llmp-mlflow');
    // GenAI event records: otlp_logs in a group of its own (llmp-mlflow-logs), into the exporter.
    expect(fromPreset.receivers.kafka.logs).toMatchObject({ topic: 'otlp_logs' });
    expect(defaults.service.pipelines.logs).toMatchObject({ receivers: ['kafka'], exporters: ['mlflow'] });
  });

  it('refuses an mlflow-exporter config without a tracking URI', () => {
    expect(() => loadConfig({ schema: mlflowExporterRoleConfig, text: 'kafka: {}\n', env: {} })).toThrow(
      ConfigError,
    );
  });

  it('refuses a broker list without ports', () => {
    expect(() =>
      loadConfig({ schema: gatewayConfig, text: 'kafka:\n  brokers: "kafka"\n', env: {} }),
    ).toThrow(ConfigError);
  });
});
