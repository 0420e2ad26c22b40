import { spawn } from 'node:child_process';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { coalescingProducer, platformaticProducer, traceRecords } from '@llmp/kafka';
import { screenProtobufRequest, type TraceBatch } from '@llmp/otlp';
import type { Consumer } from '@llmp/pipeline';
import { nopSettings } from '@llmp/pipeline/testing';
import { otlpReceiverConfig, otlpReceiverFactory } from '@llmp/receiver-otlp';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { runTelemetrygen } from './telemetrygen.ts';
import { threadCpu } from './threadCpu.ts';

type Load = 'telemetrygen' | 'loadgen';

/** Runs `work` and returns this process's CPU per million spans, by thread. */
async function cpuPerMillion(work: () => Promise<number>) {
  const before = threadCpu();
  const started = performance.now();
  const spans = await work();
  const seconds = (performance.now() - started) / 1000;
  const threads: Record<string, number> = {};
  let total = 0;
  for (const [name, cpu] of threadCpu()) {
    const used = cpu - (before.get(name) ?? 0);
    total += used;
    if (used >= 0.05) threads[name] = Math.round(used * 100) / 100;
  }
  return {
    spans,
    spansPerSecond: Math.round(spans / seconds),
    cpuSecondsPerMillionSpans: Math.round((total / (spans / 1e6)) * 100) / 100,
    threads,
    loadAverage: loadavg()[0]!,
  };
}

/** Drives the load from another process (telemetrygen is one; loadgen runs in a child node). */
async function drive(load: Load, port: number, seconds: number): Promise<void> {
  if (load === 'telemetrygen') {
    await runTelemetrygen({ endpoint: `127.0.0.1:${port}`, workers: 4, seconds, rate: 5000 });
    return;
  }
  const benchLoad = new URL('./benchLoad.ts', import.meta.url).pathname;
  const script = `const { benchLoad } = await import(${JSON.stringify(benchLoad)}); await benchLoad('http://127.0.0.1:${port}', { rate: 0, concurrency: 8, durationMs: ${seconds * 1000} });`;
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      '--input-type=module',
      '-e',
      script,
    ],
    { stdio: 'inherit' },
  );
  await new Promise((resolve) => child.on('exit', resolve));
}

/**
 * The gateway's receiving side as shipped (otlp receiver: grpc-js, auth, in-flight bound,
 * screening) with a next consumer that takes every batch at once, i.e. the gateway without Kafka.
 * Keeps the first `keep` request bodies for the Kafka part.
 */
async function receiveOnly(load: Load, seconds: number, keep: Uint8Array[]) {
  let spans = 0;
  let requests = 0;
  const next: Consumer<TraceBatch> = {
    async consume(batch) {
      spans += batch.spanCount;
      requests++;
      if (keep.length < 200) keep.push(batch.wire().source);
    },
  };
  const receiver = otlpReceiverFactory.create(
    nopSettings(),
    otlpReceiverConfig.parse({
      grpc: { endpoint: '127.0.0.1:0', maxRecvMsgSize: '20MiB' },
      http: { enabled: false },
    }),
    next,
  );
  await receiver.start();
  try {
    const run = await cpuPerMillion(async () => {
      await drive(load, receiver.ports().grpc!, seconds);
      return spans;
    });
    return { ...run, requests };
  } finally {
    await receiver.shutdown();
  }
}

/**
 * The least a unary gRPC server on `node:http2` can do: read the length-prefixed message, screen
 * it, answer an empty message with grpc-status 0 (no auth, no bounds, no timeouts): what a lean
 * gRPC path in place of grpc-js could at best cost.
 */
