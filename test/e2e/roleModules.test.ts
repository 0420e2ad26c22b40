import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers, startGateway, startIngester } from '../support/distributedRoles.ts';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 21, item 1 (RSS): a role holds the modules of what it is, not of every role. The
// process records what it loaded (test/support/moduleList.mjs, preloaded with node --import)
// and writes it on SIGUSR2; the packages it must never load are checked after start and a trace.

const brokers = providedBrokers();
const dir = tempDir('role-modules');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

function listing(name: string): { out: string; env: Record<string, string> } {
  const out = join(dir.path, `${name}-modules.json`);
  return {
    out,
    env: {
      NODE_OPTIONS: `--import ${join(repoRoot, 'test/support/moduleList.mjs')}`,
      MODULE_LIST_OUT: out,
    },
  };
}

/**
 * What the process has loaded: dependencies by name and, for a workspace package, `packages/x`
 * when it loaded the package's main entry (its index, which re-exports all its code; the light
 * `components` entry a role's config reads does not count).
 */
async function loadedPackages(llmp: LlmpProcess, out: string): Promise<string[]> {
  llmp.child.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    let list: { packages: Record<string, number>; urls: string[] };
    try {
      list = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      await sleep(100);
      continue;
    }
    const dependencies = Object.keys(list.packages).filter((name) => !name.startsWith('packages/'));
    const entries = list.urls.flatMap((url) => /\/(packages\/[^/]+)\/src\/index\.ts$/.exec(url)?.[1] ?? []);
    return [...dependencies, ...entries];
  }
  throw new Error(`no module list in ${out}`);
}

/** What only the roles with a store or the query API use, and the loadgen's OpenTelemetry SDK. */
const storeAndApi = [
  'chdb',
  '@clickhouse/client',
  'packages/clickhouse',
  'packages/query-api',
  'packages/ui',
  'packages/jobs',
  'packages/genai',
  'packages/exporter-mlflow',
  'quickjs-emscripten-core',
];
// (@opentelemetry/api is not here: prom-client's process metrics load it when it is installed.)
const loadgen = ['packages/loadgen', '@opentelemetry/sdk-trace', '@opentelemetry/otlp-transformer'];
const otlpServer = ['packages/receiver-otlp', '@grpc/grpc-js'];
const kafkaClients = ['packages/kafka', 'kafkajs', '@platformatic/kafka'];

describe.skipIf(!brokers)('each role loads only its own modules', () => {
  it('llmp gateway, after start and a trace over gRPC and HTTP, holds no store, query API, UI, jobs or loadgen code, nor kafkajs', async () => {
    const topics = isolatedTopics('rolemods');
    const { out, env } = listing('gateway');
    const gateway = await startGateway({ dataDir: join(dir.path, 'gateway'), brokers, topics, env });
    running.push(gateway);
    for (const exporter of [
      new GrpcExporter({ url: `http://127.0.0.1:${gateway.grpcPort}` }),
      new ProtoExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/traces` }),
    ]) {
      const sent = await sendTrace(exporter, 'role-modules');
      expect(sent.exporter.results.map((r) => r.code)).toEqual([0]);
    }
    const packages = await loadedPackages(gateway, out);
    // What it is made of: the test would pass vacuously if the list were empty.
    expect(packages).toEqual(expect.arrayContaining(['@grpc/grpc-js', '@platformatic/kafka']));
    // It produces and makes its topics with @platformatic/kafka; kafkajs is the consumers' library.
    expect(packages.filter((p) => [...storeAndApi, ...loadgen, 'kafkajs'].includes(p))).toEqual([]);
  });

  it('llmp ingester holds no OTLP server or loadgen code', async () => {
    const topics = isolatedTopics('rolemods');
    const { out, env } = listing('ingester');
    const ingester = await startIngester({ dataDir: join(dir.path, 'ingester'), brokers, topics, env });
    running.push(ingester);
    const packages = await loadedPackages(ingester, out);
    expect(packages).toEqual(expect.arrayContaining(['packages/kafka', 'packages/clickhouse', 'chdb']));
    // startIngester runs --with-api (the embedded store has one owner), so the API may be there.
    expect(packages.filter((p) => [...otlpServer, ...loadgen].includes(p))).toEqual([]);
  });

  it('llmp query without a kafka section holds no OTLP server, Kafka client or loadgen code', async () => {
    const { out, env } = listing('query');
    const query = await startLlmp({ dataDir: join(dir.path, 'query'), command: 'query', env });
    running.push(query);
    expect((await query.api('/healthz')).status).toBe(200);
    const packages = await loadedPackages(query, out);
    expect(packages).toEqual(expect.arrayContaining(['packages/query-api', 'packages/clickhouse']));
    expect(packages.filter((p) => [...otlpServer, ...loadgen, ...kafkaClients].includes(p))).toEqual([]);
  });
});
