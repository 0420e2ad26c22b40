import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { acceptedSpans } from './acceptedSpans.ts';
import { cpuSeconds, peakRssMiB, profiledEnv } from './processStats.ts';
import { median } from './quantiles.ts';
import { runTelemetrygenSenders } from './telemetrygenSenders.ts';

interface Run {
  variant: string;
  acceptedSpans: number;
  spansPerSecond: number;
  cpuSecondsPerMillionSpans: number;
  peakRssMiB: number;
  loadAverage: number;
}

async function run(
  variant: string,
  root: string | undefined,
  extraYaml: string,
  load: { senders: number; rate: number; seconds: number; batchSize: number; workersPerSender: number },
): Promise<Run> {
  const dir = tempDir('bench-tgen-aio');
  const llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    env: profiledEnv(`all-in-one-${variant}`),
    extraYaml,
    ...(root ? { root } : {}),
  });
  const pid = llmp.child.pid!;
  try {
    const before = await acceptedSpans(llmp.apiPort);
    const cpu0 = cpuSeconds(pid);
    const sent = await runTelemetrygenSenders({ endpoint: `127.0.0.1:${llmp.grpcPort}`, ...load });
    const cpu = cpuSeconds(pid) - cpu0;
    const accepted = (await acceptedSpans(llmp.apiPort)) - before;
    return {
      variant,
      acceptedSpans: accepted,
      spansPerSecond: Math.round(accepted / sent.seconds),
      cpuSecondsPerMillionSpans: Math.round((cpu / (accepted / 1e6)) * 10) / 10,
      peakRssMiB: peakRssMiB(pid),
      loadAverage: Math.round((await import('node:os')).loadavg()[0]! * 10) / 10,
    };
  } finally {
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}

/**
 * telemetrygen-all-in-one (only when named): `llmp start` under telemetrygen's small spans from
 * `senders` telemetrygen processes (one request in flight each) offering `rate` spans/s per worker for
 * `seconds`; spans/s the receiver accepted (a request is answered once its spans are stored) and
 * CPU-seconds per million of them, median over `rounds` fresh processes. With `baselineRoot` (a
 * checkout with its node_modules) every round runs that checkout first, then this one (A B A B).
 */
export async function telemetrygenAllInOneScenario({
  senders,
  rate,
  seconds,
  batchSize,
  workersPerSender = 4,
  rounds,
  baselineRoot,
  extraYaml = {},
}: {
  senders: number;
  rate: number;
  seconds: number;
  batchSize: number;
  /**
   * Generating goroutines per telemetrygen process (`--workers`), each paced at `rate`; a process
   * still has one request in flight. telemetrygen waits for its rate limiter (burst 1) before
   * every span, and a wait under 1 ms takes Go ~0.5–1 ms, so one worker at `--rate` 2 000 or
   * 12 500 makes ~1 600–1 750 spans/s: with one, 4 senders offer ~7 k spans/s, the rate every
   * receiver measured, the Collector too (docs/benchmarks.md, "Where an all-in-one round trip goes").
   */
  workersPerSender?: number;
  rounds: number;
  baselineRoot?: string | undefined;
  /** Config appended to this checkout's and the baseline's `llmp start` (e.g. to compare a setting). */
  extraYaml?: { this?: string | undefined; baseline?: string | undefined };
}) {
  const load = { senders, rate, seconds, batchSize, workersPerSender };
  const runs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    if (baselineRoot || extraYaml.baseline !== undefined)
      runs.push(await run('baseline', baselineRoot, extraYaml.baseline ?? '', load));
    runs.push(await run('this', undefined, extraYaml.this ?? '', load));
  }
  const medians = (variant: string) => {
    const mine = runs.filter((r) => r.variant === variant);
    return {
      spansPerSecond: Math.round(median(mine.map((r) => r.spansPerSecond))),
      cpuSecondsPerMillionSpans: Math.round(median(mine.map((r) => r.cpuSecondsPerMillionSpans)) * 10) / 10,
      peakRssMiB: median(mine.map((r) => r.peakRssMiB)),
    };
  };
  return {
    scenario: 'telemetrygen-all-in-one',
    command: `llmp start; ${senders} × telemetrygen traces --workers ${workersPerSender} --rate ${rate} --duration ${seconds}s --batch-size ${batchSize}, ${rounds} rounds${baselineRoot || extraYaml.baseline !== undefined ? ', interleaved with the baseline (A B A B)' : ''}`,
    ...medians('this'),
    ...(extraYaml.this ? { yaml: extraYaml.this } : {}),
    ...(baselineRoot || extraYaml.baseline !== undefined
      ? { baseline: { root: baselineRoot, yaml: extraYaml.baseline, ...medians('baseline') } }
      : {}),
    runs,
  };
}