async function bareHttp2(load: Load, seconds: number) {
  let spans = 0;
  const server = createServer();
  server.on('stream', (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const framed = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      spans += screenProtobufRequest(framed.subarray(5, 5 + framed.readUInt32BE(1))).acceptedSpans;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await cpuPerMillion(async () => {
      await drive(load, (server.address() as AddressInfo).port, seconds);
      return spans;
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * The gateway's sending side alone: the kept request bodies cut into per-trace records and sent
 * through the same @platformatic/kafka producer (acks=all, idempotent), 8 sends in flight, each
 * body `replays` times; with `merge`, through coalescingProducer as the Kafka exporter sends
 * (concurrent sends merged into one produce request).
 */
async function produceOnly(brokers: string[], bodies: Uint8Array[], replays: number, merge = false) {
  const kafka = new Kafka({ brokers, clientId: 'llmp-bench', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = merge ? 'bench_floor_merged' : 'bench_floor';
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  await admin.disconnect();
  let produceRequests = 0;
  const plain = platformaticProducer({ brokers, clientId: 'llmp-bench' });
  const producer = merge
    ? coalescingProducer(plain, {
        // BENCH_SENDS_IN_FLIGHT: exporters.kafka.coalesce.sendsInFlight (default 1).
        sendsInFlight: Number(process.env.BENCH_SENDS_IN_FLIGHT ?? 1),
        onSend: () => {
          produceRequests += 1;
        },
      })
    : plain;
  const headers = { 'llmp-project': 'default' };
  const screened = bodies.map((body) => screenProtobufRequest(body));
  const send = (i: number) => {
    const records = traceRecords(screened[i % screened.length]!.accepted, 1_000_000);
    return producer.send(
      topic,
      records.map((r) => ({ key: r.key, value: r.value, headers })),
    );
  };
  await send(0); // connect and fetch metadata outside the measurement
  produceRequests = 0;
  try {
    const cost = await cpuPerMillion(async () => {
      let next = 0;
      let spans = 0;
      const total = screened.length * replays;
      const sender = async () => {
        while (next < total) {
          const i = next++;
          await send(i);
          spans += screened[i % screened.length]!.acceptedSpans;
        }
      };
      await Promise.all(Array.from({ length: 8 }, sender));
      return spans;
    });
    const sends = screened.length * replays;
    return merge
      ? { ...cost, sendsPerProduceRequest: Math.round((sends / produceRequests) * 100) / 100 }
      : cost;
  } finally {
    await producer.close();
  }
}

/**
 * gateway-floor: what each part of `llmp gateway` costs alone in one Node process, on the load of
 * the collector scenarios, to tell the gateway's own overhead from the floor of its libraries:
 * the receiver as shipped with Kafka taken out, a bare `node:http2` gRPC answer (the best a lean
 * path instead of grpc-js could do), and the requests it received cut into records and produced
 * with acks=all. CPU-s per million spans by thread (V8Worker = the GC's helper threads).
 */
export async function gatewayFloorScenario({ load, seconds }: { load: Load; seconds: number }) {
  const broker = await kafkaBroker();
  if (!broker)
    return {
      scenario: `gateway-floor-${load}`,
      skipped: 'no Kafka broker (set KAFKA_BROKERS, or install Java 17 + Maven)',
    };
  const bodies: Uint8Array[] = [];
  try {
    const receiver = await receiveOnly(load, seconds, bodies);
    const http2 = await bareHttp2(load, seconds);
    const replays = load === 'telemetrygen' ? 20 : 10;
    const producer = await produceOnly(broker.brokers, bodies, replays);
    const merged = await produceOnly(broker.brokers, bodies, replays, true);
    return {
      scenario: `gateway-floor-${load}`,
      command: `${load === 'telemetrygen' ? 'telemetrygen --workers 4 --rate 5000' : 'loadgen LLM traces, 8 requests in flight'}, ${seconds} s; producer: the first ${bodies.length} requests replayed`,
      receiverWithoutKafka: receiver,
      bareHttp2Grpc: http2,
      recordsAndProducerOnly: producer,
      recordsAndMergingProducer: merged,
      sumOfParts:
        Math.round((receiver.cpuSecondsPerMillionSpans + producer.cpuSecondsPerMillionSpans) * 100) / 100,
    };
  } finally {
    await broker.stop();
  }
}
