import { insertRowBinary, migrate, openStore, spanRowBinary, spanRowBinaryColumns } from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { realisticBatches } from './insertFormats.ts';
import { median } from './quantiles.ts';

// `pnpm bench insert-costs`: where the embedded engine's CPU goes in a spans INSERT. The same
// RowBinary payload goes into copies of the spans table, each without one part of the work.
const indexes = [
  'idx_trace_id',
  'idx_job_id',
  'idx_span_attr_key',
  'idx_span_attr_value',
  'idx_duration',
  'idx_session_id',
  'idx_user_id',
];

/** Copies of llmp.spans, each named after what it leaves out, and how to make them. */
const tables: Array<[name: string, ddl: string[]]> = [
  ['spans', []],
  ['no_views', ['CREATE TABLE llmp.no_views AS llmp.spans']],
  // no_views with the granules spans had before migration 7 (8 192 rows instead of 1 024).
  [
    'granules_8192',
    [
      `CREATE TABLE llmp.granules_8192 AS llmp.spans ENGINE = ReplacingMergeTree PARTITION BY toDate(Timestamp)
      ORDER BY (project_id, ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId)
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000`,
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

/** CPU microseconds per row (all threads of this process) of one INSERT into each table copy. */
export async function insertCostsScenario({ rows = 10_000, rounds = 5 } = {}) {
  const dir = tempDir('bench-costs');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    await migrate(store);
    for (const [, ddl] of tables) for (const query of ddl) await store.client.command({ query });
    const batches = await realisticBatches(rows);
    const bytes = Buffer.concat(
      batches.map((b) => spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s)).bytes),
    );
    const count = batches.reduce((n, b) => n + b.spanCount, 0);
    const samples = new Map<string, number[]>(tables.map(([name]) => [name, []]));
    let token = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [name] of tables) {
        if (name !== 'parse_only') await store.client.command({ query: `TRUNCATE TABLE llmp.${name}` });
        const before = process.cpuUsage();
        await insertRowBinary(store, {
          table: `llmp.${name}`,
          columns: spanRowBinaryColumns,
          bytes,
          settings: { insert_deduplication_token: `costs-${token++}` },
        });
        const { user, system } = process.cpuUsage(before);
        samples.get(name)!.push((user + system) / count);
      }
    }
    return tables.map(([name]) => ({
      table: name,
      rows: count,
      cpuMicrosecondsPerRow: Math.round(median(samples.get(name)!) * 10) / 10,
    }));
  } finally {
    await store.close();
    dir.remove();
  }
}
