// Wall time and CPU of one INSERT of `llmp start`'s size (2 048 telemetrygen-sized spans, after
// the genai processor) under INSERT settings (issue 21 item 2, branch `aioparts`). Each variant
// gets a fresh embedded store (migrated, packed skip indexes as the exporter sets them, merges
// stopped: merges are not the INSERT's), 3 warm-up INSERTs, then `INSERTS` INSERTs; variants
// interleaved `ROUNDS` times. Prints per variant and round the median and mean wall ms, the
// process's CPU ms (user + system; engine threads included) per INSERT, and the thread CPU of
// the engine (`ThreadPool` + `libuv-worker`) against the INSERT's wall (> 1 core means the INSERT ran in parallel).
// VARIANTS='{"name":{"setting":value}, …}' ROUNDS=3 INSERTS=40 SIZE=2048 node bench/probes/insertSettings.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { insertRowBinary, migrate, openStore, spanRowBinary, spanRowBinaryColumns } from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { median } from '../src/quantiles.ts';
import { smallSpanBatches } from '../src/smallSpanBatches.ts';
import { threadCpu } from '../src/threadCpu.ts';

const size = Number(process.env.SIZE ?? 2048);
const inserts = Number(process.env.INSERTS ?? 40);
const rounds = Number(process.env.ROUNDS ?? 3);
// What a setting is when a variant does not name it (the engine's default).
const defaults: Record<string, number | string> = JSON.parse(
  process.env.DEFAULTS ?? '{"parallel_view_processing":0,"max_threads":2,"max_insert_threads":0}',
);
const variants: Record<string, Record<string, number | string>> = JSON.parse(
  process.env.VARIANTS ?? '{"exporter":{},"parallel views":{"parallel_view_processing":1}}',
);

// Requests of 512 spans, four to an INSERT, as the batch processor hands them to the exporter.
const batches = await smallSpanBatches((inserts + 3) * Object.keys(variants).length * size, 512);
const bodies: Uint8Array[] = [];
for (let i = 0; i + size / 512 <= batches.length; i += size / 512) {
  // RowBinary is rows end to end: four requests' payloads make one INSERT's.
  const parts = batches
    .slice(i, i + size / 512)
    .map((b) => spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s)).bytes);
  bodies.push(Buffer.concat(parts));
}

const engineCpu = () => {
  const t = threadCpu();
  return (t.get('ThreadPool') ?? 0) + (t.get('libuv-worker') ?? 0);
};
/** Idle CPU seconds of the whole machine so far (/proc/stat: idle + iowait, in 1/100 s). */
const machineIdle = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/);
  return (Number(f[4]) + Number(f[5])) / 100;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const names = Object.keys(variants);
for (let round = 0; round < rounds; round++) {
  const dir = tempDir('probe-insert-settings');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    await migrate(store);
    for (const table of ['spans', 'trace_search', 'trace_jobs', 'genai_scores'])
      await store.client.command({
        query: `ALTER TABLE llmp.${table} MODIFY SETTING packed_skip_index_max_bytes = 262144`,
      });
    await store.client.command({ query: 'SYSTEM STOP MERGES' });
    const wall = new Map(names.map((n) => [n, [] as number[]]));
    const cpu = new Map(names.map((n) => [n, [] as number[]]));
    const engine = new Map(names.map((n) => [n, 0]));
    const idle = new Map(names.map((n) => [n, 0]));
    for (let i = 0; i < bodies.length; i++) {
      // One store, the variants taking turns INSERT by INSERT: the file system's state (the
      // kernel's share of creating a part's files) is the same for each.
      const name = names[i % names.length]!;
      const e0 = engineCpu();
      const i0 = machineIdle();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await insertRowBinary(store, {
        table: 'llmp.spans',
        columns: spanRowBinaryColumns,
        bytes: bodies[i]!,
        settings: {
          deduplicate_blocks_in_dependent_materialized_views: 1,
          insert_deduplication_token: `probe-${round}-${i}`,
          optimize_on_insert: 0,
          ...Object.fromEntries(
            // Settings outlive the call on the embedded store: every variant sets each one.
            names
              .flatMap((n) => Object.keys(variants[n]!))
              .map((k) => [k, variants[name]![k] ?? defaults[k]!]),
          ),
        },
      });
      const t = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i >= 3 * names.length) {
        wall.get(name)!.push(t);
        cpu.get(name)!.push((c.user + c.system) / 1000);
        engine.set(name, engine.get(name)! + engineCpu() - e0);
        idle.set(name, idle.get(name)! + machineIdle() - i0);
      }
    }
    const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
    for (const name of names) {
      const w = wall.get(name)!;
      const c = cpu.get(name)!;
      console.log(
        JSON.stringify({
          variant: name,
          round,
          load: round1(loadavg()[0]!),
          spansPerInsert: size,
          inserts: w.length,
          wallMsP50: round1(median(w)),
          wallMsMean: round1(sum(w) / w.length),
          cpuMsP50: round1(median(c)),
          cpuMsMean: round1(sum(c) / c.length),
          engineCoresDuringInserts: Math.round((engine.get(name)! / (sum(w) / 1000)) * 100) / 100,
          // Cores the machine left idle while this variant's INSERTs ran (what parallelism can take).
          idleCoresDuringInserts: Math.round((idle.get(name)! / (sum(w) / 1000)) * 100) / 100,
        }),
      );
    }
  } finally {
    await store.close();
    dir.remove();
  }
}
