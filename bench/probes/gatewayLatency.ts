// Where a gateway request's wall time goes under loadgen's LLM load (issue 21 item 1, gwlatency).
// ROOTS=<checkout>,<checkout> (default this one) SECONDS=10 WORKERS=8 [KAFKA_YAML='  producerConnections: 2\n']
// [EXTRA_YAML='    coalesce: { enabled: true }\n'] (lines added to the kafka section / the kafka exporter)
// node bench/probes/gatewayLatency.ts — one broker, each root's gateway in turn into a fresh topic,
// latencyHooks.ts loaded into it; prints the loadgen report, the gateway's histograms and the CPU
// of the gateway, the broker (a Java child of this process) and this process (the sender).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from '../src/benchLoad.ts';
import { cpuSeconds, javaChildren, peakRssMiB } from '../src/processStats.ts';

const here = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const roots = (process.env.ROOTS ?? here).split(',');
/** VARIANTS='[{"kafka":"  producerConnections: 2\\n","exporter":"…","set":["key=value"]}, …]': each root runs each. */
const variants: { kafka?: string; exporter?: string; set?: string[] }[] = JSON.parse(
  process.env.VARIANTS ??
    JSON.stringify([{ kafka: process.env.KAFKA_YAML, exporter: process.env.EXTRA_YAML }]),
);
const runs = roots.flatMap((root) => variants.map((variant) => ({ root, variant })));
const seconds = Number(process.env.SECONDS ?? 10);
const workers = Number(process.env.WORKERS ?? 8);

const broker = await kafkaBroker();
if (!broker) throw new Error('no Kafka broker');
const brokerPid = javaChildren()[0];
const kafka = new Kafka({ brokers: broker.brokers, clientId: 'probe', logLevel: logLevel.NOTHING });
const dir = tempDir('probe-latency');
try {
  for (const [i, { root, variant }] of runs.entries()) {
    const topic = `probe_${Date.now()}_${i}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await admin.disconnect();
    const out = `${dir.path}/latency-${i}.json`;
    const gateway = await startLlmp({
      root,
      dataDir: `${dir.path}/gateway-${i}`,
      command: 'gateway',
      args: (variant.set ?? []).flatMap((setting) => ['--set', setting]),
      extraYaml: `kafka:\n  brokers: "${broker.brokers.join(',')}"\n${variant.kafka ?? ''}exporters:\n  kafka:\n    topic: ${topic}\n${variant.exporter ?? ''}`,
      env: {
        NODE_OPTIONS: `--max-semi-space-size=8 --import ${here}/bench/probes/latencyHooks.ts`,
        LATENCY_PROBE_OUT: out,
      },
    });
    const pid = gateway.child.pid!;
    const cpu0 = [cpuSeconds(pid), brokerPid ? cpuSeconds(brokerPid) : 0, process.cpuUsage()] as const;
    const report = await benchLoad(`http://127.0.0.1:${gateway.grpcPort}`, {
      rate: 0,
      concurrency: workers,
      durationMs: seconds * 1000,
    });
    const wall = report.durationMs / 1000;
    const self = process.cpuUsage(cpu0[2]);
    const cpu = {
      gateway: (cpuSeconds(pid) - cpu0[0]) / wall,
      broker: brokerPid ? (cpuSeconds(brokerPid) - cpu0[1]) / wall : undefined,
      sender: (self.user + self.system) / 1e6 / wall,
    };
    const peakRss = peakRssMiB(pid);
    await gateway.stop('SIGTERM');
    console.log(
      JSON.stringify({
        root,
        variant,
        loadAverage: loadavg()[0],
        spansPerSecond: report.spansPerSecond,
        requests: report.requests,
        retryableAnswers: report.retryableAnswers,
        senderLatencyMs: report.latencyMs,
        coresUsed: cpu,
        peakRssMiB: peakRss,
        gateway: JSON.parse(readFileSync(out, 'utf8')),
      }),
    );
  }
} finally {
  dir.remove();
  await broker.stop();
}
