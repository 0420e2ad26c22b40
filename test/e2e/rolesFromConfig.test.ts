import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers } from '../support/distributedRoles.ts';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { tempDir } from '../support/tempDir.ts';

const brokers = providedBrokers();
const cliVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'cmd/llmp/package.json'), 'utf8')) as { version: string }
).version;
const dir = tempDir('roles-from-config');
const running: LlmpProcess[] = [];
let blocker: Server | undefined;

afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  blocker?.close();
  dir.remove();
});

function llmp(args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'cmd/llmp/src/main.ts'),
      ...args,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
}

/** The keys of the records on `topic`, read from the start by a plain Kafka consumer. */
async function recordKeys(topic: string, expected: number): Promise<string[]> {
  const kafka = new Kafka({
    clientId: 'llmp-test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const keys: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${keys.length} records on ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        keys.push(message.key?.toString() ?? '');
        if (keys.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return keys;
}

describe('the CLI around the roles', () => {
  it('llmp --version prints the version of its package.json', () => {
    const result = llmp(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(cliVersion);
  });

  it('a port in use stops the start with the config key to change, not a stack', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const start = startLlmp({
      dataDir: `${dir.path}/clash`,
      args: ['--set', `receivers.otlp.grpc.endpoint=127.0.0.1:${port}`],
    });
    const error = (await start.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(error?.message).toContain('exited with code 2');
    expect(error?.message).toContain(
      `llmp: receivers.otlp.grpc.endpoint 127.0.0.1:${port} is in use; change it in the config or with --set receivers.otlp.grpc.endpoint=<host:port>`,
    );
    expect(error?.message).not.toContain('    at ');
    // Only our line: grpc-js's own ("No address added out of total 1 resolved") goes to the log.
    expect(error?.message).not.toContain('No address added');
  });
});

describe.skipIf(brokers === '')('roles wired by service.pipelines', () => {
  it('a gateway pipeline with two kafka exporters puts every trace on both topics', async () => {
    const first = isolatedTopics('pipelines-a').topic;
    const second = isolatedTopics('pipelines-b').topic;
    const gateway = await startLlmp({
      dataDir: `${dir.path}/gateway`,
      command: 'gateway',
      extraYaml: [
        'kafka:',
        `  brokers: "${brokers}"`,
        'exporters:',
        `  kafka: { topic: ${first} }`,
        `  kafka/copy: { topic: ${second} }`,
        'service:',
        '  pipelines:',
        '    traces: { receivers: [otlp], exporters: [kafka, kafka/copy] }',
      ].join('\n'),
    });
    running.push(gateway);
    const sent = otlpJsonTrace({ spans: 2 });
    expect((await postJson(gateway.httpPort, sent.body)).status).toBe(200);
    expect(await recordKeys(first, 1)).toEqual([sent.traceId]);
    expect(await recordKeys(second, 1)).toEqual([sent.traceId]);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.telemetryPort}/metrics`)).text();
    expect(metrics).toContain('llmp_exporter_sent_spans_total{exporter="kafka"} 2');
    expect(metrics).toContain('llmp_exporter_sent_spans_total{exporter="kafka/copy"} 2');
  });

  it('llmp mlflow-exporter serves /healthz (with its version), /readyz and /metrics (with its build)', async () => {
    const topics = isolatedTopics('pipelines-mlflow');
    const exporter = await startLlmp({
      dataDir: `${dir.path}/mlflow`,
      command: 'mlflow-exporter',
      extraYaml: [
        'kafka:',
        `  brokers: "${brokers}"`,
        'receivers:',
        '  kafka:',
        `    topic: ${topics.topic}`,
        `    groupId: ${topics.groupId}`,
        `    deadLetterTopic: ${topics.deadLetterTopic}`,
        '    sessionTimeout: 6s',
        'exporters:',
        '  mlflow: { trackingUri: "http://127.0.0.1:9" }',
      ].join('\n'),
    });
    running.push(exporter);
    const telemetry = (path: string) => fetch(`http://127.0.0.1:${exporter.telemetryPort}${path}`);
    const health = await telemetry('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', version: cliVersion });
    expect((await telemetry('/readyz')).status).toBe(200);
    const metrics = await (await telemetry('/metrics')).text();
    expect(metrics).toContain('process_resident_memory_bytes');
    expect(metrics).toContain(
      `llmp_build_info{version="${cliVersion}",node_version="${process.versions.node}"} 1`,
    );
  });
});
