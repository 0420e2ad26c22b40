// Wall time and CPU of one INSERT of `llmp start`'s size (2 048 telemetrygen-sized spans, after
// the genai processor) under INSERT settings (issue 21 item 2, branch `aioparts`). Each variant
// gets a fresh embedded store (migrated, packed skip indexes as the exporter sets them, merges
// stopped: merges are not the INSERT's), 3 warm-up INSERTs, then `INSERTS` INSERTs; variants
// interleaved `ROUNDS` times. Prints per variant and round the median and mean wall ms, the
// process's CPU ms (user + system; engine threads included) per INSERT, and the thread CPU of
// the engine (`ThreadPool` + `libuv-worker`) against the INSERT's wall (> 1 core means the INSERT ran in parallel).
// A setting named `table.<name>` is a MergeTree setting of the tables an INSERT into spans writes a
// part of (spans and its views' targets, branch `partcost`): each variant inserts into its own
// database of the same store (migrated, then ALTER TABLE … MODIFY SETTING with the variant's value,
// else DEFAULTS', else the table's own), so table settings take turns INSERT by INSERT in one
// store as query settings do. (An ALTER before each INSERT would rewrite files of every part.)
// With EVENTS=1 it also prints each variant's median delta of the engine's counters per INSERT
// (`system.events`: user and system CPU of the query's threads, files opened, parts written, …).
// VARIANTS='{"name":{"setting":value}, …}' ROUNDS=3 INSERTS=40 SIZE=2048 node bench/probes/insertSettings.ts
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import {
  insertRowBinary,
  migrate,
  migrations,
  openStore,
  spanRowBinary,
  spanRowBinaryColumns,
} from '@llmp/clickhouse';
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
const insertPathTables = ['spans', 'trace_search', 'trace_job_usage', 'span_metrics_hourly'];
const tableKeys = [...new Set(names.flatMap((n) => Object.keys(variants[n]!)))].filter((k) =>
  k.startsWith('table.'),
);
const events = process.env.EVENTS === '1';
/** The engine's counters so far (`system.events`). */
async function engineEvents(store: Awaited<ReturnType<typeof openStore>>): Promise<Map<string, number>> {
  const result = await store.client.query({
    query: 'SELECT event, value FROM system.events',
    format: 'JSONEachRow',
  });
  return new Map(
    (await result.json<{ event: string; value: string }>()).map((e) => [e.event, Number(e.value)]),
  );
}
/** Gives each variant its own database, migrated, with the variant's table settings on the insert path's tables. */
async function variantDatabases(store: Awaited<ReturnType<typeof openStore>>): Promise<Map<string, string>> {
  const databases = new Map<string, string>();
  for (const [index, name] of names.entries()) {
    const database = index === 0 ? store.database : `${store.database}_variant${index}`;
    // The schema before migration 31: the views hang on spans, whose targets' table settings are
    // among what the variants set per INSERT.
    await migrate(
      { ...store, database },
      migrations.filter((m) => m.version < 31),
    );
    for (const table of ['spans', 'trace_search', 'trace_jobs', 'genai_scores'])
      await store.client.command({
        query: `ALTER TABLE ${database}.${table} MODIFY SETTING packed_skip_index_max_bytes = 262144`,
      });
    for (const key of tableKeys) {
      const value = variants[name]![key] ?? defaults[key];
      if (value === undefined) continue;
      const setting = key.slice('table.'.length);
      if (!/^[a-z_0-9]+$/.test(setting)) throw new TypeError(`"${setting}" is not a setting name`);
      const literal = typeof value === 'number' ? value : `'${value.replaceAll("'", "''")}'`;
      for (const table of insertPathTables)
        await store.client.command({
          query: `ALTER TABLE ${database}.${table} MODIFY SETTING ${setting} = ${literal}`,
        });
    }
    databases.set(name, database);
  }
  return databases;
}
for (let round = 0; round < rounds; round++) {
  const dir = tempDir('probe-insert-settings');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    const databases = await variantDatabases(store);
    await store.client.command({ query: 'SYSTEM STOP MERGES' });
    const wall = new Map(names.map((n) => [n, [] as number[]]));
    const cpu = new Map(names.map((n) => [n, [] as number[]]));
    const engine = new Map(names.map((n) => [n, 0]));
    const idle = new Map(names.map((n) => [n, 0]));
    const counters = new Map(names.map((n) => [n, [] as Map<string, number>[]]));
    for (let i = 0; i < bodies.length; i++) {
      // One store, the variants taking turns INSERT by INSERT: the file system's state (the
      // kernel's share of creating a part's files) is the same for each.
      const name = names[i % names.length]!;
      const before = events ? await engineEvents(store) : undefined;
      const e0 = engineCpu();
      const i0 = machineIdle();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await insertRowBinary(store, {
        table: `${databases.get(name)!}.spans`,
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
              .filter((k) => !k.startsWith('table.'))
              .map((k) => [k, variants[name]![k] ?? defaults[k]!]),
          ),
        },
      });
      const t = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const e1 = engineCpu();
      const i1 = machineIdle();
      if (before && i >= 3 * names.length) {
        const after = await engineEvents(store);
        counters.get(name)!.push(new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)])));
      }
      if (i >= 3 * names.length) {
        wall.get(name)!.push(t);
        cpu.get(name)!.push((c.user + c.system) / 1000);
        engine.set(name, engine.get(name)! + e1 - e0);
        idle.set(name, idle.get(name)! + i1 - i0);
      }
    }
    const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
    /** Median per INSERT of each counter that moved (user and system CPU in ms, the rest as counted). */
    const eventMedians = (deltas: Map<string, number>[]) => {
      const keys = [...new Set(deltas.flatMap((d) => [...d].filter(([, v]) => v !== 0).map(([k]) => k)))];
      const wanted =
        /^(FileOpen|InsertedCompactParts|InsertedWideParts|UserTimeMicroseconds|SystemTimeMicroseconds|CompileExpressionsMicroseconds|DuplicationElapsedMicroseconds|WriteBufferFromFileDescriptorWrite|MergeTreeDataWriter.*|SoftPageFaults|IOBufferAlloc.*|MemoryAllocatedWithoutCheckBytes|.*Statistics.*|.*Sparse.*|.*Mark.*|.*Compress.*)$/;
      return Object.fromEntries(
        keys
          .filter((k) => wanted.test(k))
          .sort()
          .map((k) => [
            k,
            round1(median(deltas.map((d) => d.get(k) ?? 0)) / (k.endsWith('Microseconds') ? 1000 : 1)),
          ]),
      );
    };
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
          ...(events ? { events: eventMedians(counters.get(name)!) } : {}),
        }),
      );
    }
  } finally {
    await store.close();
    dir.remove();
  }
}
