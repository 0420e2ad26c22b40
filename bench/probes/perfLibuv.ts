// perf record of `llmp start` under telemetrygen, to see what its libuv-worker threads run.
import { spawn } from 'node:child_process';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { runTelemetrygenSenders } from '../src/telemetrygenSenders.ts';

const dir = tempDir('perf');
const llmp = await startLlmp({
  dataDir: `${dir.path}/data`,
  root: process.env.ROOT ?? new URL('../..', import.meta.url).pathname.replace(/\/$/, ''),
});
const pid = llmp.child.pid!;
const perf = spawn(
  'perf',
  [
    'record',
    '-F',
    '499',
    '-g',
    '-p',
    String(pid),
    '-o',
    process.env.OUT ?? '/tmp/ingnode/perf.data',
    '--',
    'sleep',
    '9',
  ],
  { stdio: 'inherit' },
);
const perfDone = new Promise((resolve) => perf.on('exit', resolve));
await runTelemetrygenSenders({
  endpoint: `127.0.0.1:${llmp.grpcPort}`,
  senders: 4,
  rate: 12500,
  seconds: 10,
  batchSize: 512,
});
await perfDone;
await llmp.stop('SIGTERM');
dir.remove();
