import { withRetries } from '@llmp/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { type LlmpProcess, startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from './benchLoad.ts';
import { cpuSeconds, profiledEnv, samplePeakRss } from './processStats.ts';

/** Records not yet committed by a group, over all partitions of a topic. */
export async function lag(kafka: Kafka, topic: string, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await withRetries(() => admin.fetchTopicOffsets(topic));
    const [committed] = await withRetries(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    let total = 0;
    for (const end of ends) {
      const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      total += Number(end.offset) - Math.max(0, Number(done));
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until a group has committed every record of a topic; fails if the ingester exits first. */
export async function drain(
  kafka: Kafka,
  topic: string,
  groupId: string,
  ingester: LlmpProcess,
): Promise<void> {
  while ((await lag(kafka, topic, groupId)) > 0) {
    const { exitCode, signalCode } = ingester.child;
    if (exitCode !== null || signalCode !== null)
      throw new Error(`the ingester exited (${exitCode ?? signalCode}) before draining ${topic}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * gateway: OTLP/gRPC → Kafka (acks=all) as fast as acknowledged, CPU and RSS; then at twice
 * that rate. ingester: drains what the gateway wrote into the embedded store.
 */
export async function distributedScenario({ seconds }: { seconds: number }) {
  const broker = await kafkaBroker();
  if (!broker)
    return [
      { scenario: 'gateway', skipped: 'no Kafka broker (set KAFKA_BROKERS, or install Java 17 + Maven)' },
    ];
  const dir = tempDir('bench-dist');
  const topic = `bench_spans_${Date.now()}`;
  const kafkaYaml = `kafka:\n  brokers: "${broker.brokers.join(',')}"\n  topicPartitions: 4\n`;
  const gateway = await startLlmp({
    dataDir: `${dir.path}/gateway`,
    command: 'gateway',
    extraYaml: `${kafkaYaml}exporters:\n  kafka:\n    topic: ${topic}\n`,
  });
  const results: Array<Record<string, unknown>> = [];
  try {
    const pid = gateway.child.pid!;
    const grpc = `http://127.0.0.1:${gateway.grpcPort}`;
    const cpu0 = cpuSeconds(pid);
    const sustained = await samplePeakRss(pid, () =>
      benchLoad(grpc, { rate: 0, concurrency: 32, durationMs: seconds * 1000 }),
    );
    const cpu = cpuSeconds(pid) - cpu0;
    const rate = sustained.result.spansPerSecond;
    const doubled = await samplePeakRss(pid, () =>
      benchLoad(grpc, { rate: rate * 2, concurrency: 64, durationMs: seconds * 1000, seed: 3 }),
    );
    const written = sustained.result.acknowledgedSpans + doubled.result.acknowledgedSpans;
    results.push({
      scenario: 'gateway',
      command: `llmp gateway; llmp loadgen -p grpc -c 32 -t 20 -d ${seconds}`,
      spansPerSecond: rate,
      spansPerSecondPerCore: Math.round(rate / Math.max(0.01, cpu / (sustained.result.durationMs / 1000))),
      exportLatencyMs: sustained.result.latencyMs,
      cpuSecondsPerMillionSpans: Math.round((cpu / (sustained.result.acknowledgedSpans / 1e6)) * 10) / 10,
      peakRssMiB: sustained.peakMiB,
      atTwiceRate: {
        offered: rate * 2,
        acknowledgedPerSecond: doubled.result.spansPerSecond,
        retryableAnswers: doubled.result.retryableAnswers,
        peakRssMiB: doubled.peakMiB,
      },
    });
    await gateway.stop('SIGTERM');

    const groupId = `bench-ingester-${Date.now()}`;
    const kafka = new Kafka({ clientId: 'llmp-bench', brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const records = await lag(kafka, topic, groupId);
    const ingester = await startLlmp({
      dataDir: `${dir.path}/ingester`,
      command: 'ingester',
      extraYaml: `${kafkaYaml}receivers:\n  kafka:\n    topic: ${topic}\n    groupId: ${groupId}\n`,
      env: profiledEnv('ingester'),
    });
    const ipid = ingester.child.pid!;
    // From ready, not from spawn: the embedded engine's load is a start-up cost, not throughput.
    const t0 = performance.now();
    const icpu0 = cpuSeconds(ipid);
    const drained = await samplePeakRss(ipid, () => drain(kafka, topic, groupId, ingester));
    const elapsed = (performance.now() - t0) / 1000;
    results.push({
      scenario: 'ingester',
      command: 'llmp ingester (embedded store), draining the gateway run',
      records,
      spans: written,
      seconds: Math.round(elapsed * 10) / 10,
      spansPerSecond: Math.round(written / elapsed),
      cpuSecondsPerMillionSpans: Math.round(((cpuSeconds(ipid) - icpu0) / (written / 1e6)) * 10) / 10,
      peakRssMiB: drained.peakMiB,
    });
    await ingester.stop('SIGTERM');
  } finally {
    await gateway.stop('SIGKILL');
    await broker.stop();
    dir.remove();
  }
  return results;
}
