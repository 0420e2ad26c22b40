import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The Collector .ci/run builds from test/support/kafka/otelcol-consumer.yaml (contrib
 * kafkareceiver + otlphttp exporter); undefined when it is not built (LLMP_OTELCOL_CONSUMER
 * names another binary).
 */
export const otelcolConsumerBinary = [
  process.env.LLMP_OTELCOL_CONSUMER,
  join(homedir(), '.cache/llmp/otelcol-kafkareceiver/dist/otelcol-llmp-consumer'),
].find((p): p is string => !!p && existsSync(p));

/** What the Collector exported: the OTLP/HTTP request bodies it posted to /v1/<signal>. */
export interface CollectorSink {
  bodies: Buffer[];
  stop(): Promise<void>;
}

/**
 * Runs the OpenTelemetry Collector reading `topic` with its contrib kafkareceiver (encoding
 * `otlp_proto`, from the earliest offset, in a group of its own) and exporting with its otlphttp
 * exporter to a local server, which keeps every request body.
 * @example const sink = await collectorReading({ brokers, topic: 'otlp_logs', signal: 'logs', dir });
 */
export async function collectorReading({
  brokers,
  topic,
  signal,
  dir,
}: {
  brokers: string;
  topic: string;
  signal: 'traces' | 'logs' | 'metrics';
  dir: string;
}): Promise<CollectorSink & { stderr: () => string }> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const config = join(dir, `otelcol-${topic}.yaml`);
  writeFileSync(
    config,
    [
      'receivers:',
      '  kafka:',
      `    brokers: [${brokers
        .split(',')
        .map((b) => `"${b}"`)
        .join(', ')}]`,
      `    group_id: otelcol-${topic}-${Date.now()}`,
      '    initial_offset: earliest',
      `    ${signal}: { topics: ["${topic}"], encoding: otlp_proto }`,
      'exporters:',
      '  otlphttp:',
      `    ${signal}_endpoint: http://127.0.0.1:${port}/v1/${signal}`,
      '    compression: none',
      '    encoding: proto',
      'service:',
      '  telemetry:',
      '    metrics: { level: none }',
      '  pipelines:',
      `    ${signal}:`,
      '      receivers: [kafka]',
      '      exporters: [otlphttp]',
    ].join('\n'),
  );
  let stderr = '';
  const child: ChildProcess = spawn(otelcolConsumerBinary!, ['--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  return {
    bodies,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('close', r)));
      await new Promise((r) => server.close(r));
    },
  };
}
