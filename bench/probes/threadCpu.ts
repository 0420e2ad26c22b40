import { loadavg } from 'node:os';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { acceptedSpans } from '../src/acceptedSpans.ts';
import { runTelemetrygenSenders } from '../src/telemetrygenSenders.ts';
import { threadCpu } from '../src/threadCpu.ts';

const roots = (
  process.env.ROOTS ?? `/work/main,${new URL('../..', import.meta.url).pathname.replace(/\/$/, '')}`
).split(',');
const out: unknown[] = [];
for (let round = 0; round < Number(process.env.ROUNDS ?? 1); round++) {
  for (const root of roots) {
    const dir = tempDir('thr');
    const env: Record<string, string> = process.env.PROF
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROF}/${root.split('/').at(-1)}` }
      : {};
    const llmp = await startLlmp({ dataDir: `${dir.path}/data`, root, env });
    const pid = llmp.child.pid!;
    const a = threadCpu(pid);
    const n0 = await acceptedSpans(llmp.apiPort);
    await runTelemetrygenSenders({
      endpoint: `127.0.0.1:${llmp.grpcPort}`,
      senders: 4,
      rate: 12500,
      seconds: Number(process.env.SECONDS ?? 10),
      batchSize: 512,
    });
    const b = threadCpu(pid);
    const spans = (await acceptedSpans(llmp.apiPort)) - n0;
    const rows = Object.fromEntries(
      [...b]
        .map(([k, v]) => [k, +(v - (a.get(k) ?? 0)).toFixed(2)] as const)
        .filter(([, v]) => v > 0.02)
        .sort((x, y) => y[1] - x[1]),
    );
    const total = Object.values(rows).reduce((s, v) => s + v, 0);
    const r = {
      root,
      spans,
      total: +total.toFixed(2),
      mainUsPerSpan: +(((rows.MainThread ?? 0) / spans) * 1e6).toFixed(2),
      nodeUsPerSpan: +(
        (((rows.MainThread ?? 0) + (rows['libuv-worker'] ?? 0) + (rows.V8Worker ?? 0)) / spans) *
        1e6
      ).toFixed(2),
      cpuSPerM: +((total / spans) * 1e6).toFixed(1),
      load: +loadavg()[0]!.toFixed(1),
      rows,
    };
    console.log(JSON.stringify(r));
    out.push(r);
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}
