import {
  type ClickHouseStore,
  insertRowBinary,
  migrate,
  migrations,
  openStore,
  spanRowBinary,
  spanRowBinaryColumns,
} from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { median } from './quantiles.ts';
import { smallSpanBatches } from './smallSpanBatches.ts';

// `pnpm bench insert-breakdown`: what one INSERT of telemetrygen-sized spans (as `llmp start`
// makes them: ~1 200 spans with 4 senders) costs the embedded engine, and where: the statement
// alone (a Null table), spans alone, spans and its materialized views, at 10 rows (the fixed
// part) and at 1 190, and each view taken away. Merges are stopped: they are background work,
// not the INSERT's. User and system CPU are apart because file creation is kernel work whose
// price depends on the file system (`TMPDIR=/dev/shm pnpm bench insert-breakdown` runs it on tmpfs).

const views = [
  'trace_jobs_mv',
  'span_metrics_hourly_mv',
  'trace_job_usage_mv',
  'trace_search_mv',
  'genai_scores_spans_mv',
];

interface Variant {
  name: string;
  rows: number;
  table?: string;
  ddl?: string[];
}

/** The tables with skip indexes packed into one file, as the clickhouse exporter sets them on the embedded store. */
const packedSkipIndexes = ['spans', 'trace_search', 'trace_jobs', 'genai_scores'].map(
  (t) => `ALTER TABLE llmp.${t} MODIFY SETTING packed_skip_index_max_bytes = 262144`,
);

const variants: Variant[] = [
  {
    name: 'statement only (Null table)',
    rows: 10,
    table: 'null_spans',
    ddl: ['CREATE TABLE llmp.null_spans AS llmp.spans ENGINE = Null'],
  },
  { name: 'spans alone', rows: 10, ddl: views.map((v) => `DROP VIEW llmp.${v}`) },
  { name: 'spans and views', rows: 10 },
  { name: 'spans alone', rows: 1190, ddl: views.map((v) => `DROP VIEW llmp.${v}`) },
  { name: 'spans and views', rows: 1190 },
  // As the clickhouse exporter sets the embedded store's tables at start (clickhouseExporter.ts).
  {
    name: 'spans and views, packed skip indexes',
    rows: 1190,
    ddl: packedSkipIndexes,
  },
  // And without substream marks in compact parts (branch `partcost`; tried, not taken: docs/benchmarks.md).
  {
    name: 'spans and views, packed skip indexes, no substream marks',
    rows: 1190,
    ddl: [
      ...packedSkipIndexes,
      ...['spans', 'trace_search', 'trace_job_usage', 'span_metrics_hourly'].map(
        (t) => `ALTER TABLE llmp.${t} MODIFY SETTING write_marks_for_substreams_in_compact_parts = 0`,
      ),
    ],
  },
  // Before migration 22 an INSERT wrote a fifth part, trace_id_ts (its view as migration 1 made it).
  {
    name: 'spans and views, with trace_id_ts_mv (before migration 22)',
    rows: 1190,
    ddl: [
      `CREATE MATERIALIZED VIEW llmp.trace_id_ts_mv TO llmp.trace_id_ts AS
        SELECT project_id, TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
        FROM llmp.spans WHERE TraceId != '' GROUP BY project_id, TraceId`,
    ],
  },
  ...views.map((v): Variant => ({ name: `without ${v}`, rows: 1190, ddl: [`DROP VIEW llmp.${v}`] })),
];

async function events(store: ClickHouseStore): Promise<Map<string, number>> {
  const result = await store.client.query({
    query: `SELECT event, value FROM system.events WHERE event IN ('FileOpen', 'MergeTreeDataWriterBlocks')`,
    format: 'JSONEachRow',
  });
  return new Map(
    (await result.json<{ event: string; value: string }>()).map((r) => [r.event, Number(r.value)]),
  );
}

/** Per variant: median CPU ms per INSERT (user, system), files opened and parts written per INSERT. */
export async function insertBreakdownScenario({
  inserts = 30,
  // Only the variants whose name contains one of these (all when empty), each `rounds` times,
  // interleaved (A B A B): BENCH_VARIANTS='spans and views,before migration 22' BENCH_ROUNDS=3.
  only = [] as string[],
  rounds = 1,
} = {}) {
  const chosen = variants.filter((v) => only.length === 0 || only.some((o) => v.name.includes(o)));
  const largest = Math.max(...chosen.map((v) => v.rows));
  const batches = await smallSpanBatches(largest * (inserts + 3), largest);
  const bytesOf = (rows: number) =>
    batches.map((b) => {
      const payload = spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s));
      if (rows === largest) return payload.bytes;
      // The first `rows` rows of the batch: re-encode a request holding only them.
      const request = b.request();
      const scope = request.resourceSpans[0]!.scopeSpans[0]!;
      const cut = {
        resourceSpans: [
          { ...request.resourceSpans[0]!, scopeSpans: [{ ...scope, spans: scope.spans.slice(0, rows) }] },
        ],
      };
      return spanRowBinary(b.projectId, cut, (s) => genAiOf(b, s)).bytes;
    });
  const payloads = new Map([...new Set(chosen.map((v) => v.rows))].map((n) => [n, bytesOf(n)]));
  const out = [];
  for (const variant of Array.from({ length: rounds }, () => chosen).flat()) {
    const dir = tempDir('bench-breakdown');
    const store = await openStore({ dataDir: `${dir.path}/data` });
    try {
      // The schema before migration 31: the views hang on spans, whose per-INSERT cost (each view
      // taken away in turn) is what this breakdown measures.
      await migrate(
        store,
        migrations.filter((m) => m.version < 31),
      );
      for (const query of variant.ddl ?? []) await store.client.command({ query });
      await store.client.command({ query: 'SYSTEM STOP MERGES' });
      const user: number[] = [];
      const system: number[] = [];
      let before = new Map<string, number>();
      const list = payloads.get(variant.rows)!;
      for (let i = 0; i < list.length; i++) {
        // The first three warm the engine (caches, first parts of each table).
        if (i === 3) before = await events(store);
        const cpu = process.cpuUsage();
        await insertRowBinary(store, {
          table: `llmp.${variant.table ?? 'spans'}`,
          columns: spanRowBinaryColumns,
          bytes: list[i]!,
          // As the exporter inserts; every setting every time (on the embedded store they outlive the call).
          settings: {
            deduplicate_blocks_in_dependent_materialized_views: 1,
            insert_deduplication_token: `breakdown-${i}`,
            optimize_on_insert: 0,
          },
        });
        const used = process.cpuUsage(cpu);
        if (i >= 3) {
          user.push(used.user / 1000);
          system.push(used.system / 1000);
        }
      }
      const after = await events(store);
      const per = (event: string) => Math.round((after.get(event)! - before.get(event)!) / (list.length - 3));
      out.push({
        variant: variant.name,
        rows: variant.rows,
        cpuMsPerInsert: Math.round((median(user) + median(system)) * 10) / 10,
        userMs: Math.round(median(user) * 10) / 10,
        systemMs: Math.round(median(system) * 10) / 10,
        filesOpened: per('FileOpen'),
        partsWritten: per('MergeTreeDataWriterBlocks'),
      });
    } finally {
      await store.close();
      dir.remove();
    }
  }
  return out;
}
