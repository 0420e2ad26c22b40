import { insertRowBinary, migrate, openStore, spanRowBinary, spanRowBinaryColumns } from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { realisticBatches } from './insertFormats.ts';
import { median } from './quantiles.ts';

// `pnpm bench insert-costs`: where the embedded engine's CPU goes in a spans INSERT. The same
// RowBinary payload goes into copies of the spans table, each without one part of the work, and
// into spans itself at several batch sizes. Merges are stopped: they are background work, not
// the INSERT's (their share is in docs/benchmarks.md, "Insert CPU").
const indexes = [
  'idx_trace_id',
  'idx_job_id',
  'idx_span_attr_key',
  'idx_span_attr_value',
  'idx_duration',
  'idx_session_id',
  'idx_user_id',
];

/** Copies of llmp.spans (without its materialized views), each named after what it changes. */
const copies: Array<[name: string, ddl: string[]]> = [
  ['no_views', ['CREATE TABLE llmp.no_views AS llmp.spans']],
  // As spans was before migration 7: an insert above 10 MiB became a wide part.
  [
    'wide_parts',
    [
      'CREATE TABLE llmp.wide_parts AS llmp.spans',
      'ALTER TABLE llmp.wide_parts MODIFY SETTING min_bytes_for_wide_part = 10485760',
    ],
  ],
  // no_views with the granules spans had before migration 8 (8 192 rows instead of 1 024).
  [
    'granules_8192',
    [
      `CREATE TABLE llmp.granules_8192 AS llmp.spans ENGINE = ReplacingMergeTree PARTITION BY toDate(Timestamp)
      ORDER BY (project_id, ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId)
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, min_bytes_for_wide_part = 268435456, non_replicated_deduplication_window = 10000`,
    ],
  ],
  [
    'no_skip_indexes',
    [
      'CREATE TABLE llmp.no_skip_indexes AS llmp.spans',
      ...indexes.map((i) => `ALTER TABLE llmp.no_skip_indexes DROP INDEX ${i}`),
    ],
  ],
  [
    'lz4_texts',
    [
      'CREATE TABLE llmp.lz4_texts AS llmp.no_skip_indexes',
      ...['SpanAttributes', 'gen_ai_input_text', 'gen_ai_output_text'].map(
        (c) => `ALTER TABLE llmp.lz4_texts MODIFY COLUMN ${c} CODEC(LZ4)`,
      ),
    ],
  ],
  // Parsing only: the Null engine drops what it is given.
  ['parse_only', ['CREATE TABLE llmp.parse_only AS llmp.spans ENGINE = Null']],
];

interface Variant {
  name: string;
  table: string;
  rows: number;
  /** As the exporter inserts (0), or as it did before (1). */
  optimizeOnInsert: 0 | 1;
}

/** CPU microseconds per row (all threads of this process) of one INSERT of each variant. */
export async function insertCostsScenario({ rows = 10_000, rounds = 5, sizes = [2_000, 20_000] } = {}) {
  const dir = tempDir('bench-costs');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    await migrate(store);
    for (const [, ddl] of copies) for (const query of ddl) await store.client.command({ query });
    await store.client.command({ query: 'SYSTEM STOP MERGES' });
    const variants: Variant[] = [
      { name: 'spans', table: 'spans', rows, optimizeOnInsert: 0 },
      { name: 'spans, optimize_on_insert = 1', table: 'spans', rows, optimizeOnInsert: 1 },
      ...copies.map(([name]): Variant => ({ name, table: name, rows, optimizeOnInsert: 0 })),
      ...sizes.map(
        (n): Variant => ({ name: `spans, ${n} rows`, table: 'spans', rows: n, optimizeOnInsert: 0 }),
      ),
    ];
    const batches = await realisticBatches(Math.max(rows, ...sizes));
    const payloads = new Map<number, { bytes: Buffer; count: number }>();
    for (const n of new Set(variants.map((v) => v.rows))) {
      const taken = [];
      let count = 0;
      for (const batch of batches) {
        if (count >= n) break;
        taken.push(batch);
        count += batch.spanCount;
      }
      const bytes = Buffer.concat(
        taken.map((b) => spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s)).bytes),
      );
      payloads.set(n, { bytes, count });
    }
    const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    let token = 0;
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const { bytes, count } = payloads.get(variant.rows)!;
        if (variant.table !== 'parse_only')
          await store.client.command({ query: `TRUNCATE TABLE llmp.${variant.table}` });
        const before = process.cpuUsage();
        await insertRowBinary(store, {
          table: `llmp.${variant.table}`,
          // Since migration 31 the views read spans_derive: an INSERT into spans derives through it
          // as the exporter does, so the engine work is the same as before 31 (views included).
          thenInto: variant.table === 'spans' ? ['llmp.spans_derive'] : [],
          columns: spanRowBinaryColumns,
          bytes,
          // Every setting every time: on the embedded store a setting outlives its call.
          settings: {
            insert_deduplication_token: `costs-${token++}`,
            optimize_on_insert: variant.optimizeOnInsert,
          },
        });
        const { user, system } = process.cpuUsage(before);
        samples.get(variant.name)!.push((user + system) / count);
      }
    }
    return variants.map((variant) => ({
      variant: variant.name,
      rows: payloads.get(variant.rows)!.count,
      cpuMicrosecondsPerRow: Math.round(median(samples.get(variant.name)!) * 10) / 10,
    }));
  } finally {
    await store.close();
    dir.remove();
  }
}
