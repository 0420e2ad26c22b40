import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { allInOneConfig } from './allInOneConfig.ts';

const preset = fileURLToPath(new URL('../../../deploy/config/all-in-one.yaml', import.meta.url));

describe('all-in-one config', () => {
  it('the preset in deploy/config spells out exactly the defaults', () => {
    const fromPreset = loadConfig({ schema: allInOneConfig, file: preset, env: {} });
    expect(fromPreset).toEqual({ ...allInOneConfig.parse({}), dataDir: './.llmp' });
  });

  it('the preset reads CLICKHOUSE_URL and LLMP_DATA_DIR from the environment', () => {
    const config = loadConfig({
      schema: allInOneConfig,
      file: preset,
      env: { CLICKHOUSE_URL: 'http://clickhouse:8123', LLMP_DATA_DIR: '/var/lib/llmp' },
    });
    expect(config.clickhouse.url).toBe('http://clickhouse:8123');
    expect(config.dataDir).toBe('/var/lib/llmp');
  });

  it('leaves MLflow off unless exporters.mlflow is configured, then fills its defaults', () => {
    expect(allInOneConfig.parse({}).exporters.mlflow).toBeUndefined();
    const config = loadConfig({
      schema: allInOneConfig,
      text: 'exporters:\n  mlflow:\n    trackingUri: http://mlflow:5000/\n    experiments: { jobs: { j1: jobs } }\n',
      env: {},
    });
    expect(config.exporters.mlflow).toMatchObject({
      trackingUri: 'http://mlflow:5000',
      experiments: { default: 'llmp', projects: {}, jobs: { j1: 'jobs' } },
      sendingQueue: { queueSize: 10_000, numConsumers: 4 },
      retryOnFailure: {
        enabled: true,
        initialInterval: 500,
        maxInterval: 30_000,
        maxElapsedTime: 86_400_000,
      },
    });
    expect(() =>
      loadConfig({ schema: allInOneConfig, text: 'exporters:\n  mlflow: { trackingUri: nope }\n', env: {} }),
    ).toThrow(ConfigError);
  });

  it('names every wrong key in one readable error', () => {
    const text =
      'receivers:\n  otlp:\n    grpc: { endpoint: "nowhere" }\nprocessors:\n  batch: { timeout: soon }\n';
    expect(() => loadConfig({ schema: allInOneConfig, text, env: {} })).toThrow(ConfigError);
    try {
      loadConfig({ schema: allInOneConfig, text, env: {} });
    } catch (error) {
      expect((error as Error).message).toContain('receivers.otlp.grpc.endpoint');
      expect((error as Error).message).toContain('processors.batch.timeout');
    }
  });

  it('takes a tls section on each listener and refuses an unknown key in it', () => {
    const tls = '{ certFile: /c.pem, keyFile: /k.pem, clientCaFile: /ca.pem }';
    const text = `receivers:\n  otlp:\n    grpc: { tls: ${tls} }\n    http: { tls: ${tls} }\nquery: { tls: ${tls} }\n`;
    const config = loadConfig({ schema: allInOneConfig, text, env: {} });
    const expected = { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: '/ca.pem', minVersion: '1.2' };
    expect([config.receivers.otlp.grpc.tls, config.receivers.otlp.http.tls, config.query.tls]).toEqual([
      expected,
      expected,
      expected,
    ]);
    expect(() =>
      loadConfig({
        schema: allInOneConfig,
        text: 'query: { tls: { certFile: /c, keyFile: /k, caFile: /ca } }',
        env: {},
      }),
    ).toThrow('query.tls.caFile: unknown key');
  });
});
