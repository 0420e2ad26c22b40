import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from './benchLoad.ts';
import { probeLatency } from './probeLatency.ts';
import { cpuSeconds, profiledEnv, samplePeakRss } from './processStats.ts';

/**
 * all-in-one: OTLP/gRPC → batch → embedded store, as fast as acknowledged; then the
 * ingest-to-queryable latency under half that load; then peak RSS at twice the sustained rate.
 */
export async function allInOneScenario({ seconds }: { seconds: number }) {
  const dir = tempDir('bench-aio');
  // BENCH_FSYNC=1 measures exporters.clickhouse.fsync (README, Durability).
  const fsync = process.env.BENCH_FSYNC === '1';
  const llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    env: profiledEnv('all-in-one'),
    extraYaml: fsync ? 'exporters:\n  clickhouse: { fsync: true }' : '',
  });
  const pid = llmp.child.pid!;
  try {
    const grpc = `http://127.0.0.1:${llmp.grpcPort}`;
    const cpu0 = cpuSeconds(pid);
    const sustained = await samplePeakRss(pid, () =>
      benchLoad(grpc, { rate: 0, concurrency: 32, durationMs: seconds * 1000 }),
    );
    const cpu = cpuSeconds(pid) - cpu0;
    const rate = sustained.result.spansPerSecond;

    const background = benchLoad(grpc, {
      rate: Math.round(rate / 2),
      concurrency: 16,
      durationMs: 12_000,
      seed: 2,
    });
    const latency = await probeLatency({
      otlpHttp: `http://127.0.0.1:${llmp.httpPort}`,
      api: `http://127.0.0.1:${llmp.apiPort}`,
      probes: 40,
    });
    await background;

    const doubled = await samplePeakRss(pid, () =>
      benchLoad(grpc, { rate: rate * 2, concurrency: 64, durationMs: seconds * 1000, seed: 3 }),
    );
    return {
      scenario: fsync ? 'all-in-one (exporters.clickhouse.fsync)' : 'all-in-one',
      command: `llmp start; llmp loadgen -p grpc -c 32 -t 20 -d ${seconds}`,
      spansPerSecond: rate,
      acknowledgedSpans: sustained.result.acknowledgedSpans,
      exportLatencyMs: sustained.result.latencyMs,
      cpuSecondsPerMillionSpans: Math.round((cpu / (sustained.result.acknowledgedSpans / 1e6)) * 10) / 10,
      ingestToQueryableMs: latency,
      peakRssMiB: sustained.peakMiB,
      atTwiceRate: {
        offered: rate * 2,
        acknowledgedPerSecond: doubled.result.spansPerSecond,
        refusedSpans: doubled.result.refusedSpans,
        retryableAnswers: doubled.result.retryableAnswers,
        peakRssMiB: doubled.peakMiB,
      },
    };
  } finally {
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}
