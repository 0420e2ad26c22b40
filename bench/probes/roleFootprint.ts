// Idle memory of each llmp role after start, and the module graph it loaded (issue 21, item 1 RSS).
// ROOTS=<checkout>,<checkout> (default /work/main and this one) ROLES=gateway,ingester,query,start
// ROUNDS=3 IDLE_SECONDS=5 [MODULES=1: also list the loaded packages, through test/support/moduleList.mjs]
// [NODE_OPTIONS_ROLE='--max-semi-space-size=8'] [COMPILE_CACHE=1: each role with Node's compile
// cache, as cmd/llmp/bin/llmp.js runs it, warmed by one start before the rounds].
// KAFKA_BROKERS, else a broker from the Maven jars.
// Run under the bench lock: flock /work/wt/brief/bench.lock node --experimental-strip-types bench/probes/roleFootprint.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaBroker } from '../../test/support/kafkaBroker.ts';
import { type StartOptions, startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { rssMiB } from '../src/processStats.ts';

const here = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const roots = (process.env.ROOTS ?? `/work/main,${here}`).split(',');
const roles = (process.env.ROLES ?? 'gateway,ingester,query,start').split(',') as Array<
  NonNullable<StartOptions['command']>
>;
const rounds = Number(process.env.ROUNDS ?? 3);
const idleMs = Number(process.env.IDLE_SECONDS ?? 5) * 1000;
const withModules = process.env.MODULES === '1';
const kafka = await kafkaBroker();
const brokers = kafka?.brokers.join(',');

const cacheDir = process.env.COMPILE_CACHE === '1' ? tempDir('compile-cache') : undefined;

/** Starts a role of a checkout the way the probe measures it. */
async function start(
  role: (typeof roles)[number],
  root: string,
  dataDir: string,
  env: Record<string, string>,
) {
  return startLlmp({
    dataDir,
    root,
    command: role,
    extraYaml: role === 'gateway' || role === 'ingester' ? `kafka:\n  brokers: "${brokers}"` : '',
    env: {
      ...env,
      ...(cacheDir ? { NODE_COMPILE_CACHE: join(cacheDir.path, root.replaceAll('/', '_')) } : {}),
    },
  });
}

if (cacheDir) {
  for (const role of roles) {
    for (const root of roots) {
      const dir = tempDir('footprint-warm');
      await (await start(role, root, join(dir.path, 'data'), {})).stop('SIGTERM');
      dir.remove();
    }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rss: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const role of roles) {
    for (const root of roots) {
      const dir = tempDir('footprint');
      const listOut = join(dir.path, 'modules.json');
      const nodeOptions = [
        process.env.NODE_OPTIONS_ROLE ?? '',
        withModules ? `--import ${join(here, 'test/support/moduleList.mjs')}` : '',
      ].join(' ');
      const llmp = await start(role, root, join(dir.path, 'data'), {
        NODE_OPTIONS: nodeOptions,
        MODULE_LIST_OUT: listOut,
      });
      await sleep(idleMs);
      const pid = llmp.child.pid!;
      const mib = rssMiB(pid);
      const key = `${role} ${root}`;
      rss[key] = [...(rss[key] ?? []), mib];
      let modules: unknown;
      if (withModules) {
        process.kill(pid, 'SIGUSR2');
        await sleep(500);
        modules = JSON.parse(readFileSync(listOut, 'utf8'));
      }
      console.log(JSON.stringify({ role, root, rssMiB: mib, load: +loadavg()[0]!.toFixed(1), modules }));
      await llmp.stop('SIGTERM');
      dir.remove();
    }
  }
}
for (const [key, values] of Object.entries(rss)) {
  console.log(`${key}: idle RSS median ${median(values)} MiB (${values.join(', ')})`);
}
await kafka?.stop();
cacheDir?.remove();
