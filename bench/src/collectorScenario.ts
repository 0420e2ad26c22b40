import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { otelcolBinary } from './otelcolBinary.ts';
import { cpuSeconds, peakRssMiB } from './processStats.ts';
import { median } from './quantiles.ts';
import { runTelemetrygen } from './telemetrygen.ts';

interface Run {
  generatedSpans: number;
  acceptedSpans: number;
  spansPerSecond: number;
  cpuSecondsPerMillionSpans: number;
  peakRssMiB: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listening(port: number, deadline = Date.now() + 30_000): Promise<void> {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** The Collector's config: otlp (gRPC) → batch → kafka, acks=all, OTLP protobuf records. */
const collectorConfig = (port: number, metricsPort: number, brokers: string[], topic: string) => `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${port}
processors:
  batch: {}
exporters:
  kafka:
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    traces:
      topic: ${topic}
      encoding: otlp_proto
    producer:
      required_acks: -1
service:
  telemetry:
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${metricsPort}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [kafka]
`;

/**
 * The sum of a counter's series in a Prometheus text page: spans the receiver accepted, since
 * telemetrygen's SDK drops spans its queue cannot hold, so what it generated is not what arrived.
 */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function measure(
  pid: number,
  port: number,
  spans: number,
  workers: number,
  accepted: () => Promise<number>,
): Promise<Run> {
  const cpu0 = cpuSeconds(pid);
  const before = await accepted();
  const sent = await runTelemetrygen({ endpoint: `127.0.0.1:${port}`, spans, workers });
  const cpu = cpuSeconds(pid) - cpu0;
  const arrived = (await accepted()) - before;
  return {
    generatedSpans: sent.spans,
    acceptedSpans: arrived,
    spansPerSecond: Math.round(arrived / sent.seconds),
    cpuSecondsPerMillionSpans: Math.round((cpu / (arrived / 1e6)) * 100) / 100,
    peakRssMiB: peakRssMiB(pid),
  };
}

async function collectorRun(dir: string, brokers: string[], spans: number, workers: number): Promise<Run> {
  const port = await freePort();
  const metricsPort = await freePort();
  const config = `${dir}/otelcol-${port}.yaml`;
  writeFileSync(config, collectorConfig(port, metricsPort, brokers, `bench_otelcol_${Date.now()}`));
  const child = spawn(otelcolBinary(), ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await listening(port);
    return await measure(child.pid!, port, spans, workers, () =>
      counter(`http://127.0.0.1:${metricsPort}/metrics`, 'otelcol_receiver_accepted_spans'),
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(null)));
  }
}

async function gatewayRun(dir: string, brokers: string[], spans: number, workers: number): Promise<Run> {
  const topic = `bench_gateway_${Date.now()}`;
  const gateway = await startLlmp({
    dataDir: `${dir}/gateway-${topic}`,
    command: 'gateway',
    extraYaml: `kafka:\n  brokers: "${brokers.join(',')}"\n  topicPartitions: 4\nexporters:\n  kafka:\n    topic: ${topic}\n`,
  });
  try {
    return await measure(gateway.child.pid!, gateway.grpcPort, spans, workers, () =>
      counter(`http://127.0.0.1:${gateway.telemetryPort}/metrics`, 'llmp_receiver_accepted_spans_total'),
    );
  } finally {
    await gateway.stop('SIGTERM');
  }
}

/**
 * collector (only when named): the same telemetrygen load (`spans` small spans, `workers`
 * senders, OTLP/gRPC) into the OpenTelemetry Collector 0.165 (otlp → batch → kafka, acks=all)
 * and into `llmp gateway` (Kafka acks=all), both on one broker, interleaved A B A B over
 * `rounds`; medians of spans/s, CPU-s per million spans and peak RSS, and llmp's ratios.
 */
export async function collectorScenario({
  spans,
  workers,
  rounds,
}: {
  spans: number;
  workers: number;
  rounds: number;
}) {
  const broker = await kafkaBroker();
  if (!broker)
    return {
      scenario: 'collector',
      skipped: 'no Kafka broker (set KAFKA_BROKERS, or install Java 17 + Maven)',
    };
  otelcolBinary();
  const dir = tempDir('bench-otelcol');
  const collector: Run[] = [];
  const gateway: Run[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      collector.push(await collectorRun(dir.path, broker.brokers, spans, workers));
      gateway.push(await gatewayRun(dir.path, broker.brokers, spans, workers));
    }
  } finally {
    dir.remove();
    await broker.stop();
  }
  const medians = (runs: Run[]) => ({
    spansPerSecond: median(runs.map((r) => r.spansPerSecond)),
    cpuSecondsPerMillionSpans: median(runs.map((r) => r.cpuSecondsPerMillionSpans)),
    peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
  });
  const a = medians(collector);
  const b = medians(gateway);
  const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
  return {
    scenario: 'collector',
    command: `otelcol 0.165 (otlp → batch → kafka acks=all) vs llmp gateway; telemetrygen traces --workers ${workers} (${spans} spans) × ${rounds}, A B A B`,
    collector: a,
    gateway: b,
    gatewayToCollector: {
      spansPerSecond: ratio(b.spansPerSecond, a.spansPerSecond),
      cpuPerSpan: ratio(b.cpuSecondsPerMillionSpans, a.cpuSecondsPerMillionSpans),
      peakRss: ratio(b.peakRssMiB, a.peakRssMiB),
    },
    runs: { collector, gateway },
  };
}
