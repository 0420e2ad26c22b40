// Where a started `llmp gateway`'s resident memory is, idle and at its peak under load (issue 21,
// item 1 RSS): /proc/<pid>/smaps by kind of mapping (V8 heap and code, glibc's main [heap] arena,
// other anonymous memory: thread arenas, malloc'd chunks, WASM; the node binary and its libraries)
// beside V8's heap spaces (bench/probes/heapSpaces.mjs preloaded, read on SIGUSR2).
// ROOT=<checkout> (default this one) LOAD=loadgen|telemetrygen|none SECONDS=10 WORKERS=8 (4 for telemetrygen)
// NODE_OPTIONS_ROLE='--max-semi-space-size=8' (the gateway image's; set '' for V8's defaults)
// KAFKA_BROKERS, else a broker from the Maven jars.
// Run under the bench lock: flock /work/wt/brief/bench.lock node --experimental-strip-types bench/probes/gatewayMemory.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from '../src/benchLoad.ts';
import { cpuSeconds, rssMiB } from '../src/processStats.ts';
import { runTelemetrygen } from '../src/telemetrygen.ts';

const here = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const root = process.env.ROOT ?? here;
const load = process.env.LOAD ?? 'loadgen';
const seconds = Number(process.env.SECONDS ?? 10);
const workers = Number(process.env.WORKERS ?? (load === 'telemetrygen' ? 4 : 8));
const kafka = await kafkaBroker();
if (!kafka) throw new Error('no Kafka broker');
const dir = tempDir('gateway-memory');
const spacesOut = join(dir.path, 'spaces.json');

const mib = (kib: number) => Math.round(kib / 102.4) / 10;

/** Resident KiB of each mapping kind in /proc/<pid>/smaps. */
function smapsByKind(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const [, perms, path] = head;
      if (path === '[heap]') kind = 'glibc main arena [heap]';
      else if (path === '[stack]') kind = 'stack';
      else if (path!.endsWith('/bin/node'))
        kind = `node binary ${perms === 'r-xp' ? 'code' : perms === 'r--p' ? 'read-only data (ICU, snapshot)' : 'data'}`;
      else if (path!.startsWith('/')) kind = path!.includes('.so') ? 'shared libraries' : 'other files';
      else if (path) kind = path!;
      else kind = perms!.includes('x') ? 'anonymous rwx (V8 code, WASM)' : 'anonymous';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]);
  }
  return Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, mib(v)]));
}

/** V8's heap spaces as the process itself reports them. */
async function heapSpaces(pid: number) {
  process.kill(pid, 'SIGUSR2');
  await sleep(300);
  const { memory, spaces, code } = JSON.parse(readFileSync(spacesOut, 'utf8'));
  const m = (b: number) => Math.round(b / 104857.6) / 10;
  return {
    memory: Object.fromEntries(Object.entries(memory as Record<string, number>).map(([k, v]) => [k, m(v)])),
    spaces: Object.fromEntries(
      (spaces as Array<{ space_name: string; physical_space_size: number; space_used_size: number }>).map(
        (s) => [s.space_name, `${m(s.physical_space_size)} (used ${m(s.space_used_size)})`],
      ),
    ),
    code: Object.fromEntries(Object.entries(code as Record<string, number>).map(([k, v]) => [k, m(v)])),
  };
}

const gateway = await startLlmp({
  root,
  dataDir: join(dir.path, 'data'),
  command: 'gateway',
  extraYaml: `kafka:\n  brokers: "${kafka.brokers.join(',')}"\nexporters:\n  kafka:\n    topic: gwmem_${Date.now()}\n`,
  env: {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS_ROLE ?? '--max-semi-space-size=8'} --import ${join(here, 'bench/probes/heapSpaces.mjs')}`,
    HEAP_SPACES_OUT: spacesOut,
  },
});
const pid = gateway.child.pid!;
await sleep(5000);
console.log(
  JSON.stringify(
    {
      at: 'idle',
      load: loadavg()[0],
      rssMiB: rssMiB(pid),
      smaps: smapsByKind(pid),
      ...(await heapSpaces(pid)),
    },
    null,
    1,
  ),
);

if (load !== 'none') {
  let peak = { rss: 0, smaps: {} as Record<string, number> };
  const sampler = setInterval(() => {
    const rss = rssMiB(pid);
    if (rss > peak.rss) peak = { rss, smaps: smapsByKind(pid) };
  }, 100);
  // V8's own view once during the load (half-way), beside smaps at the sampled peak.
  const during = sleep((seconds * 1000) / 2).then(() => heapSpaces(pid));
  const cpu0 = cpuSeconds(pid);
  let spans: number | undefined;
  if (load === 'telemetrygen')
    await runTelemetrygen({ endpoint: `127.0.0.1:${gateway.grpcPort}`, workers, seconds, rate: 5000 });
  else
    spans = (
      await benchLoad(`http://127.0.0.1:${gateway.grpcPort}`, {
        rate: 0,
        concurrency: workers,
        durationMs: seconds * 1000,
      })
    ).acknowledgedSpans;
  const cpu = cpuSeconds(pid) - cpu0;
  clearInterval(sampler);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  console.log(
    JSON.stringify(
      {
        at: `peak under ${load}`,
        load: loadavg()[0],
        vmHWM: /VmHWM:\s+(\d+)/.exec(status)?.[1],
        cpuSeconds: cpu,
        ...(spans ? { spans, cpuSecondsPerMillionSpans: Math.round((cpu / spans) * 1e8) / 100 } : {}),
        sampledPeak: peak,
        during: await during,
        after: { rssMiB: rssMiB(pid), smaps: smapsByKind(pid), ...(await heapSpaces(pid)) },
      },
      null,
      1,
    ),
  );
}
await gateway.stop('SIGTERM');
dir.remove();
await kafka.stop();
