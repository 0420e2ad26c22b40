import { Kafka, logLevel } from 'kafkajs';
import { stringify } from 'yaml';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from './benchLoad.ts';
import { drain } from './distributedScenario.ts';
import { cpuSeconds, samplePeakRss } from './processStats.ts';
import { median } from './quantiles.ts';

/**
 * The variants compared: from BENCH_VARIANTS, a JSON object of name → configuration merged into
 * each role's (e.g. `{"two":{},"one":{"receivers":{"kafka":{"partitionsAtOnce":1}}}}`), else
 * from BENCH_DECAYS (default `5s,0ms`), each a `clickhouse.embedded.freedMemoryDecay`. 5 s is
 * jemalloc's setting in chdb, the behaviour before llmp set it.
 */
function variants(): Array<{ name: string; config: Record<string, unknown> }> {
  if (process.env.BENCH_VARIANTS)
    return Object.entries(
      JSON.parse(process.env.BENCH_VARIANTS) as Record<string, Record<string, unknown>>,
    ).map(([name, config]) => ({ name, config }));
  return (process.env.BENCH_DECAYS ?? '5s,0ms').split(',').map((decay) => ({
    name: `freedMemoryDecay ${decay}`,
    config: { clickhouse: { embedded: { freedMemoryDecay: decay } } },
  }));
}

/** Deep merge of plain objects (the variant's configuration over the bench's own). */
function merged(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? merged(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

type Figures = Record<string, number>;

async function allInOneRound(config: Record<string, unknown>, seconds: number): Promise<Figures> {
  const dir = tempDir('bench-mem-aio');
  const llmp = await startLlmp({ dataDir: `${dir.path}/data`, extraYaml: stringify(config) });
  const pid = llmp.child.pid!;
  try {
    const load = (rate: number, concurrency: number) =>
      samplePeakRss(pid, () =>
        benchLoad(`http://127.0.0.1:${llmp.grpcPort}`, { rate, concurrency, durationMs: seconds * 1000 }),
      );
    const cpu0 = cpuSeconds(pid);
    const sustained = await load(0, 32);
    const cpu = cpuSeconds(pid) - cpu0;
    const doubled = await load(sustained.result.spansPerSecond * 2, 64);
    return {
      spansPerSecond: sustained.result.spansPerSecond,
      cpuSecondsPerMillionSpans: Math.round((cpu / (sustained.result.acknowledgedSpans / 1e6)) * 10) / 10,
      peakRssMiB: sustained.peakMiB,
      twiceRateSpansPerSecond: doubled.result.spansPerSecond,
      twiceRateRefusedSpans: doubled.result.refusedSpans,
      twiceRatePeakRssMiB: doubled.peakMiB,
    };
  } finally {
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}

/** Medians of each figure over the rounds of one variant. */
function medians(rounds: Figures[]): Figures {
  const keys = Object.keys(rounds[0] ?? {});
  return Object.fromEntries(keys.map((k) => [k, median(rounds.map((r) => r[k]!))]));
}

function ratios(a: Figures, b: Figures): Figures {
  return Object.fromEntries(
    Object.keys(a).map((k) => [k, a[k] ? Math.round((b[k]! / a[k]!) * 1000) / 1000 : Number.NaN]),
  );
}

/** Each variant's rounds and medians, and the ratio of each variant's medians to the first's. */
function summary(scenario: string, command: string, names: string[], runs: Figures[][]) {
  const [a, ...others] = runs.map(medians) as [Figures, ...Figures[]];
  return {
    scenario,
    command,
    ...Object.fromEntries(names.map((name, v) => [name, runs[v]])),
    medians: Object.fromEntries(names.map((name, v) => [name, v === 0 ? a : others[v - 1]])),
    ...Object.fromEntries(others.map((b, v) => [`medianRatio ${names[v + 1]} / ${names[0]}`, ratios(a, b)])),
  };
}

/**
 * Memory of the roles holding the embedded engine, per variant in interleaved rounds (A, B, A, B …):
 * `llmp start` at its sustained rate and at twice it, and `llmp ingester` draining the same
 * topic (filled once through the gateway) with a consumer group of its own per round.
 */
export async function embeddedMemoryScenario({ seconds, rounds }: { seconds: number; rounds: number }) {
  if (process.env.JE_MALLOC_CONF !== undefined)
    throw new Error('unset JE_MALLOC_CONF: it overrides every variant');
  const list = variants();
  const names = list.map((v) => v.name);
  const roles = (process.env.BENCH_ROLES ?? 'all-in-one,ingester').split(',');
  const results: Array<Record<string, unknown>> = [];
  if (roles.includes('all-in-one')) {
    const aio: Figures[][] = list.map(() => []);
    for (let i = 0; i < rounds; i++) {
      for (const [v, variant] of list.entries()) aio[v]!.push(await allInOneRound(variant.config, seconds));
    }
    results.push(
      summary(
        'embedded-memory all-in-one',
        `llmp start; llmp loadgen -p grpc -c 32 -t 20 -d ${seconds}, then twice that rate (-c 64); ${rounds} interleaved rounds`,
        names,
        aio,
      ),
    );
  }
  if (!roles.includes('ingester')) return results;

  const broker = await kafkaBroker();
  if (!broker) return [...results, { scenario: 'embedded-memory ingester', skipped: 'no Kafka broker' }];
  const dir = tempDir('bench-mem-ing');
  const topic = `bench_mem_${Date.now()}`;
  const kafkaConfig = { brokers: broker.brokers.join(','), topicPartitions: 4 };
  const kafka = new Kafka({ clientId: 'llmp-bench', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  try {
    const gateway = await startLlmp({
      dataDir: `${dir.path}/gateway`,
      command: 'gateway',
      extraYaml: stringify({ kafka: kafkaConfig, exporters: { kafka: { topic } } }),
    });
    let spans = 0;
    try {
      const fill = await benchLoad(`http://127.0.0.1:${gateway.grpcPort}`, {
        rate: 0,
        concurrency: 32,
        durationMs: seconds * 1000,
      });
      spans = fill.acknowledgedSpans;
    } finally {
      await gateway.stop('SIGTERM');
    }
    const ingest: Figures[][] = list.map(() => []);
    for (let i = 0; i < rounds; i++) {
      for (const [v, variant] of list.entries()) {
        const groupId = `bench-mem-${Date.now()}-${v}`;
        const ingester = await startLlmp({
          dataDir: `${dir.path}/ingester-${i}-${v}`,
          command: 'ingester',
          extraYaml: stringify(
            merged({ kafka: kafkaConfig, receivers: { kafka: { topic, groupId } } }, variant.config),
          ),
        });
        const pid = ingester.child.pid!;
        try {
          const t0 = performance.now();
          const cpu0 = cpuSeconds(pid);
          const drained = await samplePeakRss(pid, () => drain(kafka, topic, groupId, ingester));
          const elapsed = (performance.now() - t0) / 1000;
          ingest[v]!.push({
            spansPerSecond: Math.round(spans / elapsed),
            cpuSecondsPerMillionSpans: Math.round(((cpuSeconds(pid) - cpu0) / (spans / 1e6)) * 10) / 10,
            peakRssMiB: drained.peakMiB,
          });
        } finally {
          await ingester.stop('SIGTERM');
        }
      }
    }
    results.push(
      summary(
        'embedded-memory ingester',
        `llmp ingester draining ${spans} spans written by llmp gateway in ${seconds} s; ${rounds} interleaved rounds`,
        names,
        ingest,
      ),
    );
    return results;
  } finally {
    await broker.stop();
    dir.remove();
  }
}
