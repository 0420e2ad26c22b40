import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { withRetries } from '@llmp/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from './benchLoad.ts';
import { type CollectorPipeline, collectorConfig } from './collectorConfig.ts';
import { otelcolBinary } from './otelcolBinary.ts';
import {
  cpuSeconds,
  javaChildren,
  machineCpuSeconds,
  peakRssMiB,
  processRunQueueWaitSeconds,
  runQueueWaitSeconds,
  selfAndReapedChildrenCpuSeconds,
} from './processStats.ts';
import { median } from './quantiles.ts';
import { runTelemetrygenSenders } from './telemetrygenSenders.ts';

/**
 * The telemetrygen load: `senders` processes (one OTLP/gRPC exporter, so one request of up to
 * `batchSize` spans in flight, each), each with `workersPerSender` generating goroutines paced at
 * `rate` spans/s. A worker makes ~1 600–1 750 spans/s whatever its `rate` (its rate limiter's
 * waits under 1 ms take Go longer: docs/benchmarks.md, branch aiocycle), so the workers, not
 * `rate`, set what a sender can offer.
 */
export interface TelemetrygenLoad {
  senders: number;
  workersPerSender: number;
  rate: number;
  batchSize: number;
}

/** One side's run, from its own counters and the topic it wrote. */
interface Run {
  /** Spans the receiver accepted. */
  acceptedSpans: number;
  /** Spans the exporter reports Kafka acknowledged (acks=all). */
  ackedSpans: number;
  /** Spans telemetrygen's workers generated (its SDK drops what its queue cannot hold); undefined for loadgen. */
  generatedSpans: number | undefined;
  /** Records in the run's fresh topic (sum of the partitions' end offsets). */
  records: number;
  seconds: number;
  spansPerSecond: number;
  cpuSecondsPerMillionSpans: number;
  peakRssMiB: number;
  loadAverage: number;
  /** The Kafka broker's CPU over the run, per million spans acknowledged (undefined: not a child of this process). */
  brokerCpuSecondsPerMillionSpans: number | undefined;
  /** This process's CPU over the run (the loadgen sender, or telemetrygen's process for that load), per million spans. */
  senderCpuSecondsPerMillionSpans: number;
  /** Share of the machine's CPU time (all cores) that was busy over the run, 0–1, from /proc/stat. */
  machineBusy: number;
  /** Cores in use over the run by side, broker, sender and by anything else on the machine (the rest). */
  cores: {
    side: number;
    sideFirstThread: number;
    broker: number | undefined;
    sender: number;
    rest: number;
    all: number;
  };
  /**
   * Cores' worth of the run's wall time the side's first thread and the sender's threads (this
   * process's main thread for loadgen; all threads of the telemetrygen processes, sampled every
   * 100 ms) were runnable but had no core.
   */
  runQueueWait: { sideFirstThread: number; sender: number };
}

/** A process under test: its pid, its OTLP/gRPC port, its counters. */
interface Side {
  pid: number;
  port: number;
  counters(): Promise<{ accepted: number; acked: number }>;
  stop(): Promise<void>;
}

type Load = 'telemetrygen' | 'loadgen';

/** The gateway image's NODE_OPTIONS (Dockerfile), unless BENCH_GATEWAY_NODE_OPTIONS says otherwise. */
const gatewayNodeOptions = process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '--max-semi-space-size=8';
/** The baseline checkout's gateway: the image's NODE_OPTIONS unless BENCH_BASELINE_NODE_OPTIONS says otherwise. */
const baselineNodeOptions = process.env.BENCH_BASELINE_NODE_OPTIONS ?? '--max-semi-space-size=8';

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

/** The sum of a counter's series in a Prometheus text page (`name` with or without `_total`). */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const rest = line.startsWith(name) ? line.slice(name.length) : '';
    if (/^(_total)?[{ ]/.test(rest)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function exited(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) =>
    child.exitCode === null && child.signalCode === null ? child.on('exit', resolve) : resolve(null),
  );
}

