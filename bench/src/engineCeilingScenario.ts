import { loadavg } from 'node:os';
import { insertRowBinary, migrate, openStore, spanRowBinary, spanRowBinaryColumns } from '@llmp/clickhouse';
import { genAiOf, mergeMeta, type TraceBatch, traceBatch } from '@llmp/otlp';
import { tempDir } from '../../test/support/tempDir.ts';
import { realisticBatches } from './insertFormats.ts';
import { smallSpanBatches } from './smallSpanBatches.ts';

/** RowBinary payloads of `size` spans each, cut from `batches` in order; spans left over are dropped. */
function payloads(batches: TraceBatch[], size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let taken: TraceBatch[] = [];
  let count = 0;
  for (const batch of batches) {
    taken.push(batch);
    count += batch.spanCount;
    if (count < size) continue;
    const joined = traceBatch({
      projectId: 'default',
      request: { resourceSpans: taken.flatMap((b) => b.request().resourceSpans) },
      meta: mergeMeta(taken.map((b) => b.meta)),
    });
    out.push(spanRowBinary('default', joined.request(), (s) => genAiOf(joined, s)).bytes);
    taken = [];
    count = 0;
  }
  return out;
}

/**
 * engine-ceiling (only when named): what the embedded engine alone takes, every Node-side cost
 * gone: RowBinary payloads built before the clock starts are inserted back to back into a fresh
 * `spans` (its five views, merges running, the exporter's settings, a token per insert) for
 * `seconds`; spans/s and CPU-s per million spans of the whole process (engine threads, merges).
 * Shapes: loadgen's LLM spans in inserts of 11 000 (the ingester's mean insert), telemetrygen-like
 * small spans in inserts of 2 048 and 8 192. The payloads cycle (8 distinct per shape and size):
 * later copies are duplicates that merges collapse, so merges write less than for fresh spans.
 */
export async function engineCeilingScenario({
  seconds,
  only,
  serverSettings = {},
}: {
  seconds: number;
  /** Cases to run, e.g. ['small:2048'] (default: all). */
  only?: string[] | undefined;
  /** Engine server settings (clickhouse.embedded.serverSettings), to compare one. */
  serverSettings?: Record<string, string | number>;
}) {
  const cases = (
    [
      { shape: 'llm', size: 11_000 },
      { shape: 'small', size: 2_048 },
      { shape: 'small', size: 8_192 },
    ] as const
  ).filter(({ shape, size }) => !only || only.includes(`${shape}:${size}`));
  const out = [];
  for (const { shape, size } of cases) {
    const batches =
      shape === 'llm' ? await realisticBatches(size * 8) : await smallSpanBatches(size * 8, 512);
    const bodies = payloads(batches, size);
    const dir = tempDir('bench-ceiling');
    const store = await openStore({ dataDir: `${dir.path}/data`, embedded: { serverSettings } });
    try {
      await migrate(store);
      let inserts = 0;
      const insert = () =>
        insertRowBinary(store, {
          table: 'llmp.spans',
          // Then spans_derive, as the exporter derives each payload at deriveInterval 0 (migration 31).
          thenInto: ['llmp.spans_derive'],
          columns: spanRowBinaryColumns,
          bytes: bodies[inserts % bodies.length]!,
          settings: {
            deduplicate_blocks_in_dependent_materialized_views: 1,
            insert_deduplication_token: `ceiling-${inserts++}`,
            optimize_on_insert: 0,
          },
        });
      await insert();
      inserts = 0;
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) await insert();
      const wall = (performance.now() - started) / 1000;
      const { user, system } = process.cpuUsage(cpu0);
      const spans = inserts * size;
      out.push({
        scenario: 'engine-ceiling',
        shape,
        spansPerInsert: size,
        ...(Object.keys(serverSettings).length > 0 ? { serverSettings } : {}),
        inserts,
        spansPerSecond: Math.round(spans / wall),
        cpuSecondsPerMillionSpans: Math.round(((user + system) / 1e6 / (spans / 1e6)) * 10) / 10,
        cpuMsPerInsert: Math.round((user + system) / 1000 / inserts),
        loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      });
    } finally {
      await store.close();
      dir.remove();
    }
  }
  return out;
}
