import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { cpuSeconds, peakRssMiB } from './processStats.ts';
import { median } from './quantiles.ts';
import { runTelemetrygen } from './telemetrygen.ts';

/**
 * telemetrygen-all-in-one (only when named): `llmp start` under telemetrygen's small spans,
 * `workers` senders over OTLP/gRPC, each answered once its spans are stored; spans/s and
 * CPU-seconds per million spans of the llmp process, median over `rounds` fresh processes.
 */
export async function telemetrygenAllInOneScenario({
  spans,
  workers,
  rounds,
}: {
  spans: number;
  workers: number;
  rounds: number;
}) {
  const runs: Array<{ spansPerSecond: number; cpuSecondsPerMillionSpans: number; peakRssMiB: number }> = [];
  for (let round = 0; round < rounds; round++) {
    const dir = tempDir('bench-tgen-aio');
    const llmp = await startLlmp({ dataDir: `${dir.path}/data` });
    const pid = llmp.child.pid!;
    try {
      const cpu0 = cpuSeconds(pid);
      const sent = await runTelemetrygen({ endpoint: `127.0.0.1:${llmp.grpcPort}`, spans, workers });
      const cpu = cpuSeconds(pid) - cpu0;
      runs.push({
        spansPerSecond: Math.round(sent.spans / sent.seconds),
        cpuSecondsPerMillionSpans: Math.round((cpu / (sent.spans / 1e6)) * 10) / 10,
        peakRssMiB: peakRssMiB(pid),
      });
    } finally {
      await llmp.stop();
      dir.remove();
    }
  }
  return {
    scenario: 'telemetrygen-all-in-one',
    command: `llmp start; telemetrygen traces --workers ${workers} (${spans} spans), ${rounds} rounds`,
    spansPerSecond: median(runs.map((r) => r.spansPerSecond)),
    cpuSecondsPerMillionSpans: median(runs.map((r) => r.cpuSecondsPerMillionSpans)),
    peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
    runs,
  };
}