async function startCollector(
  dir: string,
  brokers: string[],
  topic: string,
  pipeline: CollectorPipeline,
): Promise<Side> {
  const port = await freePort();
  const metricsPort = await freePort();
  const file = `${dir}/otelcol-${topic}.yaml`;
  writeFileSync(file, collectorConfig({ port, metricsPort, brokers, topic, pipeline }));
  // BENCH_COLLECTOR_GOMAXPROCS: the cores the Collector's Go runtime runs goroutines on at once.
  const goMaxProcs = process.env.BENCH_COLLECTOR_GOMAXPROCS;
  const child = spawn(otelcolBinary(), ['--config', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(goMaxProcs ? { env: { ...process.env, GOMAXPROCS: goMaxProcs } } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await listening(port);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
  return {
    pid: child.pid!,
    port,
    counters: async () => ({
      accepted: await counter(metrics, 'otelcol_receiver_accepted_spans'),
      acked: await counter(metrics, 'otelcol_exporter_sent_spans'),
    }),
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

async function startGateway(dir: string, brokers: string[], topic: string, root?: string): Promise<Side> {
  const gateway = await startLlmp({
    ...(root ? { root } : {}),
    dataDir: `${dir}/gateway-${topic}`,
    command: 'gateway',
    // BENCH_KAFKA_YAML: lines added to this checkout's kafka section (e.g. '  producerConnections: 8\n').
    extraYaml: `kafka:\n  brokers: "${brokers.join(',')}"\n${(!root && process.env.BENCH_KAFKA_YAML) || ''}exporters:\n  kafka:\n    topic: ${topic}\n${
      // BENCH_SENDS_IN_FLIGHT: merged sends (coalesce on) with that sendsInFlight, this checkout only.
      !root && process.env.BENCH_SENDS_IN_FLIGHT
        ? `    coalesce: { enabled: true, sendsInFlight: ${Number(process.env.BENCH_SENDS_IN_FLIGHT)} }\n`
        : ''
    }`,
    env: {
      NODE_OPTIONS: [
        root ? baselineNodeOptions : gatewayNodeOptions,
        process.env.BENCH_CPU_PROF ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}/gateway` : '',
      ].join(' '),
    },
  });
  const metrics = `http://127.0.0.1:${gateway.telemetryPort}/metrics`;
  return {
    pid: gateway.child.pid!,
    port: gateway.grpcPort,
    counters: async () => ({
      accepted: await counter(metrics, 'llmp_receiver_accepted_spans'),
      acked: await counter(metrics, 'llmp_exporter_sent_spans'),
    }),
    async stop() {
      await gateway.stop('SIGTERM');
    },
  };
}

/** Creates a fresh topic (same partitions for both sides) and reads its record count afterwards. */
function topics(kafka: Kafka, partitions: number) {
  return {
    async create(topic: string) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await withRetries(() => admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }));
      } finally {
        await admin.disconnect();
      }
    },
    async records(topic: string) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = await withRetries(() => admin.fetchTopicOffsets(topic));
        return ends.reduce((n, end) => n + Number(end.high), 0);
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/**
 * Drives one load into a started side; the run ends when the exporter has reported every
 * accepted span acknowledged by Kafka (at once for a side that answers after Kafka).
 */
async function measure(
  side: Side,
  load: Load,
  size: { workers: number; seconds: number; telemetrygen: TelemetrygenLoad },
  brokerPid: number | undefined,
) {
  const before = await side.counters();
  const cpu0 = cpuSeconds(side.pid);
  // The side's first thread: the gateway's JavaScript thread (the Collector's is one of many).
  const main0 = cpuSeconds(side.pid, side.pid);
  const waits0 = [runQueueWaitSeconds(side.pid), runQueueWaitSeconds(process.pid)] as const;
  const broker0 = brokerPid ? cpuSeconds(brokerPid) : 0;
  const machine0 = machineCpuSeconds();
  const sender0 = selfAndReapedChildrenCpuSeconds();
  const started = performance.now();
  // The telemetrygen processes' run-queue wait: read while they live (gone once reaped).
  const senderWaits = new Map<number, number>();
  let sampler: NodeJS.Timeout | undefined;
  let generatedSpans: number | undefined;
  if (load === 'telemetrygen') {
    try {
      ({ generatedSpans } = await runTelemetrygenSenders({
        endpoint: `127.0.0.1:${side.port}`,
        ...size.telemetrygen,
        seconds: size.seconds,
        goMaxProcs: process.env.BENCH_GOMAXPROCS ? Number(process.env.BENCH_GOMAXPROCS) : undefined,
        onStart: (pids) => {
          const sample = () => {
            for (const pid of pids)
              senderWaits.set(pid, Math.max(senderWaits.get(pid) ?? 0, processRunQueueWaitSeconds(pid)));
          };
          sample();
          sampler = setInterval(sample, 100);
        },
      }));
    } finally {
      clearInterval(sampler);
    }
  } else {
    await benchLoad(`http://127.0.0.1:${side.port}`, {
      rate: 0,
      concurrency: size.workers,
      durationMs: size.seconds * 1000,
    });
  }
  let now = await side.counters();
  let done = performance.now();
  // An answer before Kafka (the batch pipeline) leaves spans to be acknowledged after the load.
  for (let waited = 0; now.acked - before.acked < now.accepted - before.accepted && waited < 30_000; ) {
    await sleep(50);
    waited += 50;
    const later = await side.counters();
    if (later.acked !== now.acked) done = performance.now();
    now = later;
  }
  const cpu = cpuSeconds(side.pid) - cpu0;
  const mainThread = cpuSeconds(side.pid, side.pid) - main0;
  const waits = [
    runQueueWaitSeconds(side.pid) - waits0[0],
    load === 'telemetrygen'
      ? [...senderWaits.values()].reduce((sum, wait) => sum + wait, 0)
      : runQueueWaitSeconds(process.pid) - waits0[1],
  ];
  const brokerCpu = brokerPid ? cpuSeconds(brokerPid) - broker0 : undefined;
  const senderCpu = selfAndReapedChildrenCpuSeconds() - sender0;
  const machine = machineCpuSeconds();
  const wall = (performance.now() - started) / 1000;
  const seconds = (done - started) / 1000;
  const acked = now.acked - before.acked;
  const perMillion = (s: number) => Math.round((s / (acked / 1e6)) * 100) / 100;
  const cores = (s: number) => Math.round((s / wall) * 100) / 100;
  const busy = machine.busy - machine0.busy;
  return {
    generatedSpans,
    acceptedSpans: now.accepted - before.accepted,
    ackedSpans: acked,
    seconds: Math.round(seconds * 100) / 100,
    spansPerSecond: Math.round(acked / seconds),
    cpuSecondsPerMillionSpans: perMillion(cpu),
    peakRssMiB: peakRssMiB(side.pid),
    brokerCpuSecondsPerMillionSpans: brokerCpu === undefined ? undefined : perMillion(brokerCpu),
    senderCpuSecondsPerMillionSpans: perMillion(senderCpu),
    machineBusy: Math.round((busy / (machine.total - machine0.total)) * 1000) / 1000,
    cores: {
      side: cores(cpu),
      sideFirstThread: cores(mainThread),
      broker: brokerCpu === undefined ? undefined : cores(brokerCpu),
      sender: cores(senderCpu),
      rest: cores(busy - cpu - (brokerCpu ?? 0) - senderCpu),
      all: cores(busy),
    },
    runQueueWait: { sideFirstThread: cores(waits[0]!), sender: cores(waits[1]!) },
  };
}

/**
 * collector (only when named): the same load into the OpenTelemetry Collector 0.165 (otlp →
 * kafka, acks=all, records split by trace id; `sync` answers after Kafka like llmp, `batch` adds
 * the batch processor and the exporter's queue) and into `llmp gateway` (acks=all), both on one
 * broker, each run into a fresh topic, interleaved over `rounds`, each round starting one side
 * later (A B C, B C A, C A B). Spans are counted as each side's exporter reports them acknowledged
 * by Kafka (telemetrygen drops what its queue cannot hold, so what it generates is not what
 * arrives); medians of spans/s, CPU-s per million spans
 * and peak RSS, and the gateway's ratios. With `baselineRoot` (another checkout, e.g. main), that
 * checkout's gateway runs as a third side in every round, so a change is measured interleaved with
 * it on the same load and machine state. Beside each side's own figures every run records the
 * CPU per million spans of the broker (when this process started it) and of the sender (this
 * process, plus telemetrygen once it exited), the machine's busy share from /proc/stat and the
 * cores each used, `rest` being whatever else ran on the machine: whether a spans/s ratio
 * measures the side or a saturated (or shared) machine.
 */
export async function collectorScenario({
  load,
  workers,
  telemetrygen = { senders: workers, workersPerSender: 1, rate: 5000, batchSize: 100 },
  seconds,
  rounds,
  pipeline,
  baselineRoot,
}: {
  load: Load;
  /** loadgen: requests in flight (telemetrygen: see `telemetrygen`). */
  workers: number;
  telemetrygen?: TelemetrygenLoad;
  seconds: number;
  rounds: number;
  pipeline: CollectorPipeline;
  baselineRoot?: string | undefined;
}) {
  const broker = await kafkaBroker();
  if (!broker)
    return {
      scenario: `collector-${load}`,
      skipped: 'no Kafka broker (set KAFKA_BROKERS, or install Java 17 + Maven)',
    };
  otelcolBinary();
  const dir = tempDir('bench-otelcol');
  const kafka = new Kafka({ brokers: broker.brokers, clientId: 'llmp-bench', logLevel: logLevel.NOTHING });
  const topic = topics(kafka, 4);
  // The broker's pid when this process started it (the Maven jars); none for KAFKA_BROKERS.
  const brokerPid = broker.source === 'env' ? undefined : javaChildren()[0];
  const collector: Run[] = [];
  const gateway: Run[] = [];
  const baseline: Run[] = [];
  const runSide = async (
    name: string,
    start: (topic: string) => Promise<Side>,
    runSeconds = seconds,
  ): Promise<Run> => {
    const fresh = `bench_${name}_${Date.now()}`;
    await topic.create(fresh);
    const side = await start(fresh);
    try {
      const run = await measure(side, load, { workers, seconds: runSeconds, telemetrygen }, brokerPid);
      return { ...run, records: await topic.records(fresh), loadAverage: loadavg()[0]! };
    } finally {
      await side.stop();
    }
  };
  try {
    // Untimed runs of both sides first, so that no side's first round pays for the broker's
    // warm-up on its produce requests: the Collector's first round cost the broker 17-22 CPU-s per
    // million spans against 6-10 later, even after a gateway run; after 3 s of each still 10-18,
    // after 10 s of each 4.3-5.3 like later rounds (2026-12-06).
    const warmUp = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
    if (warmUp > 0) {
      await runSide('warmup', (t) => startCollector(dir.path, broker.brokers, t, pipeline), warmUp);
      await runSide('warmup', (t) => startGateway(dir.path, broker.brokers, t), warmUp);
    }
    // Each round starts one side later (A B C, B C A, C A B …): in a fixed order the same gateway
    // code run second took 4-10 % fewer spans/s than run third (four A B C runs, 2026-12-06).
    const sides = [
      () =>
        runSide('otelcol', (t) => startCollector(dir.path, broker.brokers, t, pipeline)).then((r) =>
          collector.push(r),
        ),
      () => runSide('gateway', (t) => startGateway(dir.path, broker.brokers, t)).then((r) => gateway.push(r)),
      ...(baselineRoot
        ? [
            () =>
              runSide('baseline', (t) => startGateway(dir.path, broker.brokers, t, baselineRoot)).then((r) =>
                baseline.push(r),
              ),
          ]
        : []),
    ];
    for (let round = 0; round < rounds; round++)
      for (let i = 0; i < sides.length; i++) await sides[(round + i) % sides.length]!();
  } finally {
    dir.remove();
    await broker.stop();
  }
  const medians = (runs: Run[]) => ({
    spansPerSecond: median(runs.map((r) => r.spansPerSecond)),
    cpuSecondsPerMillionSpans: median(runs.map((r) => r.cpuSecondsPerMillionSpans)),
    peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
    ...(runs.every((r) => r.brokerCpuSecondsPerMillionSpans !== undefined)
      ? { brokerCpuSecondsPerMillionSpans: median(runs.map((r) => r.brokerCpuSecondsPerMillionSpans!)) }
      : {}),
    senderCpuSecondsPerMillionSpans: median(runs.map((r) => r.senderCpuSecondsPerMillionSpans)),
    machineBusy: Math.round(median(runs.map((r) => r.machineBusy)) * 1000) / 1000,
    restCores: Math.round(median(runs.map((r) => r.cores.rest)) * 100) / 100,
    senderCores: Math.round(median(runs.map((r) => r.cores.sender)) * 100) / 100,
    senderRunQueueWait: Math.round(median(runs.map((r) => r.runQueueWait.sender)) * 100) / 100,
    ...(runs.every((r) => r.generatedSpans)
      ? {
          senderDropShare:
            Math.round(median(runs.map((r) => 1 - r.acceptedSpans / r.generatedSpans!)) * 1000) / 1000,
        }
      : {}),
  });
  const a = medians(collector);
  const b = medians(gateway);
  const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
  const offered =
    load === 'telemetrygen'
      ? `${telemetrygen.senders} × telemetrygen traces --workers ${telemetrygen.workersPerSender} --rate ${telemetrygen.rate} --batch-size ${telemetrygen.batchSize} --duration ${seconds}s${process.env.BENCH_GOMAXPROCS ? ` (GOMAXPROCS=${process.env.BENCH_GOMAXPROCS})` : ''}`
      : `loadgen LLM traces, ${workers} requests in flight, 20 traces each, ${seconds} s`;
  return {
    scenario: `collector-${load}`,
    command: `otelcol 0.165 (otlp → ${pipeline.mode === 'batch' ? 'batch → ' : ''}kafka acks=all, linger ${pipeline.linger}) ${process.env.BENCH_COLLECTOR_GOMAXPROCS ? ` GOMAXPROCS=${process.env.BENCH_COLLECTOR_GOMAXPROCS}` : ''} vs llmp gateway (acks=all, NODE_OPTIONS=${gatewayNodeOptions}); ${offered}; × ${rounds}, each round one side later (A B, B A …)${baselineRoot ? ` (C: gateway of ${baselineRoot}, NODE_OPTIONS=${baselineNodeOptions})` : ''}, after untimed ${process.env.BENCH_WARMUP_SECONDS ?? 10} s warm-ups of each`,
    loadAverage: median([...collector, ...gateway, ...baseline].map((r) => r.loadAverage)),
    collector: a,
    gateway: b,
    gatewayToCollector: {
      spansPerSecond: ratio(b.spansPerSecond, a.spansPerSecond),
      cpuPerSpan: ratio(b.cpuSecondsPerMillionSpans, a.cpuSecondsPerMillionSpans),
      peakRss: ratio(b.peakRssMiB, a.peakRssMiB),
    },
    ...(baselineRoot
      ? (() => {
          const c = medians(baseline);
          return {
            baseline: { root: baselineRoot, ...c },
            baselineToCollector: {
              spansPerSecond: ratio(c.spansPerSecond, a.spansPerSecond),
              cpuPerSpan: ratio(c.cpuSecondsPerMillionSpans, a.cpuSecondsPerMillionSpans),
              peakRss: ratio(c.peakRssMiB, a.peakRssMiB),
            },
          };
        })()
      : {}),
    runs: { collector, gateway, ...(baselineRoot ? { baseline } : {}) },
  };
}
